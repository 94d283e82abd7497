/* tmr.c: timer heap.  Start and cancel are O(log n); finding the next
 * deadline is O(1).  Not thread-safe: only the engine thread touches it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tmr.h"
#include "xmalloc.h"

static struct tmr **heap;
static size_t heap_len, heap_cap;
static uint64_t next_seq;
static tmr_clock_h *clock_fn;

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The time every timer is measured against; tests install their own clock. */
uint64_t tmr_now(void)
{
	return clock_fn ? clock_fn() : mono_ms();
}

void tmr_clock_set(tmr_clock_h *clock)
{
	clock_fn = clock;
}

void tmr_init(struct tmr *t)
{
	memset(t, 0, sizeof(*t));
}

static bool before(const struct tmr *a, const struct tmr *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void place(size_t i, struct tmr *t)
{
	heap[i] = t;
	t->idx = i + 1;
}

static void sift_up(size_t i)
{
	struct tmr *t = heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, heap[parent]))
			break;
		place(i, heap[parent]);
		i = parent;
	}
	place(i, t);
}

static void sift_down(size_t i)
{
	struct tmr *t = heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && before(heap[c + 1], heap[c]))
			c++;
		if (!before(heap[c], t))
			break;
		place(i, heap[c]);
		i = c;
	}
	place(i, t);
}

/* Restarting a running timer moves it; there is never more than one entry. */
void tmr_start_at(struct tmr *t, uint64_t due_ms, tmr_h *h, void *arg)
{
	tmr_cancel(t);
	t->due = due_ms;
	t->seq = next_seq++;
	t->h = h;
	t->arg = arg;
	if (heap_len == heap_cap) {
		heap_cap = heap_cap ? heap_cap * 2 : 64;
		heap = xrealloc(heap, heap_cap * sizeof(*heap));
	}
	place(heap_len++, t);
	sift_up(heap_len - 1);
}

void tmr_start(struct tmr *t, uint64_t delay_ms, tmr_h *h, void *arg)
{
	tmr_start_at(t, tmr_now() + delay_ms, h, arg);
}

void tmr_cancel(struct tmr *t)
{
	size_t i;
	struct tmr *last;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = heap[--heap_len];
	if (i == heap_len)
		return;
	place(i, last);
	if (i > 0 && before(last, heap[(i - 1) / 2]))
		sift_up(i);
	else
		sift_down(i);
}

/* Milliseconds until the timer fires (0 when due or not running). */
uint64_t tmr_remaining(const struct tmr *t)
{
	uint64_t now;
	if (!t->idx)
		return 0;
	now = tmr_now();
	return t->due > now ? t->due - now : 0;
}

/* 0 and the earliest deadline, or ENOENT-like 1 when no timer runs. */
int tmr_next_due(uint64_t *due)
{
	if (!heap_len)
		return 1;
	*due = heap[0]->due;
	return 0;
}

/* Fire every timer that is due now, in deadline order.  A handler may start
 * or cancel any timer, itself included; a timer started for "now" by a
 * handler fires in the next poll, so a zero-delay rearm cannot spin here. */
unsigned tmr_poll(void)
{
	uint64_t now = tmr_now();
	uint64_t limit = next_seq;
	unsigned n = 0;

	while (heap_len && heap[0]->due <= now && heap[0]->seq < limit) {
		struct tmr *t = heap[0];
		tmr_cancel(t);
		n++;
		t->h(t->arg);
	}
	return n;
}

size_t tmr_count(void)
{
	return heap_len;
}

/* Forget every timer (for loop_close and tests). */
void tmr_reset_all(void)
{
	for (size_t i = 0; i < heap_len; i++)
		heap[i]->idx = 0;
	heap_len = 0;
	free(heap);
	heap = NULL;
	heap_cap = 0;
}
