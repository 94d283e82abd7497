/* dev-pa.c: the sound card, through PortAudio.
 *
 * The choice: PortAudio's blocking API (Pa_ReadStream/Pa_WriteStream) on
 * two streams, one input-only and one output-only, driven by one thread of
 * ours, the only audio thread.  Each turn it blocks in Pa_ReadStream for
 * one 20 ms frame (the device clock paces everything), pushes it into the
 * capture ring, wakes the engine (loop_wakeup: one byte in the self-pipe,
 * at most one in flight), pops one frame from the playback ring and writes
 * it if the output has room for a whole frame, else drops it (counted).
 * The thread touches only the rings, atomics, its preallocated frame and
 * the loop's wakeup: no malloc, lock or log while streaming.
 *
 * Why not callback streams: two callback streams are two PortAudio threads
 * (ALSA host API), and one duplex stream on the "pulse" device delivered
 * far fewer frames than real time (NOTES.md).  Why never block in the
 * write: input and output are different clocks (two PulseAudio sinks,
 * or two cards); a blocking write would let the output's clock stall the
 * input.  Dropping a frame when the output is full is the drift answer;
 * an output that runs dry is refilled by ALSA (counted as an underflow).
 *
 * Measured here (PortAudio 19.6, ALSA "pulse" plugin, PulseAudio 16 null
 * sinks, 48 kHz, 20 ms):
 *  - the first Pa_ReadStream returns 0.1 to 2.4 s after the streams start
 *    (so 20 s of streaming carry 900-930 frames, not 1000), then frames
 *    come at 49.9/s; the output takes as long to start draining, so about
 *    95 frames are dropped then.  Nothing in the engine waits on the
 *    device, so it never stalls (longest loop gap 25-51 ms while starting);
 *    the watchdog below gives the first frame 5 s.
 *  - Pa_AbortStream from another thread does not cut a blocked
 *    Pa_ReadStream short (it still returned ~2 s later, with an error),
 *    and with the sound server stopped (SIGSTOP) Pa_AbortStream itself
 *    blocked its caller for 30 s.  So the engine never aborts a stream its
 *    thread is inside: closing sets a flag and joins for 100 ms (a frame
 *    returns every 20 ms); a thread still inside a read then (a stuck
 *    device, or one closed during its slow start) is handed the streams,
 *    closes them itself when its call returns, and frees the device through
 *    its own reference (dev-int.h).  The engine waits at most 100 ms on a
 *    device; audio_pa_terminate joins such threads at exit (at most 3 s).
 *  - The sound server killed: Pa_ReadStream fails at once (-9999,
 *    unanticipated host error) and the failure reaches the engine in one
 *    wakeup.  Stopped: Pa_ReadStream just blocks, so an engine-side
 *    watchdog (a loop timer every 250 ms, no polling of the rings) reports
 *    a device that delivered nothing for 2 s.
 *  - Pa_Terminate is never called: it unloads the ALSA plugins that the
 *    device scan loaded (the a52 plugin alone pulls in libavcodec and its
 *    dozens of libraries), and LeakSanitizer then reports what those
 *    libraries kept (12 KB in libgomp and libpixman) as leaked, from an
 *    "<unknown module>" no suppression can name.  At exit every stream is
 *    closed already; audio_pa_terminate only joins stuck threads.  (A
 *    device rescan, e.g. for a headset plugged in later, would need
 *    Pa_Terminate + Pa_Initialize: not done.)
 *  - Pa_Initialize prints about 100 lines (ALSA config errors, JACK "server
 *    is not running").  snd_lib_error_set_handler and JACK's error and info
 *    functions (found with dlsym: libjack comes with libportaudio) silence
 *    all of it; fd 2 also points at /dev/null around the engine's PortAudio
 *    calls, and JACK_NO_START_SERVER=1 stops libjack from starting jackd.
 *    Not silenced: PortAudio's own "Expression '...' failed" lines, which
 *    its ALSA code prints from our thread when a device dies; its print
 *    hook (PaUtil_SetDebugPrintFunction) is not exported by Debian's
 *    libportaudio, so only pointing fd 2 away from the terminal hides them.
 *  - PortAudio is not linked: the first device opened or listed loads it
 *    (dl.h), and with it libasound, libjack, libstdc++ and libdb, 2.3 MB
 *    of pages that a sipterm on --audio null or file never touches.
 *    libasound is loaded just before it, so ALSA's hook is set before any
 *    PortAudio code runs; JACK's are found through PortAudio's handle.
 *
 * The engine side: the loop has one wake handler; while a PortAudio device
 * is open it is this file's pa_wake, which runs frame_h for every device
 * whose thread raised its pending flag, and reports failures.  PortAudio
 * calls that change its state (initialise, open, close) hold
 * pa_lock, as a stuck thread closing its own streams may run concurrently;
 * the engine waits for it at most 1 s. */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>
#include <portaudio.h>

#include "dev-int.h"
#include "dl.h"
#include "log.h"
#include "loop.h"
#include "tmr.h"
#include "wav.h"
#include "xmalloc.h"

#define LOG_MOD "audio"

#define MAX_FRAME 960            /* samples: 20 ms at 48 kHz */
#define MIN_LATENCY 0.040        /* s: two frames of device buffer at least */
#define CLOSE_JOIN_MS 100        /* a frame returns every 20 ms */
#define WATCH_MS 250
#define FIRST_FRAME_MS 5000      /* measured: up to 2.4 s on "pulse" */
#define STALL_MS 2000
#define LOCK_WAIT_MS 1000
#define TERMINATE_WAIT_MS 3000
#define MAX_ORPHANS 8

static const char NO_CARD[] = "no sound card found: use --audio null or --audio file";

enum { FAIL_READ = 1, FAIL_WRITE = 2 };

struct pa_dev {
	struct audio_dev d;        /* first: audio_dev_destroy frees the whole */
	PaStream *in, *out;        /* the thread's while it runs */
	pthread_t thread;
	bool thread_started;
	atomic_bool stop;          /* engine -> thread: return */
	atomic_bool pending;       /* thread -> engine: frames in the capture ring */
	atomic_int fail;           /* thread -> engine: the PaError that ended it */
	atomic_int fail_where;     /* FAIL_READ or FAIL_WRITE */
	atomic_int handoff;        /* first to set it: thread done / engine gave up */
	uint64_t t_open;           /* ms, CLOCK_MONOTONIC (mono_ms) */
	struct tmr watch;
	uint64_t watch_frames, watch_since;
	unsigned round;            /* pa_wake's visit stamp */
	struct pa_dev *next;       /* open PortAudio devices (engine) */
	char in_label[96], out_label[96];
	int16_t buf[MAX_FRAME];    /* the thread's one frame */
};

static void pa_stop(struct audio_dev *d);

static const struct audio_dev_ops pa_ops = { "portaudio", pa_stop };

static pthread_mutex_t pa_lock = PTHREAD_MUTEX_INITIALIZER;
static bool pa_ready;               /* Pa_Initialize succeeded (engine) */
static struct pa_dev *devs;         /* open devices (engine) */
static unsigned wake_round;
static pthread_t orphans[MAX_ORPHANS];  /* stuck threads not joined yet */
static size_t norphans;

static void errf(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void errf(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

/* ---------- the libraries, loaded at first use ---------- */

/* The PortAudio functions used here, typed by <portaudio.h>. */
#define PA_FUNCS(X) X(Initialize) X(GetErrorText) X(GetDeviceCount) \
	X(GetDefaultInputDevice) X(GetDefaultOutputDevice) X(GetDeviceInfo) \
	X(GetHostApiInfo) X(IsFormatSupported) X(OpenStream) X(StartStream) \
	X(AbortStream) X(CloseStream) X(ReadStream) X(WriteStream) \
	X(GetStreamWriteAvailable)

static struct pa_fns {
#define X(f) __typeof__(Pa_##f) *f;
	PA_FUNCS(X)
#undef X
} pa;

static const struct dl_sym pa_syms[] = {
#define X(f) DL_SYM(struct pa_fns, f, "Pa_" #f),
	PA_FUNCS(X)
#undef X
};

static struct dl_lib pa_lib = DL_LIB(PORTAUDIO_SONAME, "sound cards", pa_syms, &pa);

/* ALSA's error hook; libasound is loaded before PortAudio, which then
 * shares it (one copy per soname), so the hook is set before anything in
 * PortAudio runs. */
static struct alsa_fns {
	__typeof__(snd_lib_error_set_handler) *lib_error_set_handler;
} alsa;

static const struct dl_sym alsa_syms[] = {
	DL_SYM(struct alsa_fns, lib_error_set_handler, "snd_lib_error_set_handler"),
};

static struct dl_lib alsa_lib = DL_LIB(ALSA_SONAME, "sound cards", alsa_syms, &alsa);

/* ---------- keeping the libraries off the terminal ---------- */

static void alsa_quiet(const char *file, int line, const char *fn, int e, const char *fmt, ...)
{
	(void)file;
	(void)line;
	(void)fn;
	(void)e;
	(void)fmt;
}

static void jack_quiet(const char *msg)
{
	(void)msg;
}

/* libjack comes with libportaudio (when PortAudio has JACK support):
 * dlsym on PortAudio's handle searches its dependencies. */
static void jack_set(const char *name)
{
	void (*set)(void (*)(const char *));
	void *sym = dlsym(dl_handle(&pa_lib), name);

	if (!sym)
		return;
	memcpy(&set, &sym, sizeof(set));
	set(jack_quiet);
}

/* Load ALSA and PortAudio (which brings JACK) and silence them, before
 * Pa_Initialize: ALSA and JACK report through these hooks for the life of
 * the process (a device dying mid-call included).  EIO without PortAudio,
 * err saying why. */
static int load_libraries(char *err, size_t errsz)
{
	if (dl_handle(&pa_lib))
		return 0;
	if (dl_load(&alsa_lib) == 0)
		alsa.lib_error_set_handler(alsa_quiet);
	if (dl_load(&pa_lib)) {
		errf(err, errsz, "%s", dl_error(&pa_lib));
		return EIO;
	}
	jack_set("jack_set_error_function");
	jack_set("jack_set_info_function");
	setenv("JACK_NO_START_SERVER", "1", 0);
	return 0;
}

/* The last resort: fd 2 to /dev/null around a PortAudio call made on the
 * engine thread.  Returns the saved fd (or -1: nothing to restore). */
static int quiet_begin(void)
{
	int saved, nul;

	fflush(stderr);
	saved = fcntl(2, F_DUPFD_CLOEXEC, 3);
	if (saved < 0)
		return -1;
	nul = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (nul < 0 || dup2(nul, 2) < 0) {
		if (nul >= 0)
			close(nul);
		close(saved);
		return -1;
	}
	close(nul);
	return saved;
}

static void quiet_end(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

/* ---------- PortAudio's state, shared with stuck threads ---------- */

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Engine side: bounded, a stuck thread may hold the lock. */
static bool lock_engine(void)
{
	struct timespec ts;

	deadline_in(&ts, LOCK_WAIT_MS);
	return pthread_mutex_timedlock(&pa_lock, &ts) == 0;
}

static int join_within(pthread_t t, unsigned ms)
{
	struct timespec ts;

	if (!ms)
		return pthread_tryjoin_np(t, NULL);
	deadline_in(&ts, ms);
	return pthread_timedjoin_np(t, NULL, &ts);
}

/* Join the stuck threads that have returned since; wait up to ms in all. */
static void orphans_reap(unsigned ms)
{
	uint64_t end = tmr_now() + ms;

	for (size_t i = 0; i < norphans;) {
		uint64_t now = tmr_now();
		unsigned left = now < end ? (unsigned)(end - now) : 0;
		if (join_within(orphans[i], left) == 0)
			orphans[i] = orphans[--norphans];
		else
			i++;
	}
}

static int pa_init(char *err, size_t errsz)
{
	PaError e;
	int q;

	if (pa_ready)
		return 0;
	if (load_libraries(err, errsz))
		return EIO;
	if (!lock_engine()) {
		errf(err, errsz, "PortAudio is busy: try again");
		return EBUSY;
	}
	q = quiet_begin();
	e = pa.Initialize();
	quiet_end(q);
	pthread_mutex_unlock(&pa_lock);
	if (e != paNoError) {
		errf(err, errsz, "PortAudio cannot start: %s", pa.GetErrorText(e));
		return EIO;
	}
	pa_ready = true;
	return 0;
}

/* Abort and close both streams.  engine: bounded wait for the lock, fd 2
 * pointed away; else a stuck thread closing its own: it may wait. */
static void close_streams(struct pa_dev *p, bool engine)
{
	int q = -1;

	if (!p->in && !p->out)
		return;
	if (engine) {
		if (!lock_engine()) {
			log_w("audio device \"%s\": PortAudio is busy; its streams stay open",
			      p->in_label);
			return;
		}
		q = quiet_begin();
	} else {
		pthread_mutex_lock(&pa_lock);
	}
	if (p->in) {
		pa.AbortStream(p->in);
		pa.CloseStream(p->in);
		p->in = NULL;
	}
	if (p->out) {
		pa.AbortStream(p->out);
		pa.CloseStream(p->out);
		p->out = NULL;
	}
	if (engine)
		quiet_end(q);
	pthread_mutex_unlock(&pa_lock);
}

/* ---------- the audio thread ---------- */

/* Tell the engine there are frames: one wakeup until it has looked. */
static void signal_engine(struct pa_dev *p)
{
	if (!atomic_exchange_explicit(&p->pending, true, memory_order_acq_rel))
		loop_wakeup();
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The only audio thread: the device's clock paces it, one frame a turn. */
static void *pa_run(void *arg)
{
	struct pa_dev *p = arg;
	struct audio_dev *d = &p->d;
	unsigned long n = d->frame_samples;
	PaError e = paNoError;
	int where = 0;

	while (!atomic_load_explicit(&p->stop, memory_order_acquire)) {
		long room;

		e = pa.ReadStream(p->in, p->buf, n);
		if (e == paInputOverflowed) {
			atomic_fetch_add_explicit(&d->in_overflows, 1, memory_order_relaxed);
			e = paNoError;
		}
		if (e != paNoError) {
			where = FAIL_READ;
			break;
		}
		if (atomic_load_explicit(&p->stop, memory_order_acquire))
			break;
		ring_push(d->capture, p->buf);   /* full: an overrun, counted */
		if (atomic_fetch_add_explicit(&d->frames, 1, memory_order_release) == 0) {
			uint64_t ms = mono_ms() - p->t_open;
			atomic_store_explicit(&d->first_frame_ms, ms ? ms : 1, memory_order_relaxed);
		}
		signal_engine(p);

		ring_pop(d->playback, p->buf);   /* empty: silence, an underrun */
		room = pa.GetStreamWriteAvailable(p->out);
		if (room < 0) {
			e = (PaError)room;
			where = FAIL_WRITE;
			break;
		}
		if ((unsigned long)room < n) {
			/* the output's clock is behind: drop, never block */
			atomic_fetch_add_explicit(&d->out_dropped, 1, memory_order_relaxed);
			continue;
		}
		e = pa.WriteStream(p->out, p->buf, n);
		if (e == paOutputUnderflowed) {
			atomic_fetch_add_explicit(&d->out_underflows, 1, memory_order_relaxed);
			e = paNoError;
		}
		if (e != paNoError) {
			where = FAIL_WRITE;
			break;
		}
	}
	if (e != paNoError && !atomic_load_explicit(&p->stop, memory_order_acquire)) {
		atomic_store_explicit(&p->fail_where, where, memory_order_relaxed);
		atomic_store_explicit(&p->fail, e, memory_order_release);
		signal_engine(p);
	}
	/* the engine gave up waiting for us: the streams are ours to close */
	if (atomic_exchange_explicit(&p->handoff, 1, memory_order_acq_rel))
		close_streams(p, false);
	audio_dev_destroy(d);   /* the thread's reference */
	return NULL;
}

/* ---------- the engine side ---------- */

/* A failure the thread or the watchdog saw, said once; true if the owner
 * closed the device in its handler (p is gone). */
static bool report_failure(struct pa_dev *p)
{
	char msg[192];
	int e = atomic_load_explicit(&p->fail, memory_order_acquire);

	if (e) {
		bool rd = atomic_load_explicit(&p->fail_where, memory_order_relaxed) == FAIL_READ;
		snprintf(msg, sizeof(msg), "audio %s \"%s\" stopped working: %s",
			 rd ? "input" : "output", rd ? p->in_label : p->out_label,
			 pa.GetErrorText(e));
		return audio_dev_fail(&p->d, EIO, msg);
	}
	if (audio_dev_frames(&p->d) == 0)
		snprintf(msg, sizeof(msg), "audio input \"%s\" delivered no sound within %u s "
			 "of starting", p->in_label, FIRST_FRAME_MS / 1000);
	else
		snprintf(msg, sizeof(msg), "audio input \"%s\" delivered no sound for %u s: "
			 "the device is stuck or gone", p->in_label, STALL_MS / 1000);
	return audio_dev_fail(&p->d, ETIMEDOUT, msg);
}

/* The loop's wake handler: run frame_h for each device whose thread
 * pushed frames, and report failures.  A handler may close any device, so
 * the walk restarts after each one; the round stamp visits each once. */
static void pa_wake(void *arg)
{
	unsigned round = ++wake_round;
	struct pa_dev *p;

	(void)arg;
again:
	for (p = devs; p; p = p->next) {
		bool ran = false, gone = false;

		if (p->round == round)
			continue;
		p->round = round;
		if (atomic_exchange_explicit(&p->pending, false, memory_order_acq_rel)) {
			ran = true;
			gone = audio_dev_notify(&p->d);
		}
		if (!gone && !p->d.failed && atomic_load_explicit(&p->fail, memory_order_acquire)) {
			ran = true;
			report_failure(p);
		}
		if (ran)
			goto again;
	}
}

/* No frame for too long: the device is stuck (a blocked read gives no
 * error).  Every WATCH_MS on the loop; it ends when the device fails. */
static void pa_watch(void *arg)
{
	struct pa_dev *p = arg;
	uint64_t now = tmr_now(), f = audio_dev_frames(&p->d);

	if (p->d.failed)
		return;
	if (f != p->watch_frames) {
		p->watch_frames = f;
		p->watch_since = now;
	} else if (now - p->watch_since >= (f ? STALL_MS : FIRST_FRAME_MS)) {
		report_failure(p);   /* may free p */
		return;
	}
	tmr_start(&p->watch, WATCH_MS, pa_watch, p);
}

static void devs_add(struct pa_dev *p)
{
	p->next = devs;
	devs = p;
	loop_wake_set(pa_wake, NULL);
}

static void devs_del(struct pa_dev *p)
{
	for (struct pa_dev **pp = &devs; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (!devs)
		loop_wake_set(NULL, NULL);
}

/* Stop the thread: true when it is gone and the streams are the engine's
 * to close, false when it is stuck in the device and closes them itself. */
static bool stop_thread(struct pa_dev *p)
{
	atomic_store_explicit(&p->stop, true, memory_order_release);
	if (join_within(p->thread, CLOSE_JOIN_MS) == 0)
		return true;
	if (atomic_exchange_explicit(&p->handoff, 1, memory_order_acq_rel)) {
		/* it was on its way out */
		pthread_join(p->thread, NULL);
		return true;
	}
	if (norphans < MAX_ORPHANS)
		orphans[norphans++] = p->thread;
	else
		pthread_detach(p->thread);
	if (p->d.failed || audio_dev_frames(&p->d))
		log_w("audio device \"%s\" does not answer; its thread finishes on its own",
		      p->in_label);
	else   /* still starting (up to 2.4 s on "pulse"): nothing wrong */
		log_d("audio device \"%s\" closed while starting; its thread finishes "
		      "on its own", p->in_label);
	return false;
}

static void pa_stop(struct audio_dev *d)
{
	struct pa_dev *p = (struct pa_dev *)d;

	devs_del(p);
	tmr_cancel(&p->watch);
	if (p->thread_started && !stop_thread(p))
		return;
	close_streams(p, true);
}

/* ---------- opening ---------- */

/* A device by name: exact, else a case-insensitive substring; NULL: the
 * default.  paNoDevice when nothing fits, and err says why. */
static PaDeviceIndex find_dev(const char *name, bool input, char *err, size_t errsz)
{
	const char *what = input ? "input" : "output";
	int n = pa.GetDeviceCount();
	PaDeviceIndex i;

	if (n <= 0) {
		errf(err, errsz, "%s", NO_CARD);
		return paNoDevice;
	}
	if (!name || !*name) {
		i = input ? pa.GetDefaultInputDevice() : pa.GetDefaultOutputDevice();
		if (i == paNoDevice)
			errf(err, errsz, "no default audio %s device (see: audio devices)", what);
		return i;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			const PaDeviceInfo *di = pa.GetDeviceInfo(i);
			if (!di || (input ? di->maxInputChannels : di->maxOutputChannels) < 1)
				continue;
			if (pass == 0 ? !strcmp(di->name, name) : strcasestr(di->name, name) != NULL)
				return i;
		}
	}
	errf(err, errsz, "no audio %s device matches \"%s\" (see: audio devices)", what, name);
	return paNoDevice;
}

static void stream_params(PaStreamParameters *sp, PaDeviceIndex i, bool input)
{
	const PaDeviceInfo *di = pa.GetDeviceInfo(i);
	double lat = input ? di->defaultHighInputLatency : di->defaultHighOutputLatency;

	memset(sp, 0, sizeof(*sp));
	sp->device = i;
	sp->channelCount = 1;
	sp->sampleFormat = paInt16;
	sp->suggestedLatency = lat > MIN_LATENCY ? lat : MIN_LATENCY;
}

/* The first of rate, 48000, 16000, 8000 Hz that both streams take; 0: none. */
static uint32_t pick_rate(const PaStreamParameters *ip, const PaStreamParameters *op,
			  uint32_t rate)
{
	const uint32_t cand[] = { rate, 48000, 16000, 8000 };

	for (size_t k = 0; k < sizeof(cand) / sizeof(cand[0]); k++) {
		if (!wav_rate_supported(cand[k]) || (k > 0 && cand[k] == rate))
			continue;
		if (pa.IsFormatSupported(ip, NULL, cand[k]) == paFormatIsSupported &&
		    pa.IsFormatSupported(NULL, op, cand[k]) == paFormatIsSupported)
			return cand[k];
	}
	return 0;
}

/* Streams open and started, under pa_lock with fd 2 away. */
static int open_streams(struct pa_dev *p, const PaStreamParameters *ip,
			const PaStreamParameters *op, char *err, size_t errsz)
{
	unsigned long fpb = p->d.frame_samples;
	PaError e;

	e = pa.OpenStream(&p->in, ip, NULL, p->d.rate, fpb, paClipOff | paDitherOff, NULL, NULL);
	if (e != paNoError) {
		p->in = NULL;
		errf(err, errsz, "cannot open audio input \"%s\": %s", p->in_label,
		     pa.GetErrorText(e));
		return EIO;
	}
	e = pa.OpenStream(&p->out, NULL, op, p->d.rate, fpb, paClipOff | paDitherOff, NULL, NULL);
	if (e != paNoError) {
		p->out = NULL;
		errf(err, errsz, "cannot open audio output \"%s\": %s", p->out_label,
		     pa.GetErrorText(e));
		return EIO;
	}
	e = pa.StartStream(p->out);
	if (e == paNoError)
		e = pa.StartStream(p->in);
	if (e != paNoError) {
		errf(err, errsz, "cannot start audio device \"%s\": %s", p->in_label,
		     pa.GetErrorText(e));
		return EIO;
	}
	return 0;
}

/* The thread, with every signal blocked: they belong to the loop. */
static int start_thread(struct pa_dev *p)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	audio_dev_hold(&p->d);
	e = pthread_create(&p->thread, NULL, pa_run, p);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e) {
		audio_dev_destroy(&p->d);   /* the thread's reference */
		return e;
	}
	pthread_setname_np(p->thread, "sipterm-audio");
	p->thread_started = true;
	return 0;
}

int audio_dev_open_portaudio(struct audio_dev **dp, const char *in_name, const char *out_name,
			     uint32_t rate, audio_frame_h *h, void *arg, char *err, size_t errsz)
{
	PaStreamParameters ip, op;
	PaDeviceIndex in, out;
	struct pa_dev *p = NULL;
	uint32_t r;
	int e, q = -1;

	if (!dp || !h)
		return EINVAL;
	e = pa_init(err, errsz);
	if (e)
		return e;
	orphans_reap(0);
	if (!lock_engine()) {
		errf(err, errsz, "the previous audio device has not let go of PortAudio yet");
		return EBUSY;
	}
	q = quiet_begin();
	in = find_dev(in_name, true, err, errsz);
	out = in == paNoDevice ? paNoDevice : find_dev(out_name, false, err, errsz);
	if (in == paNoDevice || out == paNoDevice) {
		e = ENODEV;
		goto out;
	}
	stream_params(&ip, in, true);
	stream_params(&op, out, false);
	r = pick_rate(&ip, &op, rate);
	if (!r) {
		errf(err, errsz, "audio devices \"%s\" and \"%s\" take none of 48000, 16000 "
		     "and 8000 Hz, mono, 16-bit", pa.GetDeviceInfo(in)->name,
		     pa.GetDeviceInfo(out)->name);
		e = ENOTSUP;
		goto out;
	}
	p = xcalloc(1, sizeof(*p));
	e = audio_dev_setup(&p->d, &pa_ops, r, h, arg);
	if (e) {
		free(p);
		p = NULL;
		errf(err, errsz, "audio device: unsupported sample rate %u Hz", r);
		goto out;
	}
	snprintf(p->in_label, sizeof(p->in_label), "%s", pa.GetDeviceInfo(in)->name);
	snprintf(p->out_label, sizeof(p->out_label), "%s", pa.GetDeviceInfo(out)->name);
	tmr_init(&p->watch);
	atomic_init(&p->stop, false);
	atomic_init(&p->pending, false);
	atomic_init(&p->fail, 0);
	atomic_init(&p->fail_where, 0);
	atomic_init(&p->handoff, 0);
	e = open_streams(p, &ip, &op, err, errsz);
	if (e)
		goto out;
	p->t_open = mono_ms();
	e = start_thread(p);
	if (e) {
		errf(err, errsz, "audio device: cannot start its thread: %s", strerror(e));
		goto out;
	}
out:
	quiet_end(q);
	pthread_mutex_unlock(&pa_lock);
	if (e) {
		if (p) {
			close_streams(p, true);
			audio_dev_destroy(&p->d);
		}
		return e;
	}
	p->watch_since = tmr_now();
	tmr_start(&p->watch, WATCH_MS, pa_watch, p);
	devs_add(p);
	*dp = &p->d;
	return 0;
}

/* ---------- listing and the end ---------- */

int audio_pa_devices(struct audio_pa_dev *out, size_t max, size_t *n)
{
	PaDeviceIndex din, dout;
	char err[160];
	int cnt;

	*n = 0;
	if (pa_init(err, sizeof(err)))
		return EIO;
	cnt = pa.GetDeviceCount();
	if (cnt <= 0)
		return 0;
	din = pa.GetDefaultInputDevice();
	dout = pa.GetDefaultOutputDevice();
	for (int i = 0; i < cnt && (size_t)i < max; i++) {
		const PaDeviceInfo *di = pa.GetDeviceInfo(i);
		const PaHostApiInfo *hi = di ? pa.GetHostApiInfo(di->hostApi) : NULL;
		struct audio_pa_dev *o = &out[i];

		memset(o, 0, sizeof(*o));
		if (!di)
			continue;
		snprintf(o->name, sizeof(o->name), "%s", di->name);
		snprintf(o->host_api, sizeof(o->host_api), "%s", hi ? hi->name : "?");
		o->max_in = di->maxInputChannels;
		o->max_out = di->maxOutputChannels;
		o->default_rate = di->defaultSampleRate;
		o->default_in = i == din;
		o->default_out = i == dout;
	}
	*n = (size_t)cnt;
	return 0;
}

/* Not Pa_Terminate: see the header of this file. */
void audio_pa_terminate(void)
{
	if (!pa_ready)
		return;
	orphans_reap(TERMINATE_WAIT_MS);
	if (norphans || devs)
		log_w("%s still in use at exit",
		      devs ? "an audio device is" : "a stuck audio device thread is");
}
