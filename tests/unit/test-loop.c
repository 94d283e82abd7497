/* test-loop.c: unit tests for the timer heap (tmr) on a fake clock and for
 * the select() loop (loop) on real pipes, socketpairs, signals and a
 * second thread.  Real-clock waits are short and never timed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "tmr.h"
#include "xmalloc.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------- a clock the test advances ---------- */

static uint64_t fake_ms;

static uint64_t fake_clock(void)
{
	return fake_ms;
}

static int tmr_setup(void **state)
{
	(void)state;
	tmr_reset_all();
	fake_ms = 1000000;
	tmr_clock_set(fake_clock);
	return 0;
}

static int tmr_teardown(void **state)
{
	(void)state;
	tmr_reset_all();
	tmr_clock_set(NULL);
	return 0;
}

static uint32_t rnd_state;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* A timer with its expected deadline and start order, and a log of firings. */
struct rec {
	struct tmr t;
	size_t id;
	uint64_t due;  /* model */
	uint64_t order; /* model: start order */
	bool active;   /* model */
	unsigned fired;
};

static size_t fired_log[20000];
static uint64_t fired_at[20000];
static size_t nfired;

static void rec_h(void *arg)
{
	struct rec *r = arg;
	assert_false(tmr_active(&r->t));
	r->fired++;
	assert_true(nfired < N_ELEM(fired_log));
	fired_at[nfired] = fake_ms;
	fired_log[nfired++] = r->id;
}

/* Heap order is checked from outside: every poll must fire exactly the
 * model's due timers, sorted by (deadline, start order). */
static void check_poll(struct rec *recs, size_t n)
{
	size_t want[20000], nwant = 0, first = nfired;
	unsigned fired;

	for (size_t i = 0; i < n; i++)
		if (recs[i].active && recs[i].due <= fake_ms)
			want[nwant++] = i;
	/* insertion sort by (due, order): small batches */
	for (size_t i = 1; i < nwant; i++)
		for (size_t j = i; j > 0; j--) {
			struct rec *a = &recs[want[j - 1]], *b = &recs[want[j]];
			if (a->due < b->due || (a->due == b->due && a->order < b->order))
				break;
			size_t t = want[j];
			want[j] = want[j - 1];
			want[j - 1] = t;
		}
	fired = tmr_poll();
	assert_int_equal(fired, nwant);
	assert_int_equal(nfired - first, nwant);
	for (size_t k = 0; k < nwant; k++) {
		if (fired_log[first + k] != want[k])
			fail_msg("at %" PRIu64 ": firing %zu was timer %zu, want %zu (due %" PRIu64
				 ")", fake_ms, k, fired_log[first + k], want[k], recs[want[k]].due);
		recs[want[k]].active = false;
	}
}

static void test_tmr_many_random(void **state)
{
	enum { N = 5000 };
	struct rec *recs = xcalloc(N, sizeof(*recs));
	uint64_t order = 0, prev_due = 0;
	(void)state;

	rnd_state = 12345;
	nfired = 0;
	for (size_t i = 0; i < N; i++) {
		uint64_t delay = rnd() % 60000;
		tmr_init(&recs[i].t);
		recs[i].id = i;
		recs[i].due = fake_ms + delay;
		recs[i].order = order++;
		recs[i].active = true;
		tmr_start(&recs[i].t, delay, rec_h, &recs[i]);
		assert_true(tmr_active(&recs[i].t));
		assert_int_equal(tmr_remaining(&recs[i].t), delay);
	}
	assert_int_equal(tmr_count(), N);
	while (tmr_count()) {
		uint64_t due;
		assert_int_equal(tmr_next_due(&due), 0);
		assert_true(due >= prev_due);
		prev_due = due;
		fake_ms += rnd() % 200;
		check_poll(recs, N);
	}
	assert_int_equal(nfired, N);
	/* fired in global (deadline, start order) order and never early */
	for (size_t k = 0; k < N; k++) {
		struct rec *r = &recs[fired_log[k]];
		assert_int_equal(r->fired, 1);
		assert_true(r->due <= fired_at[k]);
		if (k) {
			struct rec *p = &recs[fired_log[k - 1]];
			assert_true(p->due < r->due || (p->due == r->due && p->order < r->order));
		}
	}
	assert_int_equal(tmr_next_due(&prev_due), 1);
	free(recs);
}

static void test_tmr_fifo_equal(void **state)
{
	enum { N = 300 };
	struct rec recs[N];
	(void)state;

	nfired = 0;
	memset(recs, 0, sizeof(recs));
	/* same deadline, started in an order the heap would not keep by itself */
	for (size_t i = 0; i < N; i++) {
		recs[i].id = i;
		tmr_start_at(&recs[i].t, fake_ms + 50, rec_h, &recs[i]);
	}
	/* restarting moves a timer to the back of its deadline's queue */
	tmr_start_at(&recs[7].t, fake_ms + 50, rec_h, &recs[7]);
	fake_ms += 49;
	assert_int_equal(tmr_poll(), 0);
	fake_ms += 1;
	assert_int_equal(tmr_poll(), N);
	for (size_t k = 0, want = 0; k < N; k++, want++) {
		if (want == 7)
			want++;
		if (k == N - 1)
			want = 7;
		assert_int_equal(fired_log[k], want);
	}
}

/* Start, restart, cancel from anywhere and poll at random, against a model. */
static void test_tmr_random_ops(void **state)
{
	enum { N = 600, OPS = 40000 };
	struct rec *recs = xcalloc(N, sizeof(*recs));
	uint64_t order = 0;
	(void)state;

	rnd_state = 777;
	nfired = 0;
	for (size_t i = 0; i < N; i++)
		recs[i].id = i;
	for (unsigned op = 0; op < OPS; op++) {
		struct rec *r = &recs[rnd() % N];
		unsigned what = rnd() % 16;
		size_t nactive = 0;

		if (what < 8) { /* start or restart */
			uint64_t delay = rnd() % 8 == 0 ? 0 : rnd() % 500;
			tmr_start(&r->t, delay, rec_h, r);
			r->due = fake_ms + delay;
			r->order = order++;
			r->active = true;
		} else if (what < 13) { /* cancel, running or not */
			tmr_cancel(&r->t);
			r->active = false;
			assert_false(tmr_active(&r->t));
		} else {
			fake_ms += rnd() % 100;
			if (nfired > N_ELEM(fired_log) - N)
				nfired = 0;
			check_poll(recs, N);
		}
		for (size_t i = 0; i < N; i++) {
			nactive += recs[i].active;
			assert_int_equal(tmr_active(&recs[i].t), recs[i].active);
		}
		assert_int_equal(tmr_count(), nactive);
	}
	/* drain */
	fake_ms += 1000;
	nfired = 0;
	check_poll(recs, N);
	assert_int_equal(tmr_count(), 0);
	free(recs);
}

static void test_tmr_cancel_random(void **state)
{
	enum { N = 3000 };
	struct rec *recs = xcalloc(N, sizeof(*recs));
	size_t ncancel = 0;
	(void)state;

	rnd_state = 4242;
	nfired = 0;
	for (size_t i = 0; i < N; i++) {
		uint64_t delay = rnd() % 1000;
		recs[i].id = i;
		recs[i].due = fake_ms + delay;
		recs[i].order = i;
		recs[i].active = true;
		tmr_start(&recs[i].t, delay, rec_h, &recs[i]);
	}
	for (size_t k = 0; k < N / 3; k++) {
		struct rec *r = &recs[rnd() % N];
		if (r->active)
			ncancel++;
		tmr_cancel(&r->t);
		tmr_cancel(&r->t); /* twice is a no-op */
		r->active = false;
		assert_int_equal(tmr_remaining(&r->t), 0);
	}
	assert_int_equal(tmr_count(), N - ncancel);
	while (tmr_count()) {
		fake_ms += 7;
		check_poll(recs, N);
	}
	assert_int_equal(nfired, N - ncancel);
	for (size_t i = 0; i < N; i++)
		assert_true(recs[i].fired <= 1);
	free(recs);
}

static void test_tmr_restart(void **state)
{
	struct rec r = { .id = 1 };
	uint64_t due;
	(void)state;

	nfired = 0;
	tmr_cancel(&r.t); /* never started: no-op */
	tmr_start(&r.t, 100, rec_h, &r);
	assert_int_equal(tmr_remaining(&r.t), 100);
	/* earlier */
	tmr_start(&r.t, 50, rec_h, &r);
	assert_int_equal(tmr_count(), 1);
	assert_int_equal(tmr_next_due(&due), 0);
	assert_true(due == fake_ms + 50);
	fake_ms += 50;
	assert_int_equal(tmr_remaining(&r.t), 0);
	assert_int_equal(tmr_poll(), 1);
	assert_int_equal(tmr_poll(), 0);
	assert_int_equal(r.fired, 1);

	/* later: the old deadline passes silently */
	tmr_start(&r.t, 10, rec_h, &r);
	tmr_start(&r.t, 100, rec_h, &r);
	assert_int_equal(tmr_count(), 1);
	fake_ms += 10;
	assert_int_equal(tmr_poll(), 0);
	assert_int_equal(tmr_remaining(&r.t), 90);
	fake_ms += 90;
	assert_int_equal(tmr_poll(), 1);
	assert_int_equal(r.fired, 2);
	assert_false(tmr_active(&r.t));
}

/* Handlers that touch other timers and themselves. */
struct actor {
	struct tmr t;
	int kind;
	struct actor *other;
	unsigned fired;
	uint64_t period;
};

enum { ACT_NOTHING, ACT_CANCEL_OTHER, ACT_RESTART_SELF, ACT_START_OTHER_NOW,
       ACT_START_SELF_NOW, ACT_CANCEL_SELF, ACT_FREE_SELF, ACT_PERIODIC };

static void actor_h(void *arg)
{
	struct actor *a = arg;
	a->fired++;
	switch (a->kind) {
	case ACT_CANCEL_OTHER:
		tmr_cancel(&a->other->t);
		break;
	case ACT_RESTART_SELF:
		tmr_start(&a->t, 10, actor_h, a);
		break;
	case ACT_START_OTHER_NOW:
		tmr_start(&a->other->t, 0, actor_h, a->other);
		break;
	case ACT_START_SELF_NOW:
		tmr_start(&a->t, 0, actor_h, a);
		break;
	case ACT_CANCEL_SELF:
		tmr_cancel(&a->t);
		break;
	case ACT_FREE_SELF:
		tmr_cancel(&a->t); /* the owner's destructor */
		free(a);
		break;
	case ACT_PERIODIC:
		/* drift-free: from the previous deadline, not from now */
		tmr_start_at(&a->t, a->t.due + a->period, actor_h, a);
		break;
	}
}

static void test_tmr_handlers(void **state)
{
	struct actor a = { .kind = ACT_CANCEL_OTHER }, b = { .kind = ACT_NOTHING };
	struct actor c = { .kind = ACT_START_OTHER_NOW }, d = { .kind = ACT_NOTHING };
	struct actor e = { .kind = ACT_RESTART_SELF }, f = { .kind = ACT_CANCEL_SELF };
	struct actor *g = xcalloc(1, sizeof(*g));
	(void)state;

	/* a cancels b, both due in this poll: b never fires */
	a.other = &b;
	tmr_start(&a.t, 5, actor_h, &a);
	tmr_start(&b.t, 5, actor_h, &b);
	/* c starts d for "now": d fires in the next poll, not this one */
	c.other = &d;
	tmr_start(&c.t, 5, actor_h, &c);
	/* e restarts itself, f cancels itself (already off the heap) */
	tmr_start(&e.t, 5, actor_h, &e);
	tmr_start(&f.t, 5, actor_h, &f);
	/* g frees its owner inside the handler */
	g->kind = ACT_FREE_SELF;
	tmr_start(&g->t, 5, actor_h, g);

	fake_ms += 5;
	assert_int_equal(tmr_poll(), 5); /* a, c, e, f, g */
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	assert_false(tmr_active(&b.t));
	assert_int_equal(c.fired, 1);
	assert_int_equal(d.fired, 0);
	assert_true(tmr_active(&d.t));
	assert_int_equal(e.fired, 1);
	assert_true(tmr_active(&e.t));
	assert_int_equal(tmr_remaining(&e.t), 10);
	assert_int_equal(f.fired, 1);
	assert_false(tmr_active(&f.t));
	assert_int_equal(tmr_count(), 2); /* d and e */

	/* next poll at the same time: only d */
	assert_int_equal(tmr_poll(), 1);
	assert_int_equal(d.fired, 1);
	fake_ms += 10;
	assert_int_equal(tmr_poll(), 1);
	assert_int_equal(e.fired, 2);
	tmr_cancel(&e.t);
	assert_int_equal(tmr_count(), 0);
}

static void test_tmr_zero_delay_self(void **state)
{
	struct actor a = { .kind = ACT_START_SELF_NOW };
	(void)state;

	/* a zero-delay re-arm fires once per poll and cannot spin */
	tmr_start(&a.t, 0, actor_h, &a);
	for (unsigned i = 1; i <= 5; i++) {
		assert_int_equal(tmr_poll(), 1);
		assert_int_equal(a.fired, i);
		assert_true(tmr_active(&a.t));
	}
	tmr_cancel(&a.t);
	assert_int_equal(tmr_poll(), 0);
}

static void test_tmr_periodic_start_at(void **state)
{
	struct actor a = { .kind = ACT_PERIODIC, .period = 20 };
	uint64_t t0 = fake_ms;
	static const unsigned steps[] = { 25, 16, 26, 13, 1, 19, 20, 20 };
	(void)state;

	tmr_start_at(&a.t, t0 + 20, actor_h, &a);
	/* polls arrive late by varying amounts; deadlines stay on the grid */
	for (size_t i = 0; i < N_ELEM(steps); i++) {
		fake_ms += steps[i];
		tmr_poll();
		assert_true(a.t.due > fake_ms);
		assert_true((a.t.due - t0) % 20 == 0);
		assert_int_equal(a.fired, (fake_ms - t0) / 20);
	}
	assert_true(a.t.due == t0 + 20 * (a.fired + 1));

	/* after a stall of several periods each poll catches up one period
	 * (it was started in the handler) and the grid is kept */
	fake_ms += 65;
	{
		unsigned before = a.fired, polls = 0;
		while (a.t.due <= fake_ms) {
			assert_int_equal(tmr_poll(), 1);
			polls++;
		}
		assert_int_equal(polls, 3);
		assert_int_equal(a.fired, before + 3);
	}
	assert_true((a.t.due - t0) % 20 == 0);
	tmr_cancel(&a.t);
}

static void never_h(void *arg)
{
	(void)arg;
	fail_msg("this timer must not fire");
}

static void test_tmr_next_due(void **state)
{
	struct tmr a, b;
	uint64_t due = 99;
	(void)state;

	tmr_init(&a);
	tmr_init(&b);
	assert_false(tmr_active(&a));
	assert_int_equal(tmr_next_due(&due), 1);
	assert_true(due == 99);
	tmr_start(&a, 30, never_h, NULL);
	tmr_start(&b, 20, never_h, NULL);
	assert_int_equal(tmr_next_due(&due), 0);
	assert_true(due == fake_ms + 20);
	tmr_cancel(&b);
	assert_int_equal(tmr_next_due(&due), 0);
	assert_true(due == fake_ms + 30);
	/* tmr_reset_all forgets everything and marks timers idle */
	tmr_reset_all();
	assert_false(tmr_active(&a));
	assert_int_equal(tmr_count(), 0);
	assert_int_equal(tmr_poll(), 0);
}

/* ---------- loop with real fds ---------- */

static int loop_setup(void **state)
{
	(void)state;
	tmr_clock_set(NULL);
	log_set_stderr(false);
	return loop_init();
}

static int loop_teardown(void **state)
{
	(void)state;
	loop_close();
	log_set_handler(NULL, NULL);
	return 0;
}

struct watcher {
	int fd;
	unsigned calls;
	int events;
	int other;            /* fd to delete or replace from this handler */
	struct watcher *peer; /* its watcher */
	bool drain;
};

static void drain_fd(int fd)
{
	char b[256];
	while (read(fd, b, sizeof(b)) > 0)
		;
}

static void watch_h(int fd, int events, void *arg)
{
	struct watcher *w = arg;
	assert_int_equal(fd, w->fd);
	w->calls++;
	w->events = events;
	if (w->drain)
		drain_fd(fd);
}

static void make_pair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
}

static void test_loop_read_write(void **state)
{
	int p[2], sv[2];
	struct watcher r = { 0 }, w = { 0 };
	unsigned base = loop_fd_count();
	(void)state;

	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	r.fd = p[0];
	r.drain = true;
	assert_int_equal(loop_fd_add(p[0], LOOP_READ, watch_h, &r), 0);
	assert_int_equal(loop_fd_count(), base + 1);
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.events, LOOP_READ);
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(r.calls, 1);

	/* write readiness, then both */
	make_pair(sv);
	w.fd = sv[0];
	assert_int_equal(loop_fd_add(sv[0], LOOP_WRITE, watch_h, &w), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.events, LOOP_WRITE);
	assert_int_equal(write(sv[1], "y", 1), 1);
	assert_int_equal(loop_fd_mod(sv[0], LOOP_READ | LOOP_WRITE), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(w.events, LOOP_READ | LOOP_WRITE);
	/* interest in nothing: not dispatched though ready */
	assert_int_equal(loop_fd_mod(sv[0], 0), 0);
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(loop_fd_mod(sv[0], LOOP_READ), 0);
	w.drain = true;
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(w.calls, 3);
	assert_int_equal(w.events, LOOP_READ);

	loop_fd_del(sv[0]);
	loop_fd_del(sv[0]); /* twice: no-op */
	loop_fd_del(p[0]);
	assert_int_equal(loop_fd_count(), base);
	assert_int_equal(loop_fd_mod(sv[0], LOOP_READ), ENOENT);
	assert_int_equal(loop_fd_mod(-1, LOOP_READ), ENOENT);
	assert_int_equal(loop_fd_add(-1, LOOP_READ, watch_h, &w), EINVAL);
	assert_int_equal(loop_fd_add(sv[0], LOOP_READ, NULL, &w), EINVAL);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* Two ready fds; the first handler to run deletes, closes and reaps the
 * other one's watcher: that handler must not be called in this round. */
static unsigned pair_calls;

struct pairw {
	int fd;
	unsigned calls;
	struct pairw *other;
	bool *freed;
};

static void pairw_free(void *arg)
{
	struct pairw *p = arg;
	*p->freed = true;
	free(p);
}

static void pairw_h(int fd, int events, void *arg)
{
	struct pairw *p = arg;
	(void)events;
	assert_int_equal(fd, p->fd);
	p->calls++;
	pair_calls++;
	if (p->other) {
		struct pairw *o = p->other;
		o->other = NULL;
		p->other = NULL;
		loop_fd_del(o->fd);
		close(o->fd);
		loop_reap(pairw_free, o);
	}
}

static void test_loop_del_in_handler(void **state)
{
	int a[2], b[2];
	bool freed = false;
	struct pairw *pa = xcalloc(1, sizeof(*pa)), *pb = xcalloc(1, sizeof(*pb));
	(void)state;

	pair_calls = 0;

	make_pair(a);
	make_pair(b);
	pa->fd = a[0];
	pb->fd = b[0];
	pa->other = pb;
	pb->other = pa;
	pa->freed = pb->freed = &freed;
	assert_int_equal(write(a[1], "1", 1), 1);
	assert_int_equal(write(b[1], "1", 1), 1);
	assert_int_equal(loop_fd_add(a[0], LOOP_READ, pairw_h, pa), 0);
	assert_int_equal(loop_fd_add(b[0], LOOP_READ, pairw_h, pb), 0);
	assert_int_equal(loop_poll(50), 0);
	/* exactly one ran; the other was deleted (and freed after the round:
	 * ASan reports any call on freed memory) */
	assert_true(freed);
	assert_int_equal(pair_calls, 1);
	if (a[0] < b[0]) {
		assert_int_equal(pa->calls, 1);
		loop_fd_del(a[0]);
		close(a[0]);
		free(pa);
		close(b[1]);
		close(a[1]);
	} else {
		assert_int_equal(pb->calls, 1);
		loop_fd_del(b[0]);
		close(b[0]);
		free(pb);
		close(a[1]);
		close(b[1]);
	}
}

/* The handler of the lower fd replaces the watcher of the higher one, which
 * is ready in the same round: the old handler is not called again; the new
 * one gets the readiness in a later round. */
static void replace_h(int fd, int events, void *arg)
{
	struct watcher *w = arg;
	(void)events;
	assert_int_equal(fd, w->fd);
	w->calls++;
	drain_fd(fd);
	if (w->peer) {
		assert_int_equal(loop_fd_add(w->other, LOOP_READ, watch_h, w->peer), 0);
		w->peer = NULL;
	}
}

static void test_loop_replace_in_handler(void **state)
{
	int a[2], b[2], lo, hi;
	struct watcher wlo = { 0 }, whi_old = { 0 }, whi_new = { 0 };
	unsigned count;
	(void)state;

	make_pair(a);
	make_pair(b);
	lo = a[0] < b[0] ? a[0] : b[0];
	hi = a[0] < b[0] ? b[0] : a[0];
	wlo.fd = lo;
	wlo.other = hi;
	wlo.peer = &whi_new;
	whi_old.fd = hi;
	whi_new.fd = hi;
	whi_new.drain = true;
	assert_int_equal(loop_fd_add(lo, LOOP_READ, replace_h, &wlo), 0);
	assert_int_equal(loop_fd_add(hi, LOOP_READ, watch_h, &whi_old), 0);
	count = loop_fd_count();
	assert_int_equal(write(a[1], "1", 1), 1);
	assert_int_equal(write(b[1], "1", 1), 1);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(wlo.calls, 1);
	assert_int_equal(whi_old.calls, 0);
	assert_int_equal(loop_fd_count(), count); /* replaced, not added */
	for (int i = 0; i < 3 && !whi_new.calls; i++)
		assert_int_equal(loop_poll(50), 0);
	assert_int_equal(whi_new.calls, 1);
	assert_int_equal(whi_old.calls, 0);

	loop_fd_del(lo);
	loop_fd_del(hi);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

/* Inside the lower fd's handler the higher (ready) fd is closed and its
 * number reused for an empty pipe with a new watcher: the old readiness
 * must not reach the new watcher. */
struct swapctx {
	int lo, hi, empty;
	unsigned lo_calls;
	struct watcher *old, *neww;
};

static void swap_h(int fd, int events, void *arg)
{
	struct swapctx *c = arg;
	(void)events;
	assert_int_equal(fd, c->lo);
	c->lo_calls++;
	drain_fd(fd);
	loop_fd_del(c->hi);
	assert_int_equal(dup2(c->empty, c->hi), c->hi); /* closes the socket */
	assert_int_equal(loop_fd_add(c->hi, LOOP_READ, watch_h, c->neww), 0);
}

static void test_loop_fd_reuse_in_handler(void **state)
{
	int a[2], b[2], q[2];
	struct watcher wold = { 0 }, wnew = { 0 };
	struct swapctx c = { .old = &wold, .neww = &wnew };
	(void)state;

	make_pair(a);
	make_pair(b);
	assert_int_equal(pipe2(q, O_NONBLOCK), 0);
	c.lo = a[0] < b[0] ? a[0] : b[0];
	c.hi = a[0] < b[0] ? b[0] : a[0];
	c.empty = q[0];
	wold.fd = wnew.fd = c.hi;
	assert_int_equal(loop_fd_add(c.lo, LOOP_READ, swap_h, &c), 0);
	assert_int_equal(loop_fd_add(c.hi, LOOP_READ, watch_h, &wold), 0);
	assert_int_equal(write(a[1], "1", 1), 1);
	assert_int_equal(write(b[1], "1", 1), 1);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(c.lo_calls, 1);
	assert_int_equal(wold.calls, 0);
	assert_int_equal(wnew.calls, 0);
	/* and the new fd is really idle */
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(wnew.calls, 0);
	assert_int_equal(write(q[1], "z", 1), 1);
	wnew.drain = true;
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(wnew.calls, 1);
	loop_fd_del(c.lo);
	loop_fd_del(c.hi);
	close(a[0]); /* one of a[0], b[0] is now the pipe copy */
	close(a[1]);
	close(b[0]);
	close(b[1]);
	close(q[0]);
	close(q[1]);
}

/* loop_reap: after every handler of the round, timers included. */
struct reapctx {
	unsigned reaped;
	unsigned seen_by_later; /* reaps done when a later handler ran */
	unsigned chain;
};

static void count_reap_h(void *arg)
{
	struct reapctx *c = arg;
	c->reaped++;
	if (c->chain) {
		c->chain--;
		loop_reap(count_reap_h, c); /* queued from a reap: same round */
	}
}

static void reap_first_h(int fd, int events, void *arg)
{
	struct reapctx *c = arg;
	(void)events;
	drain_fd(fd);
	loop_reap(count_reap_h, c);
	assert_int_equal(c->reaped, 0);
}

static void reap_later_h(int fd, int events, void *arg)
{
	struct reapctx *c = arg;
	(void)events;
	drain_fd(fd);
	c->seen_by_later = c->reaped;
}

static void reap_tmr_h(void *arg)
{
	struct reapctx *c = arg;
	c->seen_by_later += 10 * c->reaped;
	loop_reap(count_reap_h, c);
}

static void test_loop_reap(void **state)
{
	int a[2], b[2];
	struct reapctx c = { 0 };
	struct tmr t;
	(void)state;

	make_pair(a);
	make_pair(b);
	tmr_init(&t);
	assert_int_equal(loop_fd_add(a[0] < b[0] ? a[0] : b[0], LOOP_READ, reap_first_h, &c), 0);
	assert_int_equal(loop_fd_add(a[0] < b[0] ? b[0] : a[0], LOOP_READ, reap_later_h, &c), 0);
	tmr_start(&t, 0, reap_tmr_h, &c);
	c.chain = 2;
	assert_int_equal(write(a[1], "1", 1), 1);
	assert_int_equal(write(b[1], "1", 1), 1);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(c.seen_by_later, 0); /* neither the fd nor the timer saw it */
	assert_int_equal(c.reaped, 4);       /* 2 queued + 2 chained */
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(c.reaped, 4);       /* ran once only */

	/* loop_close runs what is still queued */
	loop_reap(count_reap_h, &c);
	loop_fd_del(a[0]);
	loop_fd_del(b[0]);
	loop_close();
	assert_int_equal(c.reaped, 5);
	assert_int_equal(loop_init(), 0);
	close(a[0]);
	close(a[1]);
	close(b[0]);
	close(b[1]);
}

struct log_sink {
	unsigned n;
	char line[256];
};

static void sink_h(enum log_level lvl, const char *mod, const char *line, void *arg)
{
	struct log_sink *s = arg;
	(void)lvl;
	(void)mod;
	s->n++;
	snprintf(s->line, sizeof(s->line), "%s", line);
}

static void test_loop_fd_setsize(void **state)
{
	struct rlimit old, rl;
	struct log_sink s = { 0 };
	struct watcher w = { 0 };
	int p[2], high = FD_SETSIZE;
	(void)state;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	if (rl.rlim_cur <= (rlim_t)high) {
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max <= (rlim_t)high) {
			skip();
			return;
		}
		rl.rlim_cur = (rlim_t)high + 8;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			skip();
			return;
		}
	}
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	if (dup2(p[0], high) != high) {
		setrlimit(RLIMIT_NOFILE, &old);
		close(p[0]);
		close(p[1]);
		skip();
		return;
	}
	log_set_handler(sink_h, &s);
	assert_int_equal(loop_fd_add(high, LOOP_READ, watch_h, &w), ERANGE);
	assert_int_equal(loop_fd_add(high + 3, LOOP_READ, watch_h, &w), ERANGE);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.line, "FD_SETSIZE"));
	assert_int_equal(loop_fd_mod(high, LOOP_READ), ENOENT);
	loop_fd_del(high); /* no-op */
	/* the loop still works */
	assert_int_equal(write(p[1], "x", 1), 1);
	w.fd = p[0];
	w.drain = true;
	assert_int_equal(loop_fd_add(p[0], LOOP_READ, watch_h, &w), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(w.calls, 1);
	loop_fd_del(p[0]);
	close(high);
	close(p[0]);
	close(p[1]);

	/* every fd below FD_SETSIZE taken: loop_init fails, and keeps failing
	 * instead of pretending a half-made loop is ready */
	{
		int fds[FD_SETSIZE], nfd = 0, fd, rc1 = ERANGE, rc2 = ERANGE;
		loop_close();
		while ((fd = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0 && fd < high)
			fds[nfd++] = fd;
		if (fd >= high)
			close(fd);
		if (fd >= 0) {
			rc1 = loop_init();
			rc2 = loop_init();
		}
		while (nfd > 0)
			close(fds[--nfd]); /* before asserting: a failure must not leak */
		if (rc1 != ERANGE || rc2 != ERANGE)
			loop_close();
		assert_int_equal(rc1, ERANGE);
		assert_int_equal(rc2, ERANGE);
		assert_int_equal(loop_init(), 0);
		/* and the fresh loop works */
		assert_int_equal(pipe2(p, O_NONBLOCK), 0);
		assert_int_equal(write(p[1], "x", 1), 1);
		assert_int_equal(loop_fd_add(p[0], LOOP_READ, watch_h, &w), 0);
		assert_int_equal(loop_poll(50), 0);
		assert_int_equal(w.calls, 2);
		loop_fd_del(p[0]);
		close(p[0]);
		close(p[1]);
	}
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* Signals: the handler runs on the loop, never inside the signal handler. */
static volatile sig_atomic_t in_raise;
static unsigned sig_calls;
static int sig_seen;
static bool sig_inside_raise;

static void usr_h(int sig, void *arg)
{
	(void)arg;
	sig_calls++;
	sig_seen = sig;
	if (in_raise)
		sig_inside_raise = true;
}

static void test_loop_signal(void **state)
{
	unsigned n0;
	(void)state;

	sig_calls = 0;
	assert_int_equal(loop_signal(SIGUSR1, usr_h, NULL), 0);
	in_raise = 1;
	assert_int_equal(raise(SIGUSR1), 0);
	in_raise = 0;
	assert_int_equal(sig_calls, 0);
	for (int i = 0; i < 5 && !sig_calls; i++)
		assert_int_equal(loop_poll(50), 0);
	assert_int_equal(sig_calls, 1);
	assert_int_equal(sig_seen, SIGUSR1);
	assert_false(sig_inside_raise);
	/* a second signal, and two more that may coalesce */
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(sig_calls, 2);
	n0 = sig_calls;
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(raise(SIGUSR1), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_true(sig_calls >= n0 + 1 && sig_calls <= n0 + 2);
	assert_int_equal(loop_signal(0, usr_h, NULL), EINVAL);
	assert_int_equal(loop_signal(65, usr_h, NULL), EINVAL);
	/* loop_close restores the default disposition */
	loop_close();
	{
		struct sigaction sa;
		assert_int_equal(sigaction(SIGUSR1, NULL, &sa), 0);
		assert_true(sa.sa_handler == SIG_DFL);
	}
	assert_int_equal(loop_init(), 0);
}

/* loop_wakeup from another thread. */
struct wakectx {
	unsigned calls;
	pthread_t thread_seen;
	unsigned delay_ms;
	unsigned times;
};

static void wake_h_(void *arg)
{
	struct wakectx *w = arg;
	w->calls++;
	w->thread_seen = pthread_self();
}

static void *waker(void *arg)
{
	struct wakectx *w = arg;
	struct timespec ts = { 0, (long)w->delay_ms * 1000000L };
	if (w->delay_ms)
		nanosleep(&ts, NULL);
	for (unsigned i = 0; i < w->times; i++)
		loop_wakeup();
	return NULL;
}

static void test_loop_wakeup_thread(void **state)
{
	struct wakectx w = { .delay_ms = 20, .times = 1 };
	pthread_t th;
	(void)state;

	loop_wake_set(wake_h_, &w);
	assert_int_equal(tmr_count(), 0);
	assert_int_equal(pthread_create(&th, NULL, waker, &w), 0);
	/* blocked with no timer and no deadline: only the wakeup ends it
	 * (the alarm turns a hang into a failure) */
	alarm(5);
	while (!w.calls)
		assert_int_equal(loop_poll(-1), 0);
	alarm(0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.calls, 1);
	assert_true(pthread_equal(w.thread_seen, pthread_self()));

	/* many wakeups before the loop looks: one call */
	w.delay_ms = 0;
	w.times = 50;
	assert_int_equal(pthread_create(&th, NULL, waker, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(loop_poll(50), 0);
	assert_int_equal(w.calls, 2);
	assert_int_equal(loop_poll(0), 0);
	assert_int_equal(w.calls, 2);
}

/* A wakeup left pending when the loop closes, or made before the loop
 * exists, must not stop the next loop from ever waking up again. */
static void test_loop_wakeup_after_close(void **state)
{
	struct wakectx w = { .times = 1 };
	pthread_t th;
	(void)state;

	loop_wake_set(wake_h_, &w);
	loop_wakeup();
	loop_close();
	assert_int_equal(loop_init(), 0);
	loop_wake_set(wake_h_, &w);
	assert_int_equal(pthread_create(&th, NULL, waker, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(loop_poll(80), 0);
	assert_int_equal(w.calls, 1);

	/* the same for a wakeup while no loop exists at all */
	loop_close();
	loop_wakeup();
	assert_int_equal(loop_init(), 0);
	loop_wake_set(wake_h_, &w);
	assert_int_equal(pthread_create(&th, NULL, waker, &w), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(loop_poll(80), 0);
	assert_int_equal(w.calls, 2);
}

/* loop_run returns what loop_stop was given. */
struct stopctx {
	struct tmr t;
	int code;
	unsigned ticks, stop_at;
};

static void stop_tmr_h(void *arg)
{
	struct stopctx *s = arg;
	if (++s->ticks == s->stop_at)
		loop_stop(s->code);
	else
		tmr_start(&s->t, s->ticks % 2 ? 0 : 1, stop_tmr_h, s);
}

static void stop_fd_h(int fd, int events, void *arg)
{
	(void)events;
	drain_fd(fd);
	loop_stop(*(int *)arg);
}

static void test_loop_run_stop(void **state)
{
	struct stopctx s = { .code = 7, .stop_at = 5 };
	int p[2], code = 3;
	(void)state;

	tmr_init(&s.t);
	tmr_start(&s.t, 1, stop_tmr_h, &s);
	alarm(5);
	assert_int_equal(loop_run(), 7);
	assert_int_equal(s.ticks, 5);

	/* stopped from an fd handler; then again with 0 */
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	assert_int_equal(loop_fd_add(p[0], LOOP_READ, stop_fd_h, &code), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(), 3);
	code = 0;
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(loop_run(), 0);
	alarm(0);
	loop_fd_del(p[0]);
	close(p[0]);
	close(p[1]);
}

/* A real-clock timer fires through loop_poll (no duration is asserted). */
static void rt_h(void *arg)
{
	(*(unsigned *)arg)++;
}

static void test_loop_real_timer(void **state)
{
	struct tmr t;
	unsigned fired = 0;
	(void)state;

	tmr_init(&t);
	tmr_start(&t, 5, rt_h, &fired);
	alarm(5);
	while (!fired)
		assert_int_equal(loop_poll(-1), 0);
	alarm(0);
	assert_int_equal(fired, 1);
	assert_false(tmr_active(&t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tmr_many_random, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_fifo_equal, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_random_ops, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_cancel_random, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_restart, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_handlers, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_zero_delay_self, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_periodic_start_at, tmr_setup,
						tmr_teardown),
		cmocka_unit_test_setup_teardown(test_tmr_next_due, tmr_setup, tmr_teardown),
		cmocka_unit_test_setup_teardown(test_loop_read_write, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_del_in_handler, loop_setup,
						loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_replace_in_handler, loop_setup,
						loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_fd_reuse_in_handler, loop_setup,
						loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_reap, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_fd_setsize, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_signal, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_wakeup_thread, loop_setup,
						loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_wakeup_after_close, loop_setup,
						loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_run_stop, loop_setup, loop_teardown),
		cmocka_unit_test_setup_teardown(test_loop_real_timer, loop_setup, loop_teardown),
	};

	/* one group: TAP allows one plan per stream */
	return cmocka_run_group_tests_name("loop", tests, NULL, NULL);
}
