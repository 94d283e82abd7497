/* loop.h: the engine's single-threaded select() loop.
 * fd watchers, timers (tmr.h), signals delivered through a self-pipe,
 * a thread-safe wakeup, and deferred frees for objects whose handler is
 * still running. */
#ifndef SIPTERM_LOOP_H
#define SIPTERM_LOOP_H

#include <stdint.h>

#include "tmr.h"

enum {
	LOOP_READ = 1,
	LOOP_WRITE = 2,
};

typedef void (fd_h)(int fd, int events, void *arg);
typedef void (sig_h)(int sig, void *arg);
typedef void (wake_h)(void *arg);
typedef void (reap_h)(void *arg);

int loop_init(void);
void loop_close(void);
int loop_fd_add(int fd, int events, fd_h *h, void *arg);
int loop_fd_mod(int fd, int events);
void loop_fd_del(int fd);
int loop_signal(int sig, sig_h *h, void *arg);
void loop_wake_set(wake_h *h, void *arg);
void loop_wakeup(void);
void loop_reap(reap_h *h, void *arg);
void loop_reap_flush(void);
int loop_poll(int64_t max_wait_ms);
int loop_run(void);
void loop_stop(int code);
unsigned loop_fd_count(void);

#endif
