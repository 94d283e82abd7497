/* ui/cmd-misc.c: history, switch, record, play, set and get. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/dev.h"
#include "call.h"
#include "calllog.h"
#include "log.h"
#include "ui/app.h"
#include "ui/cmd.h"

int cmd_history(struct cmd_ctx *ctx, int argc, char **argv)
{
	size_t n = calllog_count(), show = 20, first;
	unsigned missed = 0;

	if (argc > 1) {
		char *e;
		show = strtoul(argv[1], &e, 10);
		if (argv[1][0] == '-' || argv[1][0] == '+')
			return cmd_error(ctx, EXIT_USAGE, "usage: history [N] | history NAME");
		if (*e || !*argv[1])
			return cmd_chat(ctx, argc, argv); /* history NAME: the messages */
		if (!show)
			return cmd_error(ctx, EXIT_USAGE, "usage: history [N] | history NAME");
	}
	if (!n) {
		cmd_printf(ctx, "no calls yet");
		return 0;
	}
	first = n > show ? n - show : 0;
	for (size_t i = first; i < n; i++) {
		const struct calllog_rec *r = calllog_get(i);
		char when[32];
		struct tm tm;
		bool miss = calllog_missed(r);
		localtime_r(&r->when, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		missed += miss;
		cmd_printf(ctx, "%s %-3s %s %s %u:%02u %u %s", when, r->incoming ? "in" : "out",
			   miss ? "MISSED" : r->answered ? "answered" : "failed", r->peer,
			   r->duration / 60, r->duration % 60, r->status, r->reason);
	}
	if (missed)
		cmd_printf(ctx, "%u missed call%s", missed, missed > 1 ? "s" : "");
	return 0;
}

static struct call *pick(struct cmd_ctx *ctx, const char *id, int *rc)
{
	struct call *c;
	if (id) {
		char *e;
		unsigned long v = strtoul(id, &e, 10);
		c = *e ? NULL : call_find((unsigned)v);
		if (!c)
			*rc = cmd_error(ctx, EXIT_FAIL, "no call %s (see 'calls')", id);
		return c;
	}
	c = call_current();
	if (!c)
		*rc = cmd_error(ctx, EXIT_FAIL, "no call");
	return c;
}

int cmd_switch(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	struct call *c = pick(ctx, argv[1], &rc);
	(void)argc;
	if (!c)
		return rc;
	call_switch(c);
	cmd_printf(ctx, "call %u is now the current call", call_id(c));
	return 0;
}

int cmd_record(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	bool stop = !strcmp(argv[1], "stop");
	struct call *c;

	/* the words first: a wrong one is a usage error, call or no call */
	if ((stop && argc > 3) || (!stop && (strcmp(argv[1], "start") || argc < 3)))
		return cmd_error(ctx, EXIT_USAGE, "usage: record start FILE [ID] | record stop [ID]");
	c = pick(ctx, stop ? (argc > 2 ? argv[2] : NULL) : (argc > 3 ? argv[3] : NULL), &rc);
	if (!c)
		return rc;
	if (stop) {
		call_record(c, NULL);
		return 0;
	}
	rc = call_record(c, argv[2]);
	if (rc)
		return cmd_error(ctx, EXIT_FAIL, "record: %s: %s", argv[2], strerror(rc));
	cmd_printf(ctx, "recording call %u to %s", call_id(c), argv[2]);
	return 0;
}

int cmd_play(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc = 0;
	char err[512];
	struct call *c = pick(ctx, argc > 2 ? argv[2] : NULL, &rc);

	if (!c)
		return rc;
	if (call_play(c, argv[1], err, sizeof(err)))
		return cmd_error(ctx, EXIT_FAIL, "play: %s", err);
	return 0;
}

/* ------------------------------------------------------------------ */
/* settings */

struct setting {
	const char *key;
	const char *help;
	int (*set)(struct cmd_ctx *ctx, const char *v);
	void (*get)(char *buf, size_t size);
};

static int onoff(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return EINVAL;
}

static int set_log(struct cmd_ctx *ctx, const char *v)
{
	enum log_level l;
	if (log_level_parse(v, &l))
		return cmd_error(ctx, EXIT_USAGE, "set log: error, warn, info or debug");
	log_set_level(l);
	return 0;
}

static void get_log(char *b, size_t n)
{
	snprintf(b, n, "%s", log_level_name(log_get_level()));
}

static int set_siptrace(struct cmd_ctx *ctx, const char *v)
{
	bool on;
	if (onoff(v, &on))
		return cmd_error(ctx, EXIT_USAGE, "set siptrace: on or off");
	log_trace_enable(on);
	return 0;
}

static void get_siptrace(char *b, size_t n)
{
	snprintf(b, n, "%s", log_trace_enabled() ? "on" : "off");
}

static int set_answer(struct cmd_ctx *ctx, const char *v)
{
	char *e;
	long s;
	if (!strcmp(v, "off")) {
		call_policy()->answer_after = -1;
		return 0;
	}
	s = strtol(v, &e, 10);
	if (*e || s < 0 || s > 3600)
		return cmd_error(ctx, EXIT_USAGE, "set auto_answer: seconds (0-3600) or off");
	call_policy()->answer_after = (int)s;
	return 0;
}

static void get_answer(char *b, size_t n)
{
	int a = call_policy()->answer_after;
	if (a < 0)
		snprintf(b, n, "off");
	else
		snprintf(b, n, "%d", a);
}

static char codecs_buf[256];
static char audio_spec[300];

static int set_codecs(struct cmd_ctx *ctx, const char *v)
{
	char err[256];
	if (media_codecs_check(v, err, sizeof(err)))
		return cmd_error(ctx, EXIT_USAGE, "set codecs: %s", err);
	snprintf(codecs_buf, sizeof(codecs_buf), "%s", v);
	call_media_cfg()->codecs = codecs_buf;
	return 0;
}

static void get_codecs(char *b, size_t n)
{
	snprintf(b, n, "%s", call_media_cfg()->codecs);
}

static int set_dsp(struct cmd_ctx *ctx, const char *what, const char *v)
{
	bool on;
	if (onoff(v, &on))
		return cmd_error(ctx, EXIT_USAGE, "set %s: on or off", what);
	call_dsp_set(what, on);
	return 0;
}

static void get_dsp(int v, char *b, size_t n)
{
	snprintf(b, n, "%s", v < 0 ? "default" : v ? "on" : "off");
}

static int set_aec(struct cmd_ctx *ctx, const char *v)
{
	return set_dsp(ctx, "aec", v);
}

static int set_ns(struct cmd_ctx *ctx, const char *v)
{
	return set_dsp(ctx, "ns", v);
}

static int set_agc(struct cmd_ctx *ctx, const char *v)
{
	return set_dsp(ctx, "agc", v);
}

static void get_aec(char *b, size_t n)
{
	get_dsp(call_media_cfg()->aec, b, n);
}

static void get_ns(char *b, size_t n)
{
	get_dsp(call_media_cfg()->ns, b, n);
}

static void get_agc(char *b, size_t n)
{
	get_dsp(call_media_cfg()->agc, b, n);
}

static const struct setting settings[] = {
	{ "aec", "echo cancellation: on or off (default: on with a sound card)", set_aec,
	  get_aec },
	{ "agc", "automatic gain control: on or off", set_agc, get_agc },
	{ "auto_answer", "seconds before incoming calls are answered, or off", set_answer,
	  get_answer },
	{ "codecs", "audio codecs for new calls, in order of preference", set_codecs,
	  get_codecs },
	{ "log", "log level: error, warn, info, debug", set_log, get_log },
	{ "ns", "noise suppression: on or off", set_ns, get_ns },
	{ "siptrace", "show every SIP message: on or off", set_siptrace, get_siptrace },
	{ NULL, NULL, NULL, NULL },
};

static const struct setting *find_setting(const char *key)
{
	for (const struct setting *s = settings; s->key; s++)
		if (!strcmp(s->key, key))
			return s;
	return NULL;
}

static int unknown(struct cmd_ctx *ctx, const char *cmd, const char *key)
{
	char known[256];
	size_t o = 0;
	known[0] = '\0';
	for (const struct setting *s = settings; s->key && o < sizeof(known); s++)
		o += (size_t)snprintf(known + o, sizeof(known) - o, "%s%s", o ? ", " : "", s->key);
	return cmd_error(ctx, EXIT_USAGE, "%s: no setting '%s' (known: %s)", cmd, key, known);
}

int cmd_set(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct setting *s = find_setting(argv[1]);
	(void)argc;
	if (!s)
		return unknown(ctx, "set", argv[1]);
	return s->set(ctx, argv[2]);
}

int cmd_get(struct cmd_ctx *ctx, int argc, char **argv)
{
	char v[256];
	if (argc < 2) {
		for (const struct setting *s = settings; s->key; s++) {
			s->get(v, sizeof(v));
			cmd_printf(ctx, "%s = %s  (%s)", s->key, v, s->help);
		}
		return 0;
	}
	{
		const struct setting *s = find_setting(argv[1]);
		if (!s)
			return unknown(ctx, "get", argv[1]);
		s->get(v, sizeof(v));
		cmd_printf(ctx, "%s", v);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* audio devices | use IN [OUT] | level */

/* A sound card named (exactly, else as a case-insensitive substring, as
 * the PortAudio device picks it) that can capture or play: true, else an
 * error naming what is missing, before anything is changed. */
static bool audio_name_ok(struct cmd_ctx *ctx, const struct audio_pa_dev *d, size_t n,
			  const char *name, bool input)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			if ((input ? d[i].max_in : d[i].max_out) < 1)
				continue;
			if (pass == 0 ? !strcmp(d[i].name, name) : strcasestr(d[i].name, name) != NULL)
				return true;
		}
	}
	cmd_error(ctx, EXIT_FAIL, "audio use: no audio %s device matches \"%s\" (see: audio devices)",
		  input ? "input" : "output", name);
	return false;
}

int cmd_audio(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (!strcmp(argv[1], "devices")) {
		struct audio_pa_dev d[64];
		size_t n = 0;
		if (audio_pa_devices(d, 64, &n))
			return cmd_error(ctx, EXIT_FAIL, "audio: PortAudio cannot start");
		if (!n)
			cmd_printf(ctx, "no sound card found: use --audio null or --audio file");
		for (size_t i = 0; i < n && i < 64; i++)
			cmd_printf(ctx, "%s%s %-40s %s in=%d out=%d %.0f Hz",
				   d[i].default_in ? "<" : " ", d[i].default_out ? ">" : " ",
				   d[i].name, d[i].host_api, d[i].max_in, d[i].max_out,
				   d[i].default_rate);
		return 0;
	}
	if (!strcmp(argv[1], "use") && argc >= 3) {
		char spec[300];
		struct call *c = call_current();
		int rc;
		snprintf(spec, sizeof(spec), "portaudio:%s%s%s", argv[2], argc > 3 ? "," : "",
			 argc > 3 ? argv[3] : "");
		if (!strcmp(argv[2], "null") || !strcmp(argv[2], "file")) {
			snprintf(spec, sizeof(spec), "%s", argv[2]);
		} else {
			struct audio_pa_dev d[64];
			size_t n = 0;
			if (audio_pa_devices(d, 64, &n))
				return cmd_error(ctx, EXIT_FAIL, "audio use: PortAudio cannot start");
			if (!n)
				return cmd_error(ctx, EXIT_FAIL, "audio use: no sound card found: "
						 "use null or file");
			if (n > 64)
				n = 64;
			if (!audio_name_ok(ctx, d, n, argv[2], true) ||
			    !audio_name_ok(ctx, d, n, argc > 3 ? argv[3] : argv[2], false))
				return EXIT_FAIL;
		}
		/* new calls use it; the current one moves now */
		snprintf(audio_spec, sizeof(audio_spec), "%s", spec);
		call_media_cfg()->audio = audio_spec;
		if (c && (rc = call_use_device(c, spec)))
			return cmd_error(ctx, EXIT_FAIL, "audio use: %s", strerror(rc));
		return 0;
	}
	if (!strcmp(argv[1], "level")) {
		struct call *c = call_current();
		float in, out;
		if (!c)
			return cmd_error(ctx, EXIT_FAIL, "audio level: no call");
		call_levels(c, &in, &out);
		cmd_printf(ctx, "microphone %.0f dBFS, speaker %.0f dBFS", in, out);
		return 0;
	}
	return cmd_error(ctx, EXIT_USAGE, "usage: audio devices | audio use IN [OUT] | audio level");
}
