/* loop.c: select() event loop.  One round: wait for fds or the next timer,
 * dispatch ready fds, drain the self-pipe (signals, wakeups), fire due
 * timers, then run the reap list.  Watchers are indexed by fd: add, modify
 * and delete are O(1); select() itself costs O(maxfd) per round, which is
 * fine below FD_SETSIZE (1024), the hard limit select() imposes. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define LOG_MOD "loop"

struct watch {
	fd_h *h;
	void *arg;
	int events;
	unsigned gen; /* bumped on every add/del so stale readiness is ignored */
};

struct sigent {
	sig_h *h;
	void *arg;
};

struct reap {
	reap_h *h;
	void *arg;
};

static struct watch watches[FD_SETSIZE];
static int maxfd = -1;
static unsigned nwatch;
static int pipefd[2] = { -1, -1 };
static struct sigent sigs[65];
static volatile sig_atomic_t sig_pending[65];
static atomic_int wake_pending;
static wake_h *wake_handler;
static void *wake_arg;
static struct reap *reaps;
static size_t nreap, reap_cap;
static bool running;
static int exit_code;

static void set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	fl = fcntl(fd, F_GETFD);
	if (fl >= 0)
		fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

static void pipe_read(int fd, int events, void *arg);

int loop_init(void)
{
	int err;

	if (pipefd[0] >= 0)
		return 0;
	/* a wakeup made while no pipe existed (or pending at loop_close) left
	 * no byte to drain: forget it, or every later wakeup is swallowed */
	atomic_store(&wake_pending, 0);
	if (pipe(pipefd) < 0)
		return errno;
	set_nonblock_cloexec(pipefd[0]);
	set_nonblock_cloexec(pipefd[1]);
	err = loop_fd_add(pipefd[0], LOOP_READ, pipe_read, NULL);
	if (err) {
		/* not half-made: the next loop_init must try again */
		close(pipefd[0]);
		close(pipefd[1]);
		pipefd[0] = pipefd[1] = -1;
	}
	return err;
}

void loop_close(void)
{
	/* ignored, not default: a second SIGTERM while the program finishes
	 * exiting must not turn a clean exit into "killed" */
	for (int s = 1; s < 65; s++) {
		if (sigs[s].h)
			signal(s, s == SIGINT || s == SIGTERM ? SIG_IGN : SIG_DFL);
		sigs[s].h = NULL;
	}
	if (pipefd[0] >= 0) {
		loop_fd_del(pipefd[0]);
		close(pipefd[0]);
		close(pipefd[1]);
		pipefd[0] = pipefd[1] = -1;
	}
	for (size_t i = 0; i < nreap; i++)
		reaps[i].h(reaps[i].arg);
	free(reaps);
	reaps = NULL;
	nreap = reap_cap = 0;
	tmr_reset_all();
	memset(watches, 0, sizeof(watches));
	maxfd = -1;
	nwatch = 0;
	wake_handler = NULL;
}

/* Watch fd; ERANGE (with a log line) when select() cannot hold it. */
int loop_fd_add(int fd, int events, fd_h *h, void *arg)
{
	if (fd < 0 || !h)
		return EINVAL;
	if (fd >= FD_SETSIZE) {
		log_e("fd %d exceeds FD_SETSIZE (%d): too many open sockets for select()",
		      fd, FD_SETSIZE);
		return ERANGE;
	}
	if (!watches[fd].h)
		nwatch++;
	watches[fd].h = h;
	watches[fd].arg = arg;
	watches[fd].events = events;
	watches[fd].gen++;
	if (fd > maxfd)
		maxfd = fd;
	return 0;
}

int loop_fd_mod(int fd, int events)
{
	if (fd < 0 || fd >= FD_SETSIZE || !watches[fd].h)
		return ENOENT;
	watches[fd].events = events;
	return 0;
}

/* Safe from inside any handler: the entry is cleared now and a pending
 * readiness for it in this round is skipped.  The caller closes the fd. */
void loop_fd_del(int fd)
{
	if (fd < 0 || fd >= FD_SETSIZE || !watches[fd].h)
		return;
	watches[fd].h = NULL;
	watches[fd].arg = NULL;
	watches[fd].events = 0;
	watches[fd].gen++;
	nwatch--;
	while (maxfd >= 0 && !watches[maxfd].h)
		maxfd--;
}

unsigned loop_fd_count(void)
{
	return nwatch;
}

/* Async-signal-safe: record the signal and poke the loop. */
static void on_signal(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;
	if (sig > 0 && sig < 65)
		sig_pending[sig] = 1;
	if (pipefd[1] >= 0 && write(pipefd[1], &b, 1) < 0) {
		/* pipe full: a wakeup is already pending */
	}
	errno = saved;
}

/* Deliver sig to h on the loop thread, outside the signal handler. */
int loop_signal(int sig, sig_h *h, void *arg)
{
	struct sigaction sa;

	if (sig <= 0 || sig >= 65)
		return EINVAL;
	sigs[sig].h = h;
	sigs[sig].arg = arg;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = h ? on_signal : SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, NULL) < 0)
		return errno;
	return 0;
}

void loop_wake_set(wake_h *h, void *arg)
{
	wake_handler = h;
	wake_arg = arg;
}

/* Thread-safe and async-signal-safe: at most one byte in flight. */
void loop_wakeup(void)
{
	unsigned char b = 0;
	if (atomic_exchange(&wake_pending, 1))
		return;
	if (pipefd[1] >= 0 && write(pipefd[1], &b, 1) < 0) {
		/* full pipe already wakes the loop */
	}
}

static void pipe_read(int fd, int events, void *arg)
{
	unsigned char b[64];
	(void)events;
	(void)arg;

	while (read(fd, b, sizeof(b)) > 0)
		;
	for (int s = 1; s < 65; s++) {
		if (!sig_pending[s])
			continue;
		sig_pending[s] = 0;
		if (sigs[s].h)
			sigs[s].h(s, sigs[s].arg);
	}
	if (atomic_exchange(&wake_pending, 0) && wake_handler)
		wake_handler(wake_arg);
}

/* Free something after this dispatch round, when no handler stands on it. */
void loop_reap(reap_h *h, void *arg)
{
	if (nreap == reap_cap) {
		reap_cap = reap_cap ? reap_cap * 2 : 16;
		reaps = xrealloc(reaps, reap_cap * sizeof(*reaps));
	}
	reaps[nreap].h = h;
	reaps[nreap].arg = arg;
	nreap++;
}

static void run_reaps(void);

/* Run the pending deferred frees now (before tearing down what they
 * point into, at exit). */
void loop_reap_flush(void)
{
	run_reaps();
}

static void run_reaps(void)
{
	/* a reap handler may queue further reaps: run until empty */
	size_t i = 0;
	while (i < nreap) {
		struct reap r = reaps[i++];
		r.h(r.arg);
	}
	nreap = 0;
}

/* One round; waits at most max_wait_ms (-1: until the next timer). */
int loop_poll(int64_t max_wait_ms)
{
	fd_set rd, wr;
	struct timeval tv, *tvp = NULL;
	unsigned gens[FD_SETSIZE];
	uint64_t due;
	int64_t wait = max_wait_ms;
	int top = maxfd, n;

	if (tmr_next_due(&due) == 0) {
		uint64_t now = tmr_now();
		int64_t t = due > now ? (int64_t)(due - now) : 0;
		if (wait < 0 || t < wait)
			wait = t;
	}
	if (wait >= 0) {
		tv.tv_sec = wait / 1000;
		tv.tv_usec = (wait % 1000) * 1000;
		tvp = &tv;
	}
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	for (int fd = 0; fd <= top; fd++) {
		if (!watches[fd].h)
			continue;
		if (watches[fd].events & LOOP_READ)
			FD_SET(fd, &rd);
		if (watches[fd].events & LOOP_WRITE)
			FD_SET(fd, &wr);
		gens[fd] = watches[fd].gen;
	}
	n = select(top + 1, &rd, &wr, NULL, tvp);
	if (n < 0 && errno != EINTR) {
		int err = errno;
		log_e("select: %s", strerror(err));
		return err;
	}
	for (int fd = 0; n > 0 && fd <= top; fd++) {
		int ev = 0;
		if (FD_ISSET(fd, &rd))
			ev |= LOOP_READ;
		if (FD_ISSET(fd, &wr))
			ev |= LOOP_WRITE;
		if (!ev)
			continue;
		n--;
		/* deleted or replaced by an earlier handler in this round */
		if (!watches[fd].h || watches[fd].gen != gens[fd])
			continue;
		ev &= watches[fd].events;
		if (ev)
			watches[fd].h(fd, ev, watches[fd].arg);
	}
	tmr_poll();
	run_reaps();
	return 0;
}

/* Run until loop_stop(); returns the code given to it. */
int loop_run(void)
{
	running = true;
	exit_code = 0;
	while (running) {
		int err = loop_poll(-1);
		if (err)
			return -1;
	}
	return exit_code;
}

void loop_stop(int code)
{
	exit_code = code;
	running = false;
}
