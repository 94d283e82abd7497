/* tmr.h: one-shot timers on CLOCK_MONOTONIC, kept in a binary heap
 * (O(log n) start and cancel).  A timer lives inside its owner and must be
 * cancelled in the owner's destructor. */
#ifndef SIPTERM_TMR_H
#define SIPTERM_TMR_H

#include <stdbool.h>
#include <stdint.h>

typedef void (tmr_h)(void *arg);

struct tmr {
	uint64_t due;  /* absolute, milliseconds on the timer clock */
	uint64_t seq;  /* start order: equal deadlines fire first-in first-out */
	size_t idx;    /* heap slot + 1; 0 when not running */
	tmr_h *h;
	void *arg;
};

typedef uint64_t (tmr_clock_h)(void);

uint64_t tmr_now(void);
void tmr_clock_set(tmr_clock_h *clock);
void tmr_init(struct tmr *t);
void tmr_start(struct tmr *t, uint64_t delay_ms, tmr_h *h, void *arg);
void tmr_start_at(struct tmr *t, uint64_t due_ms, tmr_h *h, void *arg);
void tmr_cancel(struct tmr *t);
uint64_t tmr_remaining(const struct tmr *t);
int tmr_next_due(uint64_t *due);
unsigned tmr_poll(void);
size_t tmr_count(void);
void tmr_reset_all(void);

static inline bool tmr_active(const struct tmr *t)
{
	return t->idx != 0;
}

#endif
