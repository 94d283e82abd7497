/* ui/tui.c: the terminal user interface.
 *
 *   status bar      accounts with their registration state, the clock
 *   calls pane      id, direction, peer, state, duration, codec, encryption,
 *                   jitter/loss/RTT, live
 *   main area       tabs: Console (log, commands, events), SIP trace (with a
 *                   ladder diagram of the current call), one chat window
 *                   per peer
 *   buddy pane      presence (shown when the terminal is wide enough)
 *   key hints       as many as fit, F10 quit always; or the last notice
 *   command line    GNU readline (tui-input.c)
 *
 * Everything is drawn from the model on each redraw (cheap at terminal
 * sizes), so resizing is just a redraw.  Text from the network goes
 * through put_text(), which never lets a control byte reach the terminal.
 * NO_COLOR is honoured; without a UTF-8 locale the line drawing and
 * symbols fall back to ASCII. */
#include "config.h"

#define LOG_MOD "tui"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "call.h"
#include "event.h"
#include "log.h"
#include "im.h"
#include "presence.h"
#include "loop.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/tui.h"
#include "xmalloc.h"

#define CONSOLE_MAX 2000

enum {
	C_OK = 1,       /* green: established, 2xx, registered */
	C_WARN,         /* yellow: ringing, provisional */
	C_ERR,          /* red: failures */
	C_REQ,          /* cyan: requests, commands */
	C_HOLD,         /* blue: held */
	C_UNREAD,       /* magenta: unread chats, incoming calls */
	C_BAR,          /* the status and tab bars */
};

struct cline {
	int kind;
	time_t when;
	char *text;
};

enum tab {
	TAB_CONSOLE = 0,
	TAB_TRACE,
	TAB_CHAT,            /* TAB_CHAT + i: chat window i */
};

#define MAX_CHATS 16
#define CHAT_LINES 500

/* A chat window: the peer's history, kept in memory once opened. */
struct chat_line {
	time_t when;
	bool incoming;
	uint64_t id;
	char status[16];
	char *text;
};

struct chat {
	char *peer;
	char *label;          /* user part, for the tab */
	struct chat_line *lines;
	size_t n, head;
	unsigned unread;
	char composing[16];   /* "typing..." while the peer composes */
};

static struct {
	bool active;
	bool color;
	bool utf8;
	struct cline *lines;
	size_t nlines, head;
	int tab;                /* enum tab, or TAB_CHAT + chat index */
	struct chat chats[MAX_CHATS];
	int nchats;
	int scroll;             /* lines up from the bottom */
	bool ladder;
	char notice[256];
	bool notice_err;
	uint64_t notice_until;
	int notice_chat;        /* 1 + the chat a "message from" notice is about */
	struct tmr tick;
	unsigned ringing;       /* incoming calls ringing, for the flash */
	int saved_stderr;       /* libraries that print (speexdsp, ALSA) */
} t = { .saved_stderr = -1 };

/* ------------------------------------------------------------------ */
/* text */

static const char *sym(const char *utf, const char *ascii)
{
	return t.utf8 ? utf : ascii;
}

/* Draw a UTF-8 string at (y, x), at most maxw columns; control characters
 * and invalid bytes become '?'.  Returns the columns used. */
static int put_text(int y, int x, int maxw, const char *s, attr_t attr)
{
	mbstate_t st;
	int used = 0;

	memset(&st, 0, sizeof(st));
	if (maxw <= 0)
		return 0;
	move(y, x);
	attron(attr);
	while (*s && used < maxw) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int w;
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			memset(&st, 0, sizeof(st));
			addch('?');
			used++;
			s++;
			continue;
		}
		w = wcwidth(wc);
		if (w < 0 || wc < 0x20 || wc == 0x7f) {
			addch('?');
			used++;
		} else {
			if (used + w > maxw)
				break;
			addnstr(s, (int)n);
			used += w;
		}
		s += n;
	}
	attroff(attr);
	return used;
}

/* A horizontal rule: box drawing in UTF-8, dashes otherwise. */
static void rule(int y, int x, int w, attr_t attr)
{
	attron(attr);
	move(y, x);
	for (int i = 0; i < w; i++)
		addstr(sym("─", "-"));
	attroff(attr);
}

/* Byte offsets where a UTF-8 string breaks into rows of at most w
 * columns; returns the count (at most max). */
static int wrap(const char *s, int w, const char **starts, int max)
{
	mbstate_t st;
	int n = 0, col = 0;

	memset(&st, 0, sizeof(st));
	if (w < 1)
		w = 1;
	starts[n++] = s;
	while (*s) {
		wchar_t wc;
		size_t k = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int cw = 1;
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			memset(&st, 0, sizeof(st));
			k = 1;
		} else if ((cw = wcwidth(wc)) < 0) {
			cw = 1;
		}
		if (col + cw > w) {
			if (n >= max)
				break;
			starts[n++] = s;
			col = 0;
		}
		col += cw;
		s += k;
	}
	return n;
}

static void fill(int y, int x, int w, attr_t attr)
{
	attron(attr);
	mvhline(y, x, ' ', w);
	attroff(attr);
}

static attr_t color(int pair)
{
	return t.color ? COLOR_PAIR(pair) : 0;
}

/* ------------------------------------------------------------------ */
/* the console */

void tui_console(int kind, const char *text)
{
	struct cline *l;

	if (!t.lines)
		return;
	if (t.nlines < CONSOLE_MAX) {
		l = &t.lines[(t.head + t.nlines++) % CONSOLE_MAX];
	} else {
		l = &t.lines[t.head];
		free(l->text);
		t.head = (t.head + 1) % CONSOLE_MAX;
	}
	l->kind = kind;
	l->when = time(NULL);
	l->text = xstrdup(text);
	if (t.scroll && t.tab == TAB_CONSOLE)
		t.scroll++; /* keep the view still while scrolled back */
	tui_redraw();
}

static attr_t line_attr(int kind)
{
	switch (kind) {
	case TUI_LINE_LOG_ERROR:
	case TUI_LINE_ERR:
		return color(C_ERR) | A_BOLD;
	case TUI_LINE_LOG_WARN:
		return color(C_WARN);
	case TUI_LINE_LOG_DEBUG:
		return A_DIM;
	case TUI_LINE_CMD:
		return color(C_REQ) | A_BOLD;
	case TUI_LINE_EVENT:
		return color(C_OK);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* chat windows */

static void chat_add_line(struct chat *c, time_t when, bool in, uint64_t id, const char *status,
			  const char *text)
{
	struct chat_line *l;
	if (c->n < CHAT_LINES) {
		l = &c->lines[(c->head + c->n++) % CHAT_LINES];
	} else {
		l = &c->lines[c->head];
		free(l->text);
		c->head = (c->head + 1) % CHAT_LINES;
	}
	l->when = when;
	l->incoming = in;
	l->id = id;
	snprintf(l->status, sizeof(l->status), "%s", status ? status : "");
	l->text = xstrdup(text ? text : "");
}

static void on_history(const struct im_rec *r, void *arg)
{
	chat_add_line(arg, r->when, r->incoming, r->id, r->status, r->text);
}

/* The window for peer, opened (with its history) if needed. */
static int chat_open(const char *peer)
{
	struct chat *c;
	const char *p;
	for (int i = 0; i < t.nchats; i++)
		if (!strcmp(t.chats[i].peer, peer))
			return i;
	if (t.nchats >= MAX_CHATS)
		return -1;
	c = &t.chats[t.nchats];
	memset(c, 0, sizeof(*c));
	c->peer = xstrdup(peer);
	p = strchr(peer, ':');
	if (presence_buddy_name(peer))
		c->label = xstrdup(presence_buddy_name(peer));
	else
		c->label = xstrndup(p ? p + 1 : peer, strcspn(p ? p + 1 : peer, "@;"));
	c->lines = xcalloc(CHAT_LINES, sizeof(*c->lines));
	im_history(peer, on_history, c);
	return t.nchats++;
}

static void chat_free_all(void)
{
	for (int i = 0; i < t.nchats; i++) {
		struct chat *c = &t.chats[i];
		for (size_t k = 0; k < c->n; k++)
			free(c->lines[(c->head + k) % CHAT_LINES].text);
		free(c->lines);
		free(c->peer);
		free(c->label);
	}
	t.nchats = 0;
}

/* The peer of the chat window in view, or NULL. */
const char *tui_chat_peer(void)
{
	return t.tab >= TAB_CHAT && t.tab - TAB_CHAT < t.nchats ? t.chats[t.tab - TAB_CHAT].peer
								  : NULL;
}

/* Chat window i is in view: its messages are read, and the notice that
 * announced them has done its job. */
static void chat_seen(int i)
{
	t.chats[i].unread = 0;
	im_mark_read(t.chats[i].peer);
	if (t.notice_chat == i + 1)
		t.notice_until = 0;
}

/* Open (or go to) the chat window with peer. */
void tui_chat_show(const char *peer)
{
	int i = chat_open(peer);
	if (i < 0)
		return;
	t.tab = TAB_CHAT + i;
	chat_seen(i);
	t.scroll = 0;
	tui_redraw();
}

static void draw_chat(const struct chat *c, int top, int rows, int cols)
{
	int y = top + rows - 1;
	int skip = t.scroll;

	if (c->composing[0])
		put_text(y--, 2, cols - 2, c->composing, A_DIM);
	for (size_t i = c->n; i-- > 0 && y >= top;) {
		const struct chat_line *l = &c->lines[(c->head + i) % CHAT_LINES];
		const char *starts[64];
		char ts[16], who[40];
		struct tm tm;
		int w = cols - 20, nrows = wrap(l->text, w, starts, 64);
		attr_t a = l->incoming ? color(C_UNREAD) : 0;
		localtime_r(&l->when, &tm);
		strftime(ts, sizeof(ts), "%H:%M ", &tm);
		snprintf(who, sizeof(who), "%s", l->incoming ? c->label : "me");
		for (int r = nrows; r-- > 0 && y >= top;) {
			char piece[1024];
			size_t len = (r + 1 < nrows ? (size_t)(starts[r + 1] - starts[r])
						  : strlen(starts[r]));
			if (skip) {
				skip--;
				continue;
			}
			if (len >= sizeof(piece))
				len = sizeof(piece) - 1;
			memcpy(piece, starts[r], len);
			piece[len] = '\0';
			if (r == 0) {
				put_text(y, 0, 6, ts, A_DIM);
				put_text(y, 6, 12, who, a | A_BOLD);
			}
			put_text(y, 19, w, piece, 0);
			/* the delivery state of our own messages, at the end */
			if (r == nrows - 1 && !l->incoming && strcmp(l->status, "delivered")) {
				attr_t sa = !strcmp(l->status, "failed") ? color(C_ERR) | A_BOLD
					    : color(C_WARN);
				char st[24];
				snprintf(st, sizeof(st), " [%s]", l->status);
				put_text(y, cols - 12, 12, st, sa);
			}
			y--;
		}
	}
}

static void draw_console(int top, int rows, int cols)
{
	int y = top + rows - 1;
	size_t skip = (size_t)t.scroll;

	for (size_t i = t.nlines; i-- > 0 && y >= top;) {
		const struct cline *l = &t.lines[(t.head + i) % CONSOLE_MAX];
		char ts[16];
		struct tm tm;
		if (skip) {
			skip--;
			continue;
		}
		const char *starts[64];
		int rowsn = wrap(l->text, cols - 9, starts, 64);
		localtime_r(&l->when, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S ", &tm);
		/* the last row of the line first, then up */
		for (int r = rowsn; r-- > 0 && y >= top;) {
			char piece[1024];
			size_t len = (r + 1 < rowsn ? (size_t)(starts[r + 1] - starts[r])
						    : strlen(starts[r]));
			if (len >= sizeof(piece))
				len = sizeof(piece) - 1;
			memcpy(piece, starts[r], len);
			piece[len] = '\0';
			if (r == 0)
				put_text(y, 0, 9, ts, A_DIM);
			put_text(y, 9, cols - 9, piece, line_attr(l->kind));
			y--;
		}
	}
}

/* ------------------------------------------------------------------ */
/* panes */

static void draw_status(int cols)
{
	char clock[16], buf[160];
	time_t now = time(NULL);
	struct tm tm;
	int x = 0;

	fill(0, 0, cols, color(C_BAR) | A_REVERSE);
	x += put_text(0, x, cols, " sipterm ", color(C_BAR) | A_REVERSE | A_BOLD);
	if (ua_direct(app.ua)) {
		x += put_text(0, x, cols - x, sym("│ direct mode ", "| direct mode "),
			      color(C_BAR) | A_REVERSE);
	}
	LIST_FOREACH(ua_accounts(app.ua), e) {
		struct account *a = e->data;
		bool ok = reg_registered(a->reg);
		const char *st = reg_state(a->reg);
		snprintf(buf, sizeof(buf), "%s %s %s ", sym("│", "|"), a->name,
			 ok ? sym("●", "*") : !strcmp(st, "failed") ? sym("✗", "x") : sym("○", "o"));
		if (x + (int)strlen(a->name) + 5 >= cols - 10)
			break;
		x += put_text(0, x, cols - x, buf,
			      (ok ? color(C_OK) : !strcmp(st, "failed") ? color(C_ERR) : color(C_WARN)) |
				      A_REVERSE);
	}
	localtime_r(&now, &tm);
	strftime(clock, sizeof(clock), " %H:%M ", &tm);
	if (cols > 10)
		put_text(0, cols - 7, 7, clock, color(C_BAR) | A_REVERSE);
}

static const char *state_label(const struct call *c, attr_t *attr)
{
	switch (call_state(c)) {
	case CALL_OUTGOING:
		*attr = color(C_WARN);
		return "calling";
	case CALL_RINGING:
		*attr = color(C_WARN);
		return "ringing";
	case CALL_INCOMING:
		*attr = color(C_UNREAD) | A_BOLD | ((time(NULL) & 1) ? A_REVERSE : 0);
		return "INCOMING";
	case CALL_ANSWERING:
		*attr = color(C_WARN);
		return "answering";
	case CALL_ESTABLISHED:
		if (call_on_hold(c)) {
			*attr = color(C_HOLD) | A_BOLD;
			return "on hold";
		}
		if (call_muted(c)) {
			*attr = color(C_WARN) | A_BOLD;
			return "muted";
		}
		*attr = color(C_OK) | A_BOLD;
		return "talking";
	default:
		*attr = color(C_ERR);
		return "ended";
	}
}

#define CALLS_SHOWN 4

static int by_id(const void *a, const void *b)
{
	unsigned x = call_id(*(struct call *const *)a), y = call_id(*(struct call *const *)b);
	return x < y ? -1 : x > y;
}

/* Returns the rows used.  The live calls in the order of their ids (the
 * order F6 goes through), at most CALLS_SHOWN of them, the current one
 * always among them. */
static int draw_calls(int top, int cols)
{
	struct call *cur = call_current(), *v[64];
	int y = top, n = 0, first = 0;
	char buf[256];

	rule(y, 0, cols, A_BOLD);
	put_text(y, 2, cols - 4, " Calls ", A_BOLD);
	y++;
	t.ringing = 0;
	LIST_FOREACH(call_list(), e) {
		struct call *c = e->data;
		if (call_state(c) == CALL_ENDED)
			continue;
		if (call_state(c) == CALL_INCOMING)
			t.ringing++;
		if (n < (int)(sizeof(v) / sizeof(v[0])))
			v[n++] = c;
	}
	qsort(v, (size_t)n, sizeof(v[0]), by_id);
	for (int i = 0; i < n; i++)
		if (v[i] == cur && i >= CALLS_SHOWN)
			first = i - CALLS_SHOWN + 1;
	if (first)
		put_text(y++, 2, cols - 2, "...", A_DIM);
	for (int i = first; i < n; i++) {
		struct call *c = v[i];
		struct media_stats s;
		attr_t attr = 0;
		const char *st;
		uint32_t d;
		int x;
		if (i >= first + CALLS_SHOWN) {
			put_text(y++, 2, cols - 2, "...", A_DIM);
			break;
		}
		st = state_label(c, &attr);
		call_stats(c, &s);
		d = call_duration(c);
		x = put_text(y, 0, 2, c == cur ? sym("▶ ", "> ") : "  ", A_BOLD);
		snprintf(buf, sizeof(buf), "%u %s ", call_id(c), call_incoming(c) ? sym("←", "<") : sym("→", ">"));
		x += put_text(y, x, cols - x, buf, A_BOLD);
		x += put_text(y, x, 10, st, attr);
		x = x < 14 ? 14 : x + 1;
		snprintf(buf, sizeof(buf), "%02u:%02u", d / 60, d % 60);
		x += put_text(y, x, cols - x, buf, 0) + 1;
		if (s.codec[0]) {
			/* "RTP": not encrypted (SRTP shows here when it lands) */
			snprintf(buf, sizeof(buf), "%s RTP jit %.1fms loss %.1f%%", s.codec,
				 s.jitter_ms, s.loss_pct);
			if (s.rtt_ms >= 0 && cols > 100)
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " rtt %.0fms",
					 s.rtt_ms);
			x += put_text(y, x, cols - x, buf, A_DIM) + 1;
		}
		put_text(y, x, cols - x, call_peer(c), 0);
		y++;
	}
	if (!n)
		put_text(y++, 2, cols - 2, "no calls: type 'call echo' to hear yourself, or 'help'",
			 A_DIM);
	return y - top;
}

static void draw_tabs(int y, int cols)
{
	int x = 0;
	fill(y, 0, cols, color(C_BAR) | A_REVERSE);
	for (int i = 0; i < TAB_CHAT + t.nchats; i++) {
		char buf[64];
		attr_t a = color(C_BAR) | (i == t.tab ? A_BOLD : A_REVERSE);
		if (i == TAB_CONSOLE) {
			snprintf(buf, sizeof(buf), " Console ");
		} else if (i == TAB_TRACE) {
			snprintf(buf, sizeof(buf), " SIP trace%s ", t.ladder ? " (ladder)" : "");
		} else {
			const struct chat *c = &t.chats[i - TAB_CHAT];
			if (c->unread) {
				snprintf(buf, sizeof(buf), " %s (%u) ", c->label, c->unread);
				a = color(C_UNREAD) | A_BOLD | (i == t.tab ? 0 : A_REVERSE);
			} else {
				snprintf(buf, sizeof(buf), " %s ", c->label);
			}
		}
		x += put_text(y, x, cols - x, buf, a);
		x += put_text(y, x, cols - x, sym("│", "|"), color(C_BAR) | A_REVERSE);
	}
	if (t.scroll)
		put_text(y, cols - 14, 14, " [scrolled] ", color(C_WARN) | A_REVERSE);
}

static void draw_buddies(int top, int rows, int x, int w)
{
	struct buddy_info b;
	const char *note;
	enum presence_state me = presence_status(&note);
	int y = top + 2;
	char line[128];

	for (int r = top; r < top + rows; r++)
		put_text(r, x, 1, sym("│", "|"), 0);
	snprintf(line, sizeof(line), "Buddies (you: %s)", presence_state_name(me));
	put_text(top, x + 2, w - 3, line, A_BOLD);
	if (!presence_buddy_count())
		put_text(y, x + 2, w - 3, "buddy add URI NAME", A_DIM);
	for (size_t i = 0; presence_buddy_get(i, &b) && y < top + rows; i++) {
		bool open = !strcmp(b.basic, "open"), closed = !strcmp(b.basic, "closed");
		bool busy = open && b.activity[0];
		attr_t a = open ? (busy ? color(C_WARN) : color(C_OK)) : closed ? color(C_ERR) : A_DIM;
		put_text(y, x + 2, 2, open ? (busy ? sym("◐", "~") : sym("●", "*"))
				    : closed ? sym("○", "o") : sym("?", "?"), a | A_BOLD);
		put_text(y, x + 4, w - 5, b.name, open ? A_BOLD : 0);
		y++;
		if (y < top + rows && (b.activity[0] || b.note[0])) {
			snprintf(line, sizeof(line), "%s%s%s", b.activity, b.activity[0] && b.note[0]
				 ? ": " : "", b.note);
			put_text(y++, x + 4, w - 5, line, A_DIM);
		}
	}
}

/* The key hints, most useful first where they must be dropped. */
enum { H_ANSWER, H_HANGUP, H_HOLD, H_MUTE, H_NEXT, H_TAB, H_LADDER, H_PAGE, H_QUIT, H_N };

static const struct hint {
	const char *key, *label, *brief;
} hints[H_N] = {
	[H_ANSWER] = { "F2", "answer", "answer" },
	[H_HANGUP] = { "F3", "hangup", "hangup" },
	[H_HOLD] = { "F4", "hold", "hold" },
	[H_MUTE] = { "F5", "mute", "mute" },
	[H_NEXT] = { "F6", "next call", "next" },
	[H_TAB] = { "F7", "tab", "tab" },
	[H_LADDER] = { "F8", "ladder", "ladder" },
	[H_PAGE] = { "PgUp/PgDn", "", "" },
	[H_QUIT] = { "F10", "quit", "quit" },
};

/* What goes when the line is too narrow, in order: a shorter label
 * (brief) or the whole hint.  F10 quit always stays. */
static const struct {
	int h;
	bool drop;
} cuts[] = {
	{ H_PAGE, true }, { H_NEXT, false }, { H_LADDER, true }, { H_NEXT, true },
	{ H_TAB, true }, { H_MUTE, true }, { H_HOLD, true }, { H_HANGUP, true },
	{ H_ANSWER, true },
};

/* " F2 answer  F3 hangup ... F10 quit" in at most cols columns: labels
 * follow the current call (resume, unmute), and hints are shortened or
 * dropped, least useful first, until the line fits. */
static void hint_line(int cols, char *out, size_t size)
{
	const char *label[H_N];
	bool shown[H_N];
	struct call *c = call_current();
	size_t ncuts = sizeof(cuts) / sizeof(cuts[0]);

	for (int i = 0; i < H_N; i++) {
		label[i] = hints[i].label;
		shown[i] = true;
	}
	if (c && call_on_hold(c))
		label[H_HOLD] = "resume";
	if (c && call_muted(c))
		label[H_MUTE] = "unmute";
	for (size_t k = 0;; k++) {
		size_t len = 0;
		out[0] = '\0';
		for (int i = 0; i < H_N; i++) {
			if (!shown[i])
				continue;
			len += (size_t)snprintf(out + len, len < size ? size - len : 0, "%s%s%s%s",
						len ? "  " : " ", hints[i].key, *label[i] ? " " : "",
						label[i]);
		}
		if ((int)len <= cols || k >= ncuts)
			break;
		if (cuts[k].drop)
			shown[cuts[k].h] = false;
		else if (label[cuts[k].h] == hints[cuts[k].h].label)
			label[cuts[k].h] = hints[cuts[k].h].brief;
	}
}

/* The hints, or the last notice with "F10 quit" still at the right. */
static void draw_hints(int y, int cols)
{
	char line[160];
	static const char quit[] = " F10 quit";
	int qw = (int)sizeof(quit) - 1;

	fill(y, 0, cols, A_REVERSE);
	if (t.notice[0] && tmr_now() < t.notice_until) {
		put_text(y, 1, cols - 2 - qw, t.notice,
			 (t.notice_err ? color(C_ERR) : color(C_OK)) | A_REVERSE | A_BOLD);
		put_text(y, cols - qw, qw, quit, A_REVERSE);
		return;
	}
	hint_line(cols, line, sizeof(line));
	put_text(y, 0, cols, line, A_REVERSE);
}

void tui_redraw(void)
{
	int rows, cols, y, main_top, main_rows, bw;

	if (!t.active)
		return;
	getmaxyx(stdscr, rows, cols);
	erase();
	if (rows < 8 || cols < 30) {
		put_text(0, 0, cols, "terminal too small", A_BOLD);
		refresh();
		return;
	}
	draw_status(cols);
	y = 1 + draw_calls(1, cols);
	draw_tabs(y, cols);
	main_top = y + 1;
	main_rows = rows - 2 - main_top;
	bw = cols >= 100 ? 26 : cols >= 70 && presence_buddy_count() ? 20 : 0;
	if (t.tab == TAB_CONSOLE)
		draw_console(main_top, main_rows, cols - bw);
	else if (t.tab == TAB_TRACE)
		tui_trace_draw(stdscr, main_rows, cols - bw, t.scroll, t.ladder,
			       NULL, t.color);
	else
		draw_chat(&t.chats[t.tab - TAB_CHAT], main_top, main_rows, cols - bw);
	if (bw)
		draw_buddies(main_top, main_rows, cols - bw, bw);
	draw_hints(rows - 2, cols);
	wnoutrefresh(stdscr);
	tui_input_draw();
	doupdate();
}

/* ------------------------------------------------------------------ */
/* controls used by the key bindings */

/* F7: the next chat with unread messages if there is one (the notice of
 * a message says "F7 to read"), else the next tab. */
void tui_next_tab(void)
{
	int n = TAB_CHAT + t.nchats, next = (t.tab + 1) % n;

	for (int k = 1; k < n; k++) {
		int i = (t.tab + k) % n;
		if (i >= TAB_CHAT && t.chats[i - TAB_CHAT].unread) {
			next = i;
			break;
		}
	}
	t.tab = next;
	t.scroll = 0;
	if (t.tab >= TAB_CHAT)
		chat_seen(t.tab - TAB_CHAT);
	tui_redraw();
}

void tui_scroll(int n)
{
	t.scroll += n;
	if (t.scroll < 0)
		t.scroll = 0;
	if (t.tab == TAB_CONSOLE && (size_t)t.scroll >= t.nlines)
		t.scroll = t.nlines ? (int)t.nlines - 1 : 0;
	tui_redraw();
}

void tui_toggle_ladder(void)
{
	t.ladder = !t.ladder;
	t.tab = TAB_TRACE;
	t.scroll = 0;
	tui_redraw();
}

void tui_notice(bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t.notice, sizeof(t.notice), fmt, ap);
	va_end(ap);
	t.notice_err = error;
	t.notice_until = tmr_now() + 6000;
	t.notice_chat = 0;
	tui_redraw();
}

/* ------------------------------------------------------------------ */
/* feeds */

static void on_log(enum log_level lvl, const char *mod, const char *line, void *arg)
{
	char buf[2200];
	(void)arg;
	snprintf(buf, sizeof(buf), "%s: %s", mod, line);
	tui_console(TUI_LINE_LOG_ERROR + (int)lvl, buf);
	if (lvl == LOG_LVL_ERROR)
		tui_notice(true, "%s", buf);
}

static void on_trace(bool out, const char *proto, const char *peer, const char *msg, size_t len,
		     void *arg)
{
	(void)arg;
	tui_trace_add(out, proto, peer, msg, len);
	if (t.tab == TAB_TRACE)
		tui_redraw();
}

static void on_event(const struct ev *e, void *arg)
{
	struct buf b;
	(void)arg;

	buf_init(&b, 0);
	ev_text(e, &b);
	tui_console(TUI_LINE_EVENT, buf_cstr(&b));
	buf_free(&b);
	if (!strcmp(e->name, "call-incoming")) {
		const char *from = ev_get(e, "from");
		beep();
		flash();
		tui_notice(false, "%s incoming call %s from %s: F2 answers, F3 refuses",
			   sym("☎", "!"), ev_get(e, "call"), from ? from : "?");
	} else if (!strcmp(e->name, "call-answered")) {
		tui_notice(false, "call %s answered (%s)", ev_get(e, "call"), ev_get(e, "codec"));
	} else if (!strcmp(e->name, "call-ended")) {
		tui_notice(false, "call %s ended: %s %s", ev_get(e, "call"), ev_get(e, "status"),
			   ev_get(e, "reason"));
	} else if (!strcmp(e->name, "message")) {
		const char *peer = ev_get(e, "peer"), *dir = ev_get(e, "direction");
		long long id = 0;
		int i = peer ? chat_open(peer) : -1;
		ev_get_int(e, "id", &id);
		if (i >= 0) {
			struct chat *c = &t.chats[i];
			bool in = dir && !strcmp(dir, "in");
			/* the window's history was read when it opened: add only
			 * what is newer */
			if (!c->n || c->lines[(c->head + c->n - 1) % CHAT_LINES].id != (uint64_t)id ||
			    c->lines[(c->head + c->n - 1) % CHAT_LINES].incoming != in)
				chat_add_line(c, time(NULL), in, (uint64_t)id, ev_get(e, "status"),
					      ev_get(e, "text"));
			c->composing[0] = '\0';
			if (in && t.tab != TAB_CHAT + i) {
				c->unread++;
				beep();
				tui_notice(false, "message from %s: F7 to read", c->label);
				t.notice_chat = i + 1;
			}
		}
	} else if (!strcmp(e->name, "message-status")) {
		const char *peer = ev_get(e, "peer"), *st = ev_get(e, "status");
		long long id = 0;
		ev_get_int(e, "id", &id);
		for (int i = 0; peer && i < t.nchats; i++) {
			struct chat *c = &t.chats[i];
			if (strcmp(c->peer, peer))
				continue;
			for (size_t k = c->n; k-- > 0;) {
				struct chat_line *l = &c->lines[(c->head + k) % CHAT_LINES];
				if (!l->incoming && l->id == (uint64_t)id) {
					snprintf(l->status, sizeof(l->status), "%s", st ? st : "");
					break;
				}
			}
		}
		if (st && !strcmp(st, "failed"))
			tui_notice(true, "message to %s failed: %s %s", peer, ev_get(e, "code"),
				   ev_get(e, "reason"));
	} else if (!strcmp(e->name, "composing")) {
		const char *peer = ev_get(e, "peer"), *st = ev_get(e, "state");
		for (int i = 0; peer && i < t.nchats; i++)
			if (!strcmp(t.chats[i].peer, peer))
				snprintf(t.chats[i].composing, sizeof(t.chats[i].composing), "%s",
					 st && !strcmp(st, "active") ? "typing..." : "");
	} else if (!strcmp(e->name, "presence")) {
		const char *act = ev_get(e, "activity"), *note = ev_get(e, "note");
		tui_notice(false, "%s is %s%s%s%s%s", ev_get(e, "buddy"), ev_get(e, "basic"),
			   act && *act ? " " : "", act ? act : "", note && *note ? ": " : "",
			   note ? note : "");
	} else if (!strcmp(e->name, "registration-failed")) {
		tui_notice(true, "account %s: %s %s", ev_get(e, "account"), ev_get(e, "status"),
			   ev_get(e, "reason"));
	}
	tui_redraw();
}

/* Once a second: the clock, call durations, live media figures, and the
 * bell for calls still ringing here. */
static void tick(void *arg)
{
	static unsigned n;
	(void)arg;
	tui_redraw();
	if (t.ringing && (n++ % 4) == 0)
		beep();
	tmr_start(&t.tick, 1000, tick, NULL);
}

static void on_winch(int sig, void *arg)
{
	(void)sig;
	(void)arg;
	endwin();
	refresh();
	tui_input_resize();
	tui_redraw();
}

/* The terminal is restored whatever way the program ends: a crash, an
 * abort, or SIGQUIT (Ctrl-\), which then dies as usual (with its core). */
static void fatal_signal(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* SIGHUP: the terminal was closed (or someone asked us to go).  End as
 * quit and SIGTERM do: hang up, unregister, restore what is left of the
 * terminal.  Runs on the loop, not in the signal handler. */
static void on_hup(int sig, void *arg)
{
	(void)sig;
	(void)arg;
	log_i("SIGHUP: the terminal is gone: shutting down");
	app_quit(0);
}

int tui_start(char *err, size_t errsz)
{
	const char *nc;
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT };

	setlocale(LC_ALL, "");
	t.utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errsz, "the terminal UI needs a terminal: use --headless");
		return ENOTTY;
	}
	if (!initscr()) {
		snprintf(err, errsz, "cannot start the terminal UI (TERM=%s)",
			 getenv("TERM") ? getenv("TERM") : "");
		return EIO;
	}
	t.active = true;
	atexit(tui_stop);
	/* nothing may print over the screen: libraries that write to stderr
	 * on their own (speexdsp, ALSA) go to /dev/null while the UI runs */
	{
		int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		t.saved_stderr = dup(STDERR_FILENO);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
	}
	for (unsigned i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, FALSE);
	curs_set(1);
	nc = getenv("NO_COLOR");
	t.color = has_colors() && !(nc && *nc);
	if (t.color) {
		start_color();
		use_default_colors();
		init_pair(C_OK, COLOR_GREEN, -1);
		init_pair(C_WARN, COLOR_YELLOW, -1);
		init_pair(C_ERR, COLOR_RED, -1);
		init_pair(C_REQ, COLOR_CYAN, -1);
		init_pair(C_HOLD, COLOR_BLUE, -1);
		init_pair(C_UNREAD, COLOR_MAGENTA, -1);
		init_pair(C_BAR, COLOR_WHITE, COLOR_BLUE);
	}
	t.lines = xcalloc(CONSOLE_MAX, sizeof(*t.lines));
	log_set_stderr(false);
	log_set_handler(on_log, NULL);
	log_trace_set_handler(on_trace, NULL);
	log_trace_enable(true);
	ev_sink_add(on_event, NULL);
	loop_signal(SIGWINCH, on_winch, NULL);
	loop_signal(SIGHUP, on_hup, NULL);
	tmr_init(&t.tick);
	tmr_start(&t.tick, 1000, tick, NULL);
	tui_input_start();
	tui_console(TUI_LINE_OUT, "sipterm " PACKAGE_VERSION
		    ": type 'help' for the commands, 'call echo' to hear yourself");
	tui_redraw();
	return 0;
}

/* Idempotent: also runs from atexit() and fatal signals. */
void tui_stop(void)
{
	if (!t.active)
		return;
	t.active = false;
	tui_input_stop();
	tmr_cancel(&t.tick);
	ev_sink_del(on_event, NULL);
	log_set_handler(NULL, NULL);
	log_trace_set_handler(NULL, NULL);
	endwin();
	if (t.saved_stderr >= 0) {
		dup2(t.saved_stderr, STDERR_FILENO);
		close(t.saved_stderr);
		t.saved_stderr = -1;
	}
	log_set_stderr(true);
	for (size_t i = 0; i < t.nlines; i++)
		free(t.lines[(t.head + i) % CONSOLE_MAX].text);
	free(t.lines);
	t.lines = NULL;
	t.nlines = 0;
	chat_free_all();
	tui_trace_free();
}

bool tui_active(void)
{
	return t.active;
}

bool tui_utf8(void)
{
	return t.utf8;
}
