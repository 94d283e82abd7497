/* ui/cmd-wait.c: "wait SECONDS" and "wait EVENT [TIMEOUT]".
 * Events are kept in a short history so that a script's
 *   call sip:bob@host
 *   wait call-answered 30
 * cannot miss an answer that came before the wait started: a wait takes
 * the first matching event after the one its previous wait consumed.
 * Waiting for a call event (not call-incoming) ends early, with the
 * call's SIP status mapped to an exit status, when the call it is about
 * (the current one, else the newest) ends instead; waiting for
 * "registered" ends early on "registration-failed". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "event.h"
#include "loop.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "xmalloc.h"

#define HISTORY 256

static struct ev *hist[HISTORY];
static unsigned hist_next;
static bool sink_on;

struct waiter {
	struct cmd_ctx *ctx;
	char event[48];
	struct tmr t;
	unsigned secs;
	unsigned ms;
	unsigned call;          /* the call a call event wait is about (see about) */
	bool live;              /* ... a live call: only its end counts; else any newer */
	struct waiter *next;
};

static struct waiter *waiters;

/* Every event sipterm reports, for validating "wait EVENT" (the man page
 * lists the same: tests/cli/manpage.sh checks). */
const char *const cmd_wait_events[] = {
	"registered", "registration-failed", "unregistered",
	"call-incoming", "call-ringing", "call-progress", "call-answered", "call-held",
	"call-resumed", "call-ended", "call-stats", "dtmf", "audio-error", "presence",
	"message", "message-status", "composing",
	NULL,
};

/* Waits that the end of their call cuts short: call-ringing, -answered,
 * -held...  Not call-incoming, which waits for a call yet to come. */
static bool is_call_event(const char *name)
{
	return !strncmp(name, "call-", 5) && strcmp(name, "call-ended") != 0 &&
	       strcmp(name, "call-incoming") != 0;
}

/* Which call a wait for a call event is about: the current call (the one
 * commands without an id act on), else the newest one known, even ended
 * (a call that failed before the wait began).  The end of an older call
 * (hung up before "call" placed the next one) does not end the wait. */
static void about(struct waiter *w)
{
	struct call *c = call_current();
	unsigned newest = 0;

	if (c) {
		w->call = call_id(c);
		w->live = true;
		return;
	}
	LIST_FOREACH(call_list(), e) {
		unsigned id = call_id(e->data);
		if (id > newest)
			newest = id;
	}
	for (unsigned i = hist_next > HISTORY ? hist_next - HISTORY : 0; i < hist_next; i++) {
		long long id;
		if (hist[i % HISTORY] && ev_get_int(hist[i % HISTORY], "call", &id) &&
		    id > (long long)newest && id <= (long long)~0u)
			newest = (unsigned)id;
	}
	w->call = newest;
	w->live = false;
}

static void waiter_unlink(struct waiter *w)
{
	for (struct waiter **p = &waiters; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			break;
		}
	}
	tmr_cancel(&w->t);
}

static void waiter_done(struct waiter *w, int status)
{
	struct cmd_ctx *ctx = w->ctx;
	waiter_unlink(w);
	free(w);
	cmd_finish(ctx, status);
}

/* Does e settle w?  Returns -1 (no), or the exit status. */
static int settles(const struct waiter *w, const struct ev *e)
{
	long long status = 0;

	if (!strcmp(e->name, w->event))
		return EXIT_OK;
	if (is_call_event(w->event) && !strcmp(e->name, "call-ended")) {
		long long id = 0;
		ev_get_int(e, "call", &id);
		if (w->live ? id != (long long)w->call : id < (long long)w->call)
			return -1;
		ev_get_int(e, "status", &status);
		cmd_error(w->ctx, 0, "wait %s: the call ended (%lld %s)", w->event, status,
			  ev_get(e, "reason") ? ev_get(e, "reason") : "");
		return app_exit_for_status((unsigned)status);
	}
	if (!strcmp(w->event, "registered") && !strcmp(e->name, "registration-failed") &&
	    list_count(ua_accounts(app.ua)) == 1) {
		ev_get_int(e, "status", &status);
		cmd_error(w->ctx, 0, "wait registered: registration failed (%lld %s)", status,
			  ev_get(e, "reason") ? ev_get(e, "reason") : "");
		return EXIT_AUTH;
	}
	return -1;
}

static void on_event(const struct ev *e, void *arg)
{
	(void)arg;
	ev_free(hist[hist_next % HISTORY]);
	hist[hist_next % HISTORY] = ev_dup(e);
	hist_next++;
	for (struct waiter *w = waiters, *next; w; w = next) {
		int st;
		next = w->next;
		st = settles(w, e);
		if (st >= 0) {
			w->ctx->mark = e->seq;
			waiter_done(w, st);
		}
	}
}

/* The command layer starts following events (main calls it once). */
void cmd_wait_init(void)
{
	cmd_call_init();
	if (!sink_on)
		ev_sink_add(on_event, NULL);
	sink_on = true;
}

/* The command layer closes: pending waits (and calls waiting for a
 * registration) fail. */
void cmd_wait_close(void)
{
	cmd_call_close();
	while (waiters)
		waiter_done(waiters, EXIT_FAIL);
	for (unsigned i = 0; i < HISTORY; i++) {
		ev_free(hist[i]);
		hist[i] = NULL;
	}
	if (sink_on)
		ev_sink_del(on_event, NULL);
	sink_on = false;
}

static void on_timeout(void *arg)
{
	struct waiter *w = arg;
	if (w->event[0])
		cmd_error(w->ctx, 0, "wait %s: timed out after %g s", w->event, w->ms / 1000.0);
	waiter_done(w, w->event[0] ? EXIT_NOANSWER : EXIT_OK);
}

static void cancel(struct cmd_ctx *ctx)
{
	struct waiter *w = ctx->state;
	if (w) {
		waiter_unlink(w);
		free(w);
	}
}

static bool parse_secs(const char *s, unsigned *out)
{
	char *e;
	double d = strtod(s, &e);
	if (e == s || *e || d < 0 || d > 86400)
		return false;
	*out = (unsigned)(d * 1000);
	return true;
}

int cmd_wait(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct waiter *w;
	unsigned ms = 0;

	w = xcalloc(1, sizeof(*w));
	w->ctx = ctx;
	tmr_init(&w->t);
	if (parse_secs(argv[1], &ms)) {
		if (argc > 2) {
			free(w);
			return cmd_error(ctx, EXIT_USAGE, "usage: wait SECONDS | wait EVENT [TIMEOUT]");
		}
	} else {
		bool ok = false;
		for (const char *const *k = cmd_wait_events; *k && !ok; k++)
			ok = !strcmp(*k, argv[1]);
		if (!ok) {
			free(w);
			return cmd_error(ctx, EXIT_USAGE,
					 "wait: unknown event '%s' (see EVENTS in sipterm(1))", argv[1]);
		}
		snprintf(w->event, sizeof(w->event), "%s", argv[1]);
		about(w);
		ms = 60000;
		if (argc > 2 && !parse_secs(argv[2], &ms)) {
			free(w);
			return cmd_error(ctx, EXIT_USAGE, "wait: '%s' is not a number of seconds",
					 argv[2]);
		}
		/* already happened since this source's last wait? */
		for (unsigned i = hist_next > HISTORY ? hist_next - HISTORY : 0; i < hist_next; i++) {
			const struct ev *e = hist[i % HISTORY];
			int st;
			if (!e || e->seq <= ctx->mark)
				continue;
			st = settles(w, e);
			if (st >= 0) {
				ctx->mark = e->seq;
				free(w);
				return st;
			}
		}
	}
	w->secs = (ms + 999) / 1000;
	w->ms = ms;
	w->next = waiters;
	waiters = w;
	tmr_start(&w->t, ms, on_timeout, w);
	cmd_pending(ctx, w, cancel);
	return 0;
}
