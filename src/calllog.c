/* calllog.c: call history.  Records come from call-ended events; the last
 * CALLLOG_MAX are kept in memory, the file keeps everything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fsutil.h"
#include "calllog.h"
#include "log.h"
#include "xmalloc.h"

#define LOG_MOD "history"
#define CALLLOG_MAX 500

static struct {
	char *path;
	struct calllog_rec *recs;   /* ring of the newest CALLLOG_MAX */
	size_t n, head;
	bool open;
} g;

static void keep(const struct calllog_rec *r)
{
	if (g.n < CALLLOG_MAX) {
		g.recs[(g.head + g.n) % CALLLOG_MAX] = *r;
		g.n++;
	} else {
		g.recs[g.head] = *r;
		g.head = (g.head + 1) % CALLLOG_MAX;
	}
}

/* Tabs and line ends would break the record: they become spaces. */
static void clean(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

static void on_event(const struct ev *e, void *arg)
{
	struct calllog_rec r;
	long long v;
	const char *s;
	char line[512];
	int n;
	(void)arg;

	if (strcmp(e->name, "call-ended"))
		return;
	memset(&r, 0, sizeof(r));
	r.when = time(NULL);
	r.incoming = (s = ev_get(e, "direction")) && !strcmp(s, "in");
	r.answered = (s = ev_get(e, "answered")) && !strcmp(s, "true");
	if (ev_get_int(e, "status", &v))
		r.status = (unsigned)v;
	if (ev_get_int(e, "duration", &v))
		r.duration = (unsigned)v;
	snprintf(r.peer, sizeof(r.peer), "%s", (s = ev_get(e, "peer")) ? s : "");
	snprintf(r.reason, sizeof(r.reason), "%s", (s = ev_get(e, "reason")) ? s : "");
	clean(r.peer);
	clean(r.reason);
	keep(&r);
	if (!g.path)
		return;
	n = snprintf(line, sizeof(line), "%lld\t%s\t%u\t%u\t%d\t%s\t%s\n", (long long)r.when,
		     r.incoming ? "in" : "out", r.status, r.duration, r.answered, r.peer,
		     r.reason);
	if (n > 0 && fs_append_sync(g.path, line, (size_t)n < sizeof(line) ? (size_t)n :
				    sizeof(line) - 1, 0600))
		log_w("cannot write the call history to %s", g.path);
}

static void load(void)
{
	char *text, *save = NULL;
	size_t len;

	if (fs_read_file(g.path, &text, &len, 64 * 1024 * 1024, NULL))
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct calllog_rec r;
		char *f[7], *p = l;
		int k = 0;
		memset(&r, 0, sizeof(r));
		for (; k < 7 && p; k++) {
			f[k] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (k < 6)
			continue; /* a torn last line */
		r.when = (time_t)strtoll(f[0], NULL, 10);
		r.incoming = !strcmp(f[1], "in");
		r.status = (unsigned)strtoul(f[2], NULL, 10);
		r.duration = (unsigned)strtoul(f[3], NULL, 10);
		r.answered = f[4][0] == '1';
		snprintf(r.peer, sizeof(r.peer), "%s", f[5]);
		snprintf(r.reason, sizeof(r.reason), "%s", k > 6 ? f[6] : "");
		keep(&r);
	}
	free(text);
}

/* path NULL: the default file; "" keeps the history in memory only. */
int calllog_open(const char *path)
{
	char dir[1024];

	g.recs = xcalloc(CALLLOG_MAX, sizeof(*g.recs));
	if (path && !*path) {
		g.path = NULL;
	} else if (path) {
		g.path = xstrdup(path);
	} else if (fs_data_dir(dir, sizeof(dir), NULL) == 0 && fs_mkdir_p(dir, 0700) == 0) {
		xasprintf(&g.path, "%s/calls", dir);
	}
	if (g.path)
		load();
	ev_sink_add(on_event, NULL);
	g.open = true;
	return 0;
}

void calllog_close(void)
{
	if (!g.open)
		return;
	ev_sink_del(on_event, NULL);
	free(g.path);
	free(g.recs);
	memset(&g, 0, sizeof(g));
}

size_t calllog_count(void)
{
	return g.n;
}

/* 0 is the oldest kept. */
const struct calllog_rec *calllog_get(size_t i)
{
	return i < g.n ? &g.recs[(g.head + i) % CALLLOG_MAX] : NULL;
}

bool calllog_missed(const struct calllog_rec *r)
{
	/* rang here and nobody answered (refusing on purpose is not missing) */
	return r->incoming && !r->answered && r->status != 486 && r->status != 603 &&
	       r->status != 488;
}
