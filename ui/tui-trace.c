/* ui/tui-trace.c: the SIP trace tab.  Messages are kept in a bounded ring
 * (newest MAX_MSGS, each at most MAX_TEXT bytes) and shown either as the
 * messages themselves or, for one call, as a ladder diagram (sngrep's call
 * flow): one column per endpoint, one arrow per message with its time. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "call.h"
#include "log.h"
#include "sip/msg.h"
#include "ui/tui.h"
#include "xmalloc.h"

#define MAX_MSGS 400
#define MAX_TEXT 8192
#define MAX_COLS 4

struct trace_msg {
	struct timeval tv;
	bool out;
	char proto[8];
	char peer[64];
	char label[96];          /* "INVITE" or "200 OK" */
	char callid[128];
	bool request;
	unsigned code;
	bool sdp;
	char *text;              /* escaped for display, lines split by '\n' */
};

static struct trace_msg ring[MAX_MSGS];
static size_t nmsg, head;

static void free_msg(struct trace_msg *m)
{
	free(m->text);
	m->text = NULL;
}

/* Header value of name (or compact form c) in raw SIP text, into out. */
static void header(const char *msg, size_t len, const char *name, char c, char *out, size_t size)
{
	struct pl v;

	out[0] = '\0';
	if (sip_raw_header(msg, len, name, c, &v))
		snprintf(out, size, "%.*s", (int)v.l, v.p);
}

void tui_trace_add(bool out, const char *proto, const char *peer, const char *msg, size_t len)
{
	struct trace_msg *m;
	const char *sp;
	size_t cap;

	if (nmsg < MAX_MSGS) {
		m = &ring[(head + nmsg++) % MAX_MSGS];
	} else {
		m = &ring[head];
		free_msg(m);
		head = (head + 1) % MAX_MSGS;
	}
	memset(m, 0, sizeof(*m));
	gettimeofday(&m->tv, NULL);
	m->out = out;
	snprintf(m->proto, sizeof(m->proto), "%s", proto);
	snprintf(m->peer, sizeof(m->peer), "%s", peer);
	m->request = !(len >= 4 && !strncmp(msg, "SIP/", 4));
	sp = memchr(msg, ' ', len < 200 ? len : 200);
	if (m->request) {
		snprintf(m->label, sizeof(m->label), "%.*s", sp ? (int)(sp - msg) : 0, msg);
	} else if (sp) {
		const char *eol = memchr(sp, '\r', (size_t)(msg + len - sp));
		m->code = (unsigned)atoi(sp + 1);
		snprintf(m->label, sizeof(m->label), "%.*s",
			 eol ? (int)(eol - sp - 1) : 3, sp + 1);
	}
	header(msg, len, "Call-ID", 'i', m->callid, sizeof(m->callid));
	{
		char ct[64];
		header(msg, len, "Content-Type", 'c', ct, sizeof(ct));
		m->sdp = strstr(ct, "sdp") != NULL;
	}
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	cap = len * 4 + 1;
	m->text = xmalloc(cap);
	log_escape(m->text, cap, msg, len, true);
	/* the label is shown in the terminal too: escape it */
	for (char *p = m->label; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void tui_trace_free(void)
{
	for (size_t i = 0; i < nmsg; i++)
		free_msg(&ring[(head + i) % MAX_MSGS]);
	nmsg = head = 0;
}

static attr_t msg_attr(const struct trace_msg *m, bool color)
{
	if (!color)
		return m->request ? A_BOLD : 0;
	if (m->request)
		return COLOR_PAIR(4) | A_BOLD;
	if (m->code < 200)
		return COLOR_PAIR(2);
	if (m->code < 300)
		return COLOR_PAIR(1) | A_BOLD;
	return COLOR_PAIR(3) | A_BOLD;
}

static void stamp(const struct trace_msg *m, char *out, size_t size)
{
	struct tm tm;
	localtime_r(&m->tv.tv_sec, &tm);
	snprintf(out, size, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(m->tv.tv_usec / 1000));
}

/* Messages, newest at the bottom; scroll counts rows up. */
static int draw_messages(int top, int rows, int cols, int scroll, bool color)
{
	int y = top + rows - 1;
	int skip = scroll;

	for (size_t i = nmsg; i-- > 0 && y >= top;) {
		const struct trace_msg *m = &ring[(head + i) % MAX_MSGS];
		const char *lines[200];
		int nl = 0;
		char hdr[256], ts[16];
		/* split the text into lines (the stored text stays intact) */
		for (const char *p = m->text; *p && nl < 200;) {
			const char *e = strchr(p, '\n');
			lines[nl++] = p;
			p = e ? e + 1 : p + strlen(p);
		}
		for (int k = nl; k-- > 0 && y >= top;) {
			const char *e = strchr(lines[k], '\n');
			int len = e ? (int)(e - lines[k]) : (int)strlen(lines[k]);
			if (skip) {
				skip--;
				continue;
			}
			mvaddnstr(y, 4, lines[k], len < cols - 4 ? len : cols - 4);
			y--;
		}
		if (y < top)
			break;
		if (skip) {
			skip--;
			continue;
		}
		stamp(m, ts, sizeof(ts));
		snprintf(hdr, sizeof(hdr), "%s %s %s %s  %s", ts, m->out ? "->" : "<-", m->proto,
			 m->peer, m->label);
		attron(msg_attr(m, color));
		mvaddnstr(y, 0, hdr, cols);
		attroff(msg_attr(m, color));
		y--;
	}
	return 0;
}

/* The Call-ID to draw: the current call's, else the last INVITE's. */
static const char *pick_callid(void)
{
	struct call *c = call_current();
	if (c && *call_callid(c))
		return call_callid(c);
	for (size_t i = nmsg; i-- > 0;) {
		const struct trace_msg *m = &ring[(head + i) % MAX_MSGS];
		if (m->request && !strcmp(m->label, "INVITE"))
			return m->callid;
	}
	return NULL;
}

static bool utf8;

static void hrule(int y, int x, int n)
{
	move(y, x);
	for (int i = 0; i < n; i++)
		addstr(utf8 ? "─" : "-");
}

static void vbar(int y, int x)
{
	mvaddstr(y, x, utf8 ? "│" : "|");
}

/* A label within [lo, hi), centred on x where it fits. */
static void label_at(int y, int x, int lo, int hi, const char *s)
{
	int n = (int)strlen(s), at = x - n / 2;
	if (n > hi - lo)
		n = hi - lo;
	if (at + n > hi)
		at = hi - n;
	if (at < lo)
		at = lo;
	mvaddnstr(y, at, s, n);
}

static int draw_ladder(int top, int rows, int cols, int scroll, const char *callid, bool color)
{
	const struct trace_msg *sel[MAX_MSGS];
	char peers[MAX_COLS][64];
	int npeers = 0, n = 0, x0 = 14, span, y;

	if (!callid)
		callid = pick_callid();
	if (!callid) {
		mvaddstr(top, 2, "no call to draw yet");
		return 0;
	}
	for (size_t i = 0; i < nmsg; i++) {
		const struct trace_msg *m = &ring[(head + i) % MAX_MSGS];
		if (strcmp(m->callid, callid))
			continue;
		sel[n++] = m;
		for (int k = 0; k <= npeers && k < MAX_COLS; k++) {
			if (k == npeers) {
				snprintf(peers[npeers++], 64, "%s", m->peer);
				break;
			}
			if (!strcmp(peers[k], m->peer))
				break;
		}
	}
	span = npeers ? (cols - x0 - 2) / npeers : 1;
	if (span < 12)
		span = 12;
	/* header: us, then the peers */
	if (x0 + span * npeers > cols - 2)
		span = (cols - 2 - x0) / (npeers ? npeers : 1);
	attron(A_BOLD);
	mvaddnstr(top, 0, "time", 13);
	label_at(top, x0, 11, x0 + span / 2, "sipterm");
	for (int k = 0; k < npeers; k++)
		label_at(top, x0 + span * (k + 1), x0 + span * k + span / 2 + 1, cols - 1, peers[k]);
	attroff(A_BOLD);
	y = top + 1;
	for (int i = n > rows - 1 ? n - (rows - 1) - scroll : 0; i < n && y < top + rows; i++) {
		const struct trace_msg *m;
		int col = 0, a, b, lx, ll;
		char ts[16], label[128];
		if (i < 0)
			continue;
		m = sel[i];
		for (int k = 0; k < npeers; k++)
			if (!strcmp(peers[k], m->peer))
				col = k + 1;
		a = x0;
		b = x0 + span * col;
		stamp(m, ts, sizeof(ts));
		mvaddnstr(y, 0, ts + 3, 10);
		/* the lifelines */
		vbar(y, x0);
		for (int k = 0; k < npeers; k++)
			vbar(y, x0 + span * (k + 1));
		attron(msg_attr(m, color));
		hrule(y, a + 1, b - a - 1);
		if (m->out)
			mvaddstr(y, b - 1, utf8 ? "▶" : ">");
		else
			mvaddstr(y, a + 1, utf8 ? "◀" : "<");
		snprintf(label, sizeof(label), " %s%s ", m->label, m->sdp ? " (SDP)" : "");
		ll = (int)strlen(label);
		if (ll > b - a - 4)
			ll = b - a - 4;
		lx = a + (b - a - ll) / 2;
		if (ll > 0)
			mvaddnstr(y, lx, label, ll);
		attroff(msg_attr(m, color));
		y++;
	}
	return 0;
}

int tui_trace_draw(void *win, int rows, int cols, int scroll, bool ladder, const char *callid,
		   bool color)
{
	int top, r, c;
	(void)win;
	utf8 = tui_utf8();
	getmaxyx(stdscr, r, c);
	(void)c;
	/* the main area ends two rows above the bottom */
	top = r - 2 - rows;
	if (!nmsg) {
		mvaddstr(top, 2, "no SIP messages yet");
		return 0;
	}
	if (ladder)
		return draw_ladder(top, rows, cols, scroll, callid, color);
	return draw_messages(top, rows, cols, scroll, color);
}
