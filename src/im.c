/* im.c: instant messages (RFC 3428), is-composing (RFC 3994) and the chat
 * history (see im.h for the rules and the file format).
 *
 * Each peer has a queue of outgoing messages; only its head is on the
 * wire, so one peer's messages arrive in the order they were written even
 * through a proxy with several workers.  The history is written with one
 * write() and an fdatasync() per record: the durable point of a message
 * comes before anyone is told about it. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "fsutil.h"
#include "im.h"
#include "log.h"
#include "pidf.h"
#include "sip/auth.h"
#include "sip/sip.h"
#include "tmr.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "im"

#define MAX_AUTH_ROUNDS 3
#define QUEUE_MAX 1000u          /* messages waiting for one peer */
#define PEERS_MAX 1000u          /* peers kept in memory (unread, queues) */
#define DEDUP_MAX 1024u          /* resent MESSAGEs recognised (the newest) */
#define HIST_MAX (256u * 1024 * 1024) /* the largest history file read */
#define NAME_MAX_CHARS 64u       /* readable part of a history file name */
#define URI_MAX 512u             /* canonical peer URIs */
#define COMPOSE_SEND_REFRESH 90u /* <refresh> we announce (s); we repeat every 60 */
#define COMPOSE_DEFAULT_REFRESH 120u /* theirs when absent (RFC 3994 4.2) */
#define HDR_LINE "#sipterm-chat 1\t"

struct im_peer;

/* One MESSAGE on its way (a text message, or an is-composing when id is 0). */
struct im_out {
	struct le le;              /* in its peer's queue (text messages only) */
	struct im_peer *p;
	struct account *acc;
	uint64_t id;
	char *ruri;
	const char *ctype;
	char *body;
	size_t len;
	char callid[40];
	char ftag[16];
	uint32_t cseq;
	unsigned auth_rounds;
	bool big;                  /* too large for UDP: a stream transport only */
	struct sip_request *req;   /* set while on the wire */
};

struct im_peer {
	struct le le;
	char *uri;                 /* canonical */
	struct list queue;         /* struct im_out; the head is the one on the wire */
	bool kicking;
	unsigned unread;
	/* is-composing: theirs */
	bool their_active;
	struct tmr t_theirs;
	/* ours */
	bool our_active;
	uint64_t our_active_at;    /* when "active" last went out (tmr clock) */
	struct im_out *comp;       /* the indication on the wire */
	int comp_next;             /* -1: none; else the state to send after it */
	struct account *comp_acc;
	char *comp_ruri;
};

static struct {
	struct ua *ua;
	char *dir;                 /* chats directory, NULL: no history */
	struct list peers;
	uint64_t last_id;
	struct {
		uint64_t key;
		uint64_t at;
	} seen[DEDUP_MAX];
	unsigned seen_next;
	bool inited;
} g;

static void peer_kick(struct im_peer *p);
static void comp_send(struct im_peer *p);

/* ------------------------------------------------------------------ */
/* small helpers */

static uint32_t fnv32(const char *p, size_t n)
{
	uint32_t h = 2166136261u;
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 16777619u;
	}
	return h;
}

static uint64_t fnv64(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	while (n--) {
		h ^= (unsigned char)*p++;
		h *= 1099511628211ull;
	}
	return h;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0: overlong forms,
 * surrogates and code points above U+10FFFF are invalid (RFC 3629). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return 1;
	if (c < 0xc2 || c > 0xf4)
		return 0;
	if (c < 0xe0)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c < 0xf0) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
		return 0;
	if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
		return 0;
	return 4;
}

static bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	while (n) {
		size_t k = *p ? utf8_seq(p, n) : 0;
		if (!k)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

/* Received text as valid UTF-8 with no NUL: bad bytes become U+FFFD;
 * latin1 converts ISO-8859-1 instead. */
static char *text_clean(const char *s, size_t n, bool latin1, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;

	buf_init(&b, 0);
	buf_reserve(&b, n + 1);
	while (n) {
		size_t k = 1;
		if (latin1 && *p >= 0x80) {
			buf_putc(&b, (char)(0xc0 | (*p >> 6)));
			buf_putc(&b, (char)(0x80 | (*p & 0x3f)));
		} else if (*p && (k = latin1 ? 1 : utf8_seq(p, n))) {
			buf_append(&b, p, k);
		} else {
			buf_puts(&b, "\xef\xbf\xbd"); /* U+FFFD */
			k = 1;
		}
		p += k;
		n -= k;
	}
	*outlen = b.len;
	buf_cstr(&b);
	return b.p;
}

/* Message ids: microseconds of the wall clock, strictly increasing in one
 * run, so that they are unique in a history across runs too. */
static uint64_t new_id(void)
{
	struct timespec ts;
	uint64_t id;

	clock_gettime(CLOCK_REALTIME, &ts);
	id = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	if (id <= g.last_id)
		id = g.last_id + 1;
	g.last_id = id;
	return id;
}

/* ------------------------------------------------------------------ */
/* peers: canonical URIs and file names */

static int canon(const struct sip_uri *u, char *out, size_t size)
{
	struct buf b;
	int err;

	if ((u->scheme != SIP_SCHEME_SIP && u->scheme != SIP_SCHEME_SIPS) || !u->host.l)
		return EINVAL;
	buf_init(&b, size);
	buf_puts(&b, u->scheme == SIP_SCHEME_SIPS ? "sips:" : "sip:");
	if (u->user.l) {
		buf_putpl(&b, &u->user);
		buf_putc(&b, '@');
	}
	if (u->ipv6)
		buf_putc(&b, '[');
	for (size_t i = 0; i < u->host.l; i++)
		buf_putc(&b, (char)tolower((unsigned char)u->host.p[i]));
	if (u->ipv6)
		buf_putc(&b, ']');
	if (u->port)
		buf_printf(&b, ":%u", u->port);
	buf_cstr(&b);
	err = b.err ? ENAMETOOLONG : 0;
	if (!err)
		memcpy(out, b.p, b.len + 1);
	buf_free(&b);
	return err;
}

static int canon_text(const char *text, char *out, size_t size)
{
	struct sip_uri u;
	struct pl t = pl_cstr(text);

	pl_trim(&t);
	if (sip_uri_parse(&u, &t))
		return EINVAL;
	return canon(&u, out, size);
}

/* "bob@host", "1234" (at the account's domain) or a full URI, as calls do. */
static char *expand_target(const struct account *a, const char *t)
{
	char *out;

	while (*t == ' ' || *t == '\t')
		t++;
	if (!strncasecmp(t, "sip:", 4) || !strncasecmp(t, "sips:", 5))
		return xstrdup(t);
	if (!*t || strchr(t, ':') == t)
		return NULL;
	if (strchr(t, '@')) {
		xasprintf(&out, "sip:%s", t);
		return out;
	}
	if (!a)
		return NULL;
	xasprintf(&out, "sip:%s@%s", t, a->domain);
	return out;
}

int im_peer_uri(const struct account *acc, const char *to, char *out, size_t size)
{
	char *uri = to ? expand_target(acc, to) : NULL;
	int err;

	if (!uri)
		return EINVAL;
	err = canon_text(uri, out, size);
	free(uri);
	return err;
}

/* The key of a peer given by a caller: a SIP address in any form im_send
 * takes, else the text itself (tel: and other peers are kept verbatim). */
static void peer_key(const char *in, char *out, size_t size)
{
	if (canon_text(in, out, size) && im_peer_uri(NULL, in, out, size))
		snprintf(out, size, "%s", in);
}

/* The history file of a peer: a readable, safe name and a hash of the
 * exact URI (two URIs that read the same still get two files). */
static void chat_path(const char *peer, char *path, size_t size)
{
	char name[NAME_MAX_CHARS + 1];
	const char *s = peer;
	size_t n = 0;

	if (!strncmp(s, "sip:", 4))
		s += 4;
	for (; *s && n < NAME_MAX_CHARS; s++) {
		char c = (char)tolower((unsigned char)*s);
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '@' ||
			  c == '.' || c == '_' || c == '-';
		name[n++] = ok ? c : '_';
	}
	name[n] = '\0';
	if (name[0] == '.')
		name[0] = '_';
	snprintf(path, size, "%s/%s-%016llx.chat", g.dir, name,
		 (unsigned long long)fnv64(peer, strlen(peer)));
}

static struct im_peer *peer_find(const char *uri)
{
	LIST_FOREACH(&g.peers, e) {
		struct im_peer *p = e->data;
		if (!strcmp(p->uri, uri))
			return p;
	}
	return NULL;
}

static bool peer_idle(const struct im_peer *p)
{
	return !list_count(&p->queue) && !p->comp && !p->unread && !p->their_active &&
	       !p->our_active;
}

static void peer_free(struct im_peer *p)
{
	tmr_cancel(&p->t_theirs);
	list_unlink(&p->le);
	free(p->comp_ruri);
	free(p->uri);
	free(p);
}

/* O(peers): a few hundred at most, and only on a MESSAGE. */
static struct im_peer *peer_get(const char *uri)
{
	struct im_peer *p = peer_find(uri);

	if (p)
		return p;
	if (list_count(&g.peers) >= PEERS_MAX) {
		/* forget the oldest peer that has nothing going on */
		LIST_FOREACH(&g.peers, e) {
			if (peer_idle(e->data)) {
				peer_free(e->data);
				break;
			}
		}
	}
	p = xcalloc(1, sizeof(*p));
	p->uri = xstrdup(uri);
	p->comp_next = -1;
	list_init(&p->queue);
	tmr_init(&p->t_theirs);
	list_append(&g.peers, &p->le, p);
	return p;
}

/* ------------------------------------------------------------------ */
/* the history */

const char *im_dir(void)
{
	return g.dir;
}

static void put_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		default:
			buf_putc(b, s[i]);
		}
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Append one record to the peer's file and make it durable.  A new file
 * starts with the header line (and the directory is synced so that the
 * file itself survives a power loss); after a torn last line the record
 * starts on a line of its own. */
static int hist_append(const char *peer, const char *rec, size_t len)
{
	char path[4096];
	struct stat st;
	struct buf b;
	int fd, err = 0;

	if (!g.dir)
		return 0;
	chat_path(peer, path, sizeof(path));
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	buf_init(&b, 0);
	if (fstat(fd, &st) < 0) {
		err = errno;
		goto out;
	}
	if (st.st_size == 0) {
		buf_printf(&b, HDR_LINE "%s\n", peer);
	} else {
		char c = '\n';
		if (pread(fd, &c, 1, st.st_size - 1) == 1 && c != '\n')
			buf_putc(&b, '\n');
	}
	buf_append(&b, rec, len);
	err = write_all(fd, b.p, b.len);
	if (!err && fdatasync(fd) < 0)
		err = errno;
out:
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && st.st_size == 0) {
		int dfd = open(g.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			if (fsync(dfd) < 0)
				err = errno;
			close(dfd);
		}
	}
	buf_free(&b);
	return err;
}

/* One record: time, dir, id, status, text, check. */
static int hist_record(const char *peer, const char *dir, uint64_t id, const char *status,
		       const char *text, size_t len)
{
	struct buf b;
	int err;

	buf_init(&b, 0);
	buf_printf(&b, "%lld\t%s\t%llu\t%s\t", (long long)time(NULL), dir,
		   (unsigned long long)id, status);
	put_escaped(&b, text, len);
	buf_printf(&b, "\t%08x\n", (unsigned)fnv32(b.p, b.len));
	err = hist_append(peer, b.p, b.len);
	buf_free(&b);
	return err;
}

enum { R_IN, R_OUT, R_STATUS };

struct hrec {
	time_t when;
	int dir;
	uint64_t id;
	const char *status;
	char *text;               /* unescaped in place */
	size_t len;
	/* folded, for messages */
	unsigned code;
	const char *reason;
};

static const char *const statuses[] = { "received", "sending", "delivered", "stored",
					"failed", NULL };

static const char *status_name(const char *s, size_t n)
{
	for (const char *const *k = statuses; *k; k++)
		if (strlen(*k) == n && !memcmp(*k, s, n))
			return *k;
	return NULL;
}

static bool num_field(const char *s, size_t n, unsigned long long *out)
{
	unsigned long long v = 0;
	if (!n || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* Parse one line (without its '\n') in place; false for a torn or foreign
 * line. */
static bool parse_line(char *l, size_t n, struct hrec *r)
{
	char *f[6], *last = memrchr(l, '\t', n), *p = l, *w;
	size_t fl[6];
	unsigned long long v;
	char hex[9];

	if (!last || (size_t)(l + n - last - 1) != 8)
		return false;
	snprintf(hex, sizeof(hex), "%08x", (unsigned)fnv32(l, (size_t)(last - l)));
	if (memcmp(hex, last + 1, 8))
		return false;
	for (int k = 0; k < 4; k++) {
		char *t = memchr(p, '\t', (size_t)(last - p));
		if (!t)
			return false;
		f[k] = p;
		fl[k] = (size_t)(t - p);
		p = t + 1;
	}
	f[4] = p;
	fl[4] = (size_t)(last - p);
	if (!num_field(f[0], fl[0], &v))
		return false;
	r->when = (time_t)v;
	if (fl[1] == 2 && !memcmp(f[1], "in", 2))
		r->dir = R_IN;
	else if (fl[1] == 3 && !memcmp(f[1], "out", 3))
		r->dir = R_OUT;
	else if (fl[1] == 6 && !memcmp(f[1], "status", 6))
		r->dir = R_STATUS;
	else
		return false;
	if (!num_field(f[2], fl[2], &v))
		return false;
	r->id = v;
	if (!(r->status = status_name(f[3], fl[3])))
		return false;
	/* unescape the text in place */
	w = r->text = f[4];
	for (size_t i = 0; i < fl[4]; i++) {
		char c = f[4][i];
		if (c == '\\' && i + 1 < fl[4]) {
			c = f[4][++i];
			c = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c;
		}
		*w++ = c;
	}
	*w = '\0';
	r->len = (size_t)(w - r->text);
	r->code = 0;
	r->reason = "";
	return true;
}

static int cmp_idx(const void *a, const void *b, void *arg)
{
	const struct hrec *r = arg;
	uint64_t x = r[*(const size_t *)a].id, y = r[*(const size_t *)b].id;
	return x < y ? -1 : x > y;
}

static bool in_flight(const char *peer, uint64_t id)
{
	struct im_peer *p = peer_find(peer);
	if (!p)
		return false;
	LIST_FOREACH(&p->queue, e) {
		const struct im_out *o = e->data;
		if (o->id == id)
			return true;
	}
	return false;
}

int im_history(const char *peer, im_rec_h *h, void *arg)
{
	char uri[URI_MAX], path[4096];
	char *data, *l;
	size_t len, n = 0, cap = 0, nmsg = 0;
	struct hrec *r = NULL;
	size_t *idx;
	int err;

	if (!peer || !*peer || !h)
		return EINVAL;
	peer_key(peer, uri, sizeof(uri));
	if (!g.dir)
		return ENOENT;
	chat_path(uri, path, sizeof(path));
	err = fs_read_file(path, &data, &len, HIST_MAX, NULL);
	if (err)
		return err;
	/* only lines ended by '\n': a torn last line is left out */
	for (l = data; l < data + len;) {
		char *nl = memchr(l, '\n', (size_t)(data + len - l));
		if (!nl)
			break;
		*nl = '\0';
		if (*l != '#') {
			if (n == cap) {
				cap = cap ? cap * 2 : 256;
				r = xrealloc(r, cap * sizeof(*r));
			}
			if (parse_line(l, (size_t)(nl - l), &r[n])) {
				nmsg += r[n].dir != R_STATUS;
				n++;
			}
		}
		l = nl + 1;
	}
	/* fold each status record into its message: sort the messages by id */
	idx = xcalloc(nmsg ? nmsg : 1, sizeof(*idx));
	for (size_t i = 0, k = 0; i < n; i++)
		if (r[i].dir != R_STATUS)
			idx[k++] = i;
	qsort_r(idx, nmsg, sizeof(*idx), cmp_idx, r);
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = nmsg;
		if (r[i].dir != R_STATUS)
			continue;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (r[idx[mid]].id < r[i].id)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nmsg && r[idx[lo]].id == r[i].id && r[idx[lo]].dir == R_OUT) {
			struct hrec *m = &r[idx[lo]];
			char *sp = strchr(r[i].text, ' ');
			unsigned long long code = 0;
			m->status = r[i].status;
			if (num_field(r[i].text, sp ? (size_t)(sp - r[i].text) : r[i].len, &code))
				m->code = (unsigned)code;
			m->reason = sp ? sp + 1 : "";
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct im_rec rec;
		if (r[i].dir == R_STATUS)
			continue;
		rec.when = r[i].when;
		rec.incoming = r[i].dir == R_IN;
		rec.id = r[i].id;
		rec.status = r[i].status;
		if (!strcmp(rec.status, "sending") && !in_flight(uri, rec.id))
			rec.status = "unknown";
		rec.code = r[i].code;
		rec.reason = r[i].reason;
		rec.text = r[i].text;
		rec.len = r[i].len;
		h(&rec, arg);
	}
	free(idx);
	free(r);
	free(data);
	return 0;
}

struct peer_ent {
	char *uri;
	time_t last;
};

static int cmp_last(const void *a, const void *b)
{
	const struct peer_ent *x = a, *y = b;
	if (x->last != y->last)
		return x->last > y->last ? -1 : 1;
	return strcmp(x->uri, y->uri);
}

/* The peer URI from a history file's first line. */
static char *file_peer(int dirfd, const char *name)
{
	char line[URI_MAX + sizeof(HDR_LINE) + 1];
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	char *nl;

	if (fd < 0)
		return NULL;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	line[n] = '\0';
	nl = strchr(line, '\n');
	if (!nl || strncmp(line, HDR_LINE, strlen(HDR_LINE)))
		return NULL;
	*nl = '\0';
	return xstrdup(line + strlen(HDR_LINE));
}

int im_peers(im_peer_h *h, void *arg)
{
	struct peer_ent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dir;

	if (!h)
		return EINVAL;
	if (!g.dir)
		return 0;
	dir = opendir(g.dir);
	if (!dir)
		return errno;
	while ((d = readdir(dir))) {
		size_t l = strlen(d->d_name);
		struct stat st;
		char *uri;
		if (d->d_name[0] == '.' || l < 6 || strcmp(d->d_name + l - 5, ".chat"))
			continue;
		if (fstatat(dirfd(dir), d->d_name, &st, 0) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (!(uri = file_peer(dirfd(dir), d->d_name)))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n].uri = uri;
		v[n].last = st.st_mtime;
		n++;
	}
	closedir(dir);
	if (n)
		qsort(v, n, sizeof(*v), cmp_last);
	for (size_t i = 0; i < n; i++) {
		struct im_peer_info info = { v[i].uri, im_unread(v[i].uri), v[i].last };
		h(&info, arg);
		free(v[i].uri);
	}
	free(v);
	return 0;
}

unsigned im_unread(const char *peer)
{
	char uri[URI_MAX];
	struct im_peer *p;

	if (!peer)
		return 0;
	peer_key(peer, uri, sizeof(uri));
	p = peer_find(uri);
	return p ? p->unread : 0;
}

void im_mark_read(const char *peer)
{
	char uri[URI_MAX];
	struct im_peer *p;

	if (!peer)
		return;
	peer_key(peer, uri, sizeof(uri));
	if ((p = peer_find(uri)))
		p->unread = 0;
}

/* ------------------------------------------------------------------ */
/* sending */

static void out_free(struct im_out *o)
{
	sip_request_abandon(o->req);
	list_unlink(&o->le);
	free(o->ruri);
	free(o->body);
	free(o);
}

static int print_message(struct buf *b, enum sip_tp tp, const struct sa *laddr, void *arg)
{
	struct im_out *o = arg;
	struct account *a;
	const char *ua_str;
	struct pl body;

	if (!g.inited)
		return ECANCELED; /* after im_close: o is gone */
	a = o->acc;
	ua_str = sip_config(ua_sip(g.ua))->user_agent;
	body = pl_make(o->body, o->len);

	buf_printf(b, "To: <%s>\r\n", o->ruri);
	if (a && a->display)
		buf_printf(b, "From: \"%s\" <%s>;tag=%s\r\n", a->display, a->aor, o->ftag);
	else if (a)
		buf_printf(b, "From: <%s>;tag=%s\r\n", a->aor, o->ftag);
	else {
		buf_puts(b, "From: <sip:sipterm@");
		sip_print_sentby(b, laddr);
		buf_printf(b, ">;tag=%s\r\n", o->ftag);
	}
	buf_printf(b, "Call-ID: %s\r\nCSeq: %u MESSAGE\r\nMax-Forwards: 70\r\n", o->callid,
		   o->cseq);
	if (a && a->outbound_proxy)
		buf_printf(b, "Route: <%s;lr>\r\n", a->outbound_proxy);
	if (ua_str)
		buf_printf(b, "User-Agent: %s\r\n", ua_str);
	if (a)
		sip_auth_apply(a->auth, b, "MESSAGE", o->ruri, &body);
	buf_printf(b, "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n", o->ctype, o->len);
	/* RFC 3428 6: over 1300 bytes only with congestion control */
	if (tp == SIP_TP_UDP && b->len + o->len > IM_UDP_MAX)
		return EMSGSIZE;
	buf_append(b, o->body, o->len);
	return b->err;
}

static void on_resp(int err, const struct sip_msg *resp, void *arg);

static int out_send(struct im_out *o)
{
	struct sip_req_params p;
	struct account *a = o->acc;

	memset(&p, 0, sizeof(p));
	p.method = "MESSAGE";
	p.ruri = o->ruri;
	p.nexthop = a ? a->outbound_proxy : NULL;
	if (o->big) {
		/* a stream: the account's if it has one, else TCP (TLS for sips) */
		if (a && a->tp_set && sip_tp_reliable(a->tp))
			p.tp = a->tp;
		else
			p.tp = strncasecmp(o->ruri, "sips:", 5) ? SIP_TP_TCP : SIP_TP_TLS;
		p.force_tp = true;
	} else if (a && a->tp_set) {
		p.tp = a->tp;
		p.force_tp = true;
	}
	p.printh = print_message;
	p.arg = o;
	return sip_request(&o->req, ua_sip(g.ua), &p, on_resp, o);
}

/* A text message's outcome: history, event, and the next in the queue. */
static void out_done(struct im_out *o, const char *status, unsigned code, const char *reason)
{
	struct im_peer *p = o->p;
	struct ev *e;
	char *rec;
	int err;

	if (!o->id) {
		/* an is-composing indication: only worth a line in the log */
		if (strcmp(status, "delivered") && strcmp(status, "stored"))
			log_i("is-composing to %s: %u %s", p->uri, code, reason);
		p->comp = NULL;
		out_free(o);
		if (p->comp_next >= 0)
			comp_send(p);
		return;
	}
	xasprintf(&rec, "%u %s", code, reason);
	err = hist_record(p->uri, "status", o->id, status, rec, strlen(rec));
	free(rec);
	if (err)
		log_w("cannot write the status of message %llu to the history of %s: %s",
		      (unsigned long long)o->id, p->uri, strerror(err));
	if (strcmp(status, "failed"))
		log_d("message %llu to %s: %s (%u %s)", (unsigned long long)o->id, p->uri,
		      status, code, reason);
	else
		log_i("message %llu to %s failed: %u %s", (unsigned long long)o->id, p->uri,
		      code, reason);
	e = ev_new("message-status");
	ev_int(e, "id", (long long)o->id);
	ev_str(e, "peer", p->uri);
	ev_str(e, "status", status);
	ev_int(e, "code", code);
	ev_str(e, "reason", reason);
	if (o->acc)
		ev_str(e, "account", o->acc->name);
	ev_emit(e);
	out_free(o);
	peer_kick(p);
}

static void out_error(struct im_out *o, int err)
{
	if (err == ETIMEDOUT)
		out_done(o, "failed", 408, "Request Timeout");
	else
		out_done(o, "failed", 503, strerror(err));
}

static void on_resp(int err, const struct sip_msg *resp, void *arg)
{
	struct im_out *o = arg;
	char reason[128];

	if (!g.inited || (!err && resp->scode < 200))
		return; /* after im_close o is gone */
	o->req = NULL;
	if (err == EMSGSIZE && !o->big) {
		/* it grew past the UDP limit (credentials): a stream then */
		o->big = true;
		err = out_send(o);
		if (!err)
			return;
	}
	if (err) {
		out_error(o, err);
		return;
	}
	pl_strcpy(&resp->reason, reason, sizeof(reason));
	if ((resp->scode == 401 || resp->scode == 407) && o->acc) {
		int rc = o->auth_rounds++ < MAX_AUTH_ROUNDS ?
			 sip_auth_challenge(o->acc->auth, resp, o->auth_rounds > 1) : EACCES;
		if (rc == 0) {
			o->cseq++;
			rc = out_send(o);
			if (rc == 0)
				return;
			out_error(o, rc);
			return;
		}
		out_done(o, "failed", resp->scode,
			 rc == EACCES ? "authentication failed" : reason);
		return;
	}
	if (resp->scode < 300)
		out_done(o, resp->scode == 202 ? "stored" : "delivered", resp->scode, reason);
	else
		out_done(o, "failed", resp->scode, reason);
}

static struct im_out *out_new(struct im_peer *p, struct account *acc, const char *ruri)
{
	struct im_out *o = xcalloc(1, sizeof(*o));

	o->p = p;
	o->acc = acc;
	o->ruri = xstrdup(ruri);
	sip_rand_token(o->callid, 24);
	sip_rand_token(o->ftag, 10);
	o->cseq = 1;
	return o;
}

/* Send the head of the queue when nothing is on the wire.  A send that
 * fails at once is reported and the next one tried (iteratively: a queue
 * of failures does not recurse). */
static void peer_kick(struct im_peer *p)
{
	if (p->kicking)
		return;
	p->kicking = true;
	while (p->queue.head) {
		struct im_out *o = p->queue.head->data;
		int err;
		if (o->req)
			break;
		err = out_send(o);
		if (!err)
			break;
		out_error(o, err);
	}
	p->kicking = false;
}

int im_send(struct account *acc, const char *to, const char *text, uint64_t *id)
{
	char peer[URI_MAX];
	struct im_peer *p;
	struct im_out *o;
	struct sip_uri u;
	struct pl t;
	char *ruri;
	size_t len;
	struct ev *e;
	int err;

	if (!g.inited || !to || !text)
		return EINVAL;
	len = strlen(text);
	if (!len || !utf8_valid(text, len))
		return EINVAL;
	if (len > IM_MAX_TEXT)
		return EMSGSIZE;
	ruri = expand_target(acc, to);
	if (!ruri)
		return EINVAL;
	t = pl_cstr(ruri);
	if (sip_uri_parse(&u, &t) || canon(&u, peer, sizeof(peer))) {
		free(ruri);
		return EINVAL;
	}
	p = peer_get(peer);
	if (list_count(&p->queue) >= QUEUE_MAX) {
		free(ruri);
		return ENOBUFS;
	}
	o = out_new(p, acc, ruri);
	free(ruri);
	o->id = new_id();
	o->ctype = "text/plain;charset=UTF-8";
	o->body = xstrdup(text);
	o->len = len;
	/* headers and Via take some 400-900 bytes: clearly big goes by TCP at
	 * once; print_message catches the rest */
	o->big = len + 400 > IM_UDP_MAX;
	err = hist_record(peer, "out", o->id, "sending", text, len);
	if (err) {
		log_w("cannot write to the history of %s: %s; the message is not sent", peer,
		      strerror(err));
		out_free(o);
		return err;
	}
	list_append(&p->queue, &o->le, o);
	/* a message ends "composing" (RFC 3994 3.2): an indication not yet
	 * sent is dropped (one on the wire may still arrive after the text:
	 * the peer's refresh timer ends it) */
	p->our_active = false;
	p->comp_next = -1;
	e = ev_new("message");
	ev_str(e, "direction", "out");
	ev_str(e, "peer", peer);
	ev_str(e, "text", text);
	ev_int(e, "id", (long long)o->id);
	ev_str(e, "status", "sending");
	if (acc)
		ev_str(e, "account", acc->name);
	ev_emit(e);
	if (id)
		*id = o->id;
	peer_kick(p);
	return 0;
}

/* ------------------------------------------------------------------ */
/* is-composing */

static void comp_send(struct im_peer *p)
{
	struct im_out *o;
	struct buf b;
	bool active = p->comp_next == 1;
	int err;

	if (p->comp || p->comp_next < 0 || !p->comp_ruri)
		return;
	p->comp_next = -1;
	buf_init(&b, 4096);
	err = iscomposing_build(&b, active, active ? COMPOSE_SEND_REFRESH : 0);
	if (err) {
		buf_free(&b);
		log_w("cannot build an is-composing document: %s", strerror(err));
		return;
	}
	o = out_new(p, p->comp_acc, p->comp_ruri);
	o->ctype = "application/im-iscomposing+xml";
	o->len = b.len;
	o->body = xstrndup(b.p, b.len);
	buf_free(&b);
	p->comp = o;
	err = out_send(o);
	if (err) {
		p->comp = NULL;
		log_i("is-composing to %s: %s", p->uri, strerror(err));
		out_free(o);
	}
}

int im_compose(struct account *acc, const char *to, bool active)
{
	char peer[URI_MAX];
	struct im_peer *p;
	uint64_t now = tmr_now();
	char *ruri;
	int err;

	if (!g.inited || !to)
		return EINVAL;
	ruri = expand_target(acc, to);
	if (!ruri)
		return EINVAL;
	err = canon_text(ruri, peer, sizeof(peer));
	if (err) {
		free(ruri);
		return EINVAL;
	}
	p = peer_get(peer);
	if (active) {
		if (p->our_active && now - p->our_active_at < IM_COMPOSE_REFRESH * 1000u) {
			free(ruri);
			return 0;
		}
		p->our_active = true;
		p->our_active_at = now;
	} else {
		if (!p->our_active) {
			free(ruri);
			return 0;
		}
		p->our_active = false;
	}
	free(p->comp_ruri);
	p->comp_ruri = ruri;
	p->comp_acc = acc;
	p->comp_next = active;
	comp_send(p);
	return 0;
}

static void emit_composing(struct im_peer *p, struct account *acc, bool active)
{
	struct ev *e = ev_new("composing");
	ev_str(e, "peer", p->uri);
	ev_str(e, "state", active ? "active" : "idle");
	if (acc)
		ev_str(e, "account", acc->name);
	ev_emit(e);
}

static void theirs_expired(void *arg)
{
	struct im_peer *p = arg;
	p->their_active = false;
	emit_composing(p, NULL, false);
}

static void on_composing(struct im_peer *p, struct account *acc, struct sip_strans *st,
			 const struct sip_msg *req)
{
	bool active;
	unsigned refresh;
	const char *why;

	if (iscomposing_parse(req->body.p, req->body.l, &active, &refresh, &why)) {
		log_i("bad is-composing from %s: %s", p->uri, why ? why : "?");
		sip_reply(st, 400, "Bad isComposing document", NULL, NULL, NULL);
		return;
	}
	sip_reply(st, 200, NULL, NULL, NULL, NULL);
	if (active) {
		if (!refresh)
			refresh = COMPOSE_DEFAULT_REFRESH;
		if (refresh > 3600)
			refresh = 3600;
		tmr_start(&p->t_theirs, (uint64_t)refresh * 1000, theirs_expired, p);
		if (!p->their_active) {
			p->their_active = true;
			emit_composing(p, acc, true);
		}
	} else {
		tmr_cancel(&p->t_theirs);
		if (p->their_active) {
			p->their_active = false;
			emit_composing(p, acc, false);
		}
	}
}

/* ------------------------------------------------------------------ */
/* receiving */

/* A MESSAGE seen before (From tag, Call-ID, CSeq) within IM_DEDUP_SECS:
 * O(DEDUP_MAX) per MESSAGE, a few microseconds. */
static bool seen_before(uint64_t key)
{
	uint64_t now = tmr_now();
	for (unsigned i = 0; i < DEDUP_MAX; i++)
		if (g.seen[i].at && g.seen[i].key == key && now - g.seen[i].at < IM_DEDUP_SECS * 1000u)
			return true;
	return false;
}

static void remember(uint64_t key)
{
	uint64_t now = tmr_now();
	g.seen[g.seen_next].key = key;
	g.seen[g.seen_next].at = now ? now : 1;
	g.seen_next = (g.seen_next + 1) % DEDUP_MAX;
}

static uint64_t msg_key(const struct sip_msg *req)
{
	struct buf b;
	uint64_t k;

	buf_init(&b, 0);
	buf_putpl(&b, &req->from.tag);
	buf_putc(&b, '\n');
	buf_putpl(&b, &req->callid);
	buf_printf(&b, "\n%u", req->cseq.num);
	k = fnv64(b.p, b.len);
	buf_free(&b);
	return k;
}

/* The charset parameter, unquoted; unset when there is none. */
static struct pl charset(const struct sip_msg *req)
{
	struct pl v;
	if (sip_param_find(&req->ctype_params, "charset", &v))
		return PL_NULL;
	if (v.l >= 2 && v.p[0] == '"' && v.p[v.l - 1] == '"') {
		v.p++;
		v.l -= 2;
	}
	return v;
}

static bool is_latin1(const struct sip_msg *req)
{
	struct pl v = charset(req);
	return pl_caseeq_str(&v, "iso-8859-1") || pl_caseeq_str(&v, "latin1") ||
	       pl_caseeq_str(&v, "iso_8859-1");
}

/* Text we can show: UTF-8 (also when unsaid), US-ASCII or Latin-1.  A
 * UTF-16 body shown as bytes would be garbage: 415 names what we take. */
static bool charset_ok(const struct sip_msg *req)
{
	struct pl v = charset(req);
	return !pl_isset(&v) || pl_caseeq_str(&v, "utf-8") || pl_caseeq_str(&v, "utf8") ||
	       pl_caseeq_str(&v, "us-ascii") || is_latin1(req);
}

static bool on_message(struct ua *ua, struct account *acc, struct sip_strans *st,
		       const struct sip_msg *req, const struct sip_rx *rx, void *arg)
{
	char peer[URI_MAX];
	struct im_peer *p;
	uint64_t key, id;
	char *text;
	size_t len;
	struct ev *e;
	int err;
	(void)ua;
	(void)rx;
	(void)arg;

	if (canon(&req->from.uri, peer, sizeof(peer))) {
		/* tel: and friends: the URI as written, bounded */
		size_t n = req->from.auri.l < sizeof(peer) - 1 ? req->from.auri.l : sizeof(peer) - 1;
		memcpy(peer, req->from.auri.p, n);
		peer[n] = '\0';
	}
	if (!req->body.l) {
		sip_reply(st, 400, "MESSAGE without a body", NULL, NULL, NULL);
		return true;
	}
	p = peer_get(peer);
	if (pl_caseeq_str(&req->ctype, "application/im-iscomposing+xml")) {
		on_composing(p, acc, st, req);
		return true;
	}
	if (!pl_caseeq_str(&req->ctype, "text/plain")) {
		sip_replyf(st, 415, NULL, "Accept: text/plain, application/im-iscomposing+xml\r\n");
		return true;
	}
	if (!charset_ok(req)) {
		sip_replyf(st, 415, "Unsupported charset",
			   "Accept: text/plain;charset=UTF-8, text/plain;charset=ISO-8859-1\r\n");
		return true;
	}
	key = msg_key(req);
	if (seen_before(key)) {
		log_d("MESSAGE from %s seen before (Call-ID %.*s): not shown again", peer,
		      PL_ARG(req->callid));
		sip_reply(st, 200, NULL, NULL, NULL, NULL);
		return true;
	}
	text = text_clean(req->body.p, req->body.l, is_latin1(req), &len);
	id = new_id();
	/* durable first: a message is answered and shown only once on disk */
	err = hist_record(peer, "in", id, "received", text, len);
	if (err) {
		log_e("cannot write a message from %s to the history: %s; refusing it", peer,
		      strerror(err));
		sip_reply(st, 500, "Cannot store the message", NULL, NULL, NULL);
		free(text);
		return true;
	}
	remember(key);
	sip_reply(st, 200, NULL, NULL, NULL, NULL);
	if (p->their_active) {
		/* a message ends their composing (RFC 3994 3.3) */
		tmr_cancel(&p->t_theirs);
		p->their_active = false;
		emit_composing(p, acc, false);
	}
	p->unread++;
	e = ev_new("message");
	ev_str(e, "direction", "in");
	ev_str(e, "peer", peer);
	ev_str(e, "text", text);
	ev_int(e, "id", (long long)id);
	ev_str(e, "status", "received");
	if (acc)
		ev_str(e, "account", acc->name);
	if (pl_isset(&req->from.dname)) {
		char name[128];
		if (sip_addr_dname(&req->from, name, sizeof(name)) == 0)
			ev_str(e, "name", name);
	}
	ev_emit(e);
	free(text);
	return true;
}

/* ------------------------------------------------------------------ */

int im_init(struct ua *ua)
{
	char dir[4096];
	int err;

	memset(&g, 0, sizeof(g));
	g.ua = ua;
	list_init(&g.peers);
	err = fs_data_dir(dir, sizeof(dir), "chats");
	if (!err)
		err = fs_mkdir_p(dir, 0700);
	if (err)
		log_w("no chat history: cannot use the data directory (%s)", strerror(err));
	else
		g.dir = xstrdup(dir);
	ua_set_handler(ua, SIP_M_MESSAGE, on_message, NULL);
	g.inited = true;
	return 0;
}

void im_close(void)
{
	unsigned pending = 0;

	if (!g.inited)
		return;
	ua_set_handler(g.ua, SIP_M_MESSAGE, NULL, NULL);
	/* The loop has stopped: requests still out are left to sip_free(),
	 * which drops them without calling back.  Abandoning them here would
	 * queue their frees for loop_close(), after sip_free(): a double free.
	 * on_resp and print_message ignore them from now on anyway. */
	LIST_FOREACH_SAFE(&g.peers, e, tmp) {
		struct im_peer *p = e->data;
		LIST_FOREACH_SAFE(&p->queue, q, qtmp) {
			struct im_out *o = q->data;
			pending++;
			o->req = NULL;
			out_free(o);
		}
		if (p->comp) {
			p->comp->req = NULL;
			out_free(p->comp);
		}
		peer_free(p);
	}
	if (pending)
		log_w("%u message%s still waiting for an answer: their outcome is unknown",
		      pending, pending > 1 ? "s" : "");
	free(g.dir);
	memset(&g, 0, sizeof(g));
}
