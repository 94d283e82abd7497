/* ui/main.c: sipterm's entry point: options, configuration, the user
 * agent, the event printers, the scripts, and the loop. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/dev.h"
#include "call.h"
#include "conf.h"
#include "echo.h"
#include "event.h"
#include "im.h"
#include "calllog.h"
#include "presence.h"
#include "log.h"
#include "loop.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "ui/ctrl.h"
#include "ui/parse.h"
#include "ui/script.h"
#include "ui/tui.h"

#define LOG_MOD "main"

struct app app;

static struct script *script;
static bool sigint_seen;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipterm [options]\n"
		"       sipterm --parse FILE...\n"
		"\n"
		"  -f, --config FILE      configuration file (default:\n"
		"                         $XDG_CONFIG_HOME/sipterm/config)\n"
		"  -l, --listen HOST:PORT where to listen for SIP over UDP and TCP\n"
		"                         (repeatable; port 0 picks a free port;\n"
		"                         default 5060 or the next free port)\n"
		"      --headless         no terminal UI: log to stderr, events to stdout\n"
		"      --events text|json how events are printed (json: all stdout is JSON)\n"
		"  -e, --exec COMMAND     run COMMAND after start (repeatable, in order)\n"
		"      --script FILE      run the commands in FILE after start\n"
		"      --ctrl PATH        take commands on a UNIX socket at PATH (mode 0600)\n"
		"      --log-level LEVEL  error, warn, info (default) or debug\n"
		"      --log-file FILE    also write the log to FILE\n"
		"      --siptrace[=FILE]  print every SIP message (to FILE if given)\n"
		"      --dns-server ADDR  DNS server to use, as HOST:PORT\n"
		"\n"
		"Calls and the headless answering service:\n"
		"  -A, --auto-answer[=S]  answer every call after S seconds (default 0)\n"
		"      --allow PATTERN    only answer callers whose URI matches the glob\n"
		"                         PATTERN (repeatable); others are refused\n"
		"      --reject-code CODE 486 (default) or 603 for callers not allowed\n"
		"      --max-calls N      at most N calls at once (more get 486)\n"
		"      --max-call-secs N  hang up calls after N seconds\n"
		"      --audio DEVICE     portaudio[:IN[,OUT]] (a sound card), null (silence,\n"
		"                         paced by a timer), file (--play/--record), or auto:\n"
		"                         the sound card when there is one (the default with\n"
		"                         the terminal UI; null is the default headless)\n"
		"      --play FILE.wav    the microphone plays FILE (8/16/48 kHz, looped)\n"
		"      --record PATH      record what the speaker would play: into PATH, or\n"
		"                         one WAV per call when PATH is a directory\n"
		"      --echo             send each caller's own audio back\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"
		"      --parse FILE...    parse raw SIP messages and report each one\n"
		"\n"
		"Commands (for -e, scripts and the command line): sipterm -e help, or\n"
		"see sipterm(1), which also lists every event and exit status.\n");
}

/* Map a SIP failure status to the exit status scripts rely on. */
int app_exit_for_status(unsigned status)
{
	switch (status) {
	case 0:
	case 200:
		return EXIT_OK;
	case 401:
	case 403:
	case 407:
		return EXIT_AUTH;
	case 486:
	case 600:
		return EXIT_BUSY;
	case 408:
	case 480:
	case 487:
		return EXIT_NOANSWER;
	case 603:
		return EXIT_DECLINED;
	default:
		return EXIT_CALL;
	}
}

/* A whole number in [0, max]. */
static int parse_uint(const char *s, int max, int *out)
{
	char *e;
	long v;
	if (!*s)
		return EINVAL;
	errno = 0;
	v = strtol(s, &e, 10);
	if (*e || errno || v < 0 || v > max)
		return EINVAL;
	*out = (int)v;
	return 0;
}

static void shutdown_done(void *arg)
{
	(void)arg;
	loop_stop(app.exit_code);
}

/* Unregister everything (waiting at most 3 s), then leave the loop. */
void app_quit(int code)
{
	if (code)
		app.exit_code = code;
	if (app.quitting)
		return;
	app.quitting = true;
	call_hangup_all();
	presence_shutdown();
	if (app.ua)
		ua_shutdown(app.ua, 3000, shutdown_done, NULL);
	else
		loop_stop(app.exit_code);
}

static void on_signal(int sig, void *arg)
{
	(void)arg;
	if (sig == SIGINT && sigint_seen) {
		log_w("second interrupt: exiting now");
		exit(app.exit_code ? app.exit_code : 130);
	}
	if (sig == SIGINT)
		sigint_seen = true;
	log_i("%s: shutting down",
	      sig == SIGTERM ? "SIGTERM" : sig == SIGHUP ? "SIGHUP" : "interrupt");
	app_quit(0);
}

/* [general] log_level, log_file and siptrace_file: what the command line
 * did not already set. */
static int log_from_conf(const struct conf *c, bool level_given, bool file_given,
			 bool trace_given, char *err, size_t errsz)
{
	const struct conf_sect *g = conf_sect_find(c, "general", NULL);
	const struct conf_kv *kv;
	enum log_level lvl;
	int e;

	if (!g)
		return 0;
	if ((kv = conf_kv_find(g, "log_level")) && !level_given) {
		if (log_level_parse(kv->val, &lvl)) {
			conf_errf(c, kv->line, err, errsz,
				  "log_level = %s: write error, warn, info or debug", kv->val);
			return EINVAL;
		}
		log_set_level(lvl);
	}
	if ((kv = conf_kv_find(g, "log_file")) && !file_given && (e = log_set_file(kv->val))) {
		conf_errf(c, kv->line, err, errsz, "log_file = %s: %s", kv->val, strerror(e));
		return e;
	}
	if ((kv = conf_kv_find(g, "siptrace_file")) && !trace_given) {
		if ((e = log_trace_set_file(kv->val))) {
			conf_errf(c, kv->line, err, errsz, "siptrace_file = %s: %s", kv->val,
				  strerror(e));
			return e;
		}
		log_trace_enable(true);
	}
	return 0;
}

static void print_event(const struct ev *e, void *arg)
{
	struct buf b;
	(void)arg;
	buf_init(&b, 0);
	if (app.json)
		ev_json(e, &b);
	else
		ev_text(e, &b);
	printf("%s\n", buf_cstr(&b));
	fflush(stdout);
	buf_free(&b);
}

static void script_done(struct script *s, int status, bool eof, void *arg)
{
	(void)s;
	(void)arg;
	if (status) {
		app.exit_code = status;
		app_quit(status);
		return;
	}
	if (eof)
		app_quit(app.exit_code);
}

/* Standard input carries commands when it is a pipe or a file (not a
 * terminal, and not /dev/null as under a service manager). */
static bool stdin_is_script(void)
{
	struct stat st;
	if (isatty(STDIN_FILENO) || fstat(STDIN_FILENO, &st) < 0)
		return false;
	return S_ISFIFO(st.st_mode) || S_ISREG(st.st_mode) || S_ISSOCK(st.st_mode);
}

int main(int argc, char **argv)
{
	enum {
		OPT_PARSE = 256, OPT_HEADLESS, OPT_EVENTS, OPT_SCRIPT, OPT_LOG_LEVEL, OPT_LOG_FILE,
		OPT_SIPTRACE, OPT_DNS, OPT_ALLOW, OPT_REJECT, OPT_MAXCALLS, OPT_MAXSECS, OPT_AUDIO,
		OPT_PLAY, OPT_RECORD, OPT_ECHO, OPT_CTRL,
	};
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "listen", required_argument, NULL, 'l' },
		{ "headless", no_argument, NULL, OPT_HEADLESS },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "exec", required_argument, NULL, 'e' },
		{ "script", required_argument, NULL, OPT_SCRIPT },
		{ "ctrl", required_argument, NULL, OPT_CTRL },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "log-file", required_argument, NULL, OPT_LOG_FILE },
		{ "siptrace", optional_argument, NULL, OPT_SIPTRACE },
		{ "dns-server", required_argument, NULL, OPT_DNS },
		{ "auto-answer", optional_argument, NULL, 'A' },
		{ "allow", required_argument, NULL, OPT_ALLOW },
		{ "reject-code", required_argument, NULL, OPT_REJECT },
		{ "max-calls", required_argument, NULL, OPT_MAXCALLS },
		{ "max-call-secs", required_argument, NULL, OPT_MAXSECS },
		{ "audio", required_argument, NULL, OPT_AUDIO },
		{ "play", required_argument, NULL, OPT_PLAY },
		{ "record", required_argument, NULL, OPT_RECORD },
		{ "echo", no_argument, NULL, OPT_ECHO },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "parse", no_argument, NULL, OPT_PARSE },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *script_file = NULL, *log_file = NULL, *trace_file = NULL;
	const char *ctrl_path = NULL;
	char **execs = calloc((size_t)argc + 1, sizeof(char *));
	int nexec = 0, c, rc;
	bool parse = false, trace = false, audio_given = false, level_given = false;
	struct ua_opts o;
	struct media_cfg mcfg;
	struct call_policy pol;
	const char **allow = calloc((size_t)argc + 1, sizeof(char *));
	char err[1024], defpath[1024];
	enum log_level lvl = LOG_LVL_INFO;

	ua_opts_default(&o);
	media_cfg_default(&mcfg);
	call_policy_default(&pol);
	pol.allow = allow;
	opterr = 0; /* one line of our own for a bad option */
	while ((c = getopt_long(argc, argv, ":f:l:e:hVA::", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			config = optarg;
			break;
		case 'l':
			if (o.sip.tp.nlisten >= SIP_TP_MAX_LISTEN) {
				fprintf(stderr, "sipterm: --listen %s: at most %d addresses\n", optarg,
					SIP_TP_MAX_LISTEN);
				rc = EXIT_USAGE;
				goto out;
			}
			if (ua_parse_listen(&o.sip.tp.listen[o.sip.tp.nlisten], optarg)) {
				fprintf(stderr, "sipterm: --listen %s: write HOST:PORT, e.g. "
					"127.0.0.1:5070 or [::1]:0\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			o.sip.tp.nlisten++;
			o.sip.tp.next_free = false;
			o.listen_given = true;
			break;
		case OPT_HEADLESS:
			app.headless = true;
			break;
		case OPT_EVENTS:
			if (!strcmp(optarg, "json")) {
				app.json = true;
			} else if (strcmp(optarg, "text")) {
				fprintf(stderr, "sipterm: --events %s: write text or json\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case 'e':
			execs[nexec++] = optarg;
			break;
		case OPT_SCRIPT:
			script_file = optarg;
			break;
		case OPT_CTRL:
			ctrl_path = optarg;
			break;
		case OPT_LOG_LEVEL:
			level_given = true;
			if (log_level_parse(optarg, &lvl)) {
				fprintf(stderr, "sipterm: --log-level %s: write error, warn, info "
					"or debug\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_LOG_FILE:
			log_file = optarg;
			break;
		case OPT_SIPTRACE:
			trace = true;
			trace_file = optarg;
			break;
		case OPT_DNS:
			if (!ua_dns_servers_ok(optarg)) {
				fprintf(stderr, "sipterm: --dns-server %s: write IP[:PORT], e.g. "
					"127.0.0.1:53 or [::1]:53 (comma separated)\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			o.dns_server = optarg;
			break;
		case 'A':
			pol.answer_after = 0;
			if (optarg && (parse_uint(optarg, 3600, &pol.answer_after) || !*optarg)) {
				fprintf(stderr, "sipterm: -A%s: write the delay in seconds, "
					"e.g. -A2 or --auto-answer=2\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			break;
		case OPT_ALLOW:
			allow[pol.nallow++] = optarg;
			break;
		case OPT_REJECT: {
			int code;
			if (parse_uint(optarg, 699, &code) || (code != 486 && code != 603 &&
								code != 480 && code != 403)) {
				fprintf(stderr, "sipterm: --reject-code %s: write 486, 603, 480 "
					"or 403\n", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			pol.reject_code = (uint16_t)code;
			break;
		}
		case OPT_MAXCALLS:
		case OPT_MAXSECS: {
			int n;
			if (parse_uint(optarg, 1000000, &n) || n == 0) {
				fprintf(stderr, "sipterm: --%s %s: write a whole number above 0\n",
					c == OPT_MAXCALLS ? "max-calls" : "max-call-secs", optarg);
				rc = EXIT_USAGE;
				goto out;
			}
			if (c == OPT_MAXCALLS)
				pol.max_calls = (unsigned)n;
			else
				pol.max_call_secs = (unsigned)n;
			break;
		}
		case OPT_AUDIO:
			mcfg.audio = optarg;
			audio_given = true;
			break;
		case OPT_PLAY:
			mcfg.play = optarg;
			break;
		case OPT_RECORD:
			mcfg.record = optarg;
			break;
		case OPT_ECHO:
			mcfg.echo = true;
			break;
		case 'h':
			usage(stdout);
			rc = EXIT_OK;
			goto out;
		case 'V':
			printf("sipterm %s\n", PACKAGE_VERSION);
			rc = EXIT_OK;
			goto out;
		case OPT_PARSE:
			parse = true;
			break;
		case ':':
			fprintf(stderr, "sipterm: %s needs a value (try 'sipterm --help')\n",
				argv[optind - 1]);
			rc = EXIT_USAGE;
			goto out;
		default:
			if (optopt && optopt != '?')
				fprintf(stderr, "sipterm: unknown option '-%c' (try 'sipterm --help')\n",
					optopt);
			else
				fprintf(stderr, "sipterm: unknown option '%s' (try 'sipterm --help')\n",
					argv[optind - 1]);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (parse) {
		if (optind >= argc) {
			fprintf(stderr, "sipterm: --parse needs at least one FILE\n");
			rc = EXIT_USAGE;
			goto out;
		} {
		rc = parse_files(argc - optind, argv + optind);
		goto out;
	}
	}
	if (optind < argc) {
		fprintf(stderr, "sipterm: unexpected argument '%s' (try 'sipterm --help')\n",
			argv[optind]);
		rc = EXIT_USAGE;
		goto out;
	}

	log_set_level(lvl);
	if (log_file && (rc = log_set_file(log_file))) {
		fprintf(stderr, "sipterm: --log-file %s: %s\n", log_file, strerror(rc));
		rc = EXIT_USAGE;
		goto out;
	}
	if (trace) {
		if (trace_file && (rc = log_trace_set_file(trace_file))) {
			fprintf(stderr, "sipterm: --siptrace=%s: %s\n", trace_file, strerror(rc));
			rc = EXIT_USAGE;
			goto out;
		}
		log_trace_enable(true);
	}

	/* configuration: -f must exist; the default path may not */
	if (!config && conf_default_path(defpath, sizeof(defpath)) == 0 &&
	    access(defpath, F_OK) == 0)
		config = defpath;
	if (config && (rc = conf_load(&app.conf, config, err, sizeof(err)))) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (app.conf && (ua_opts_from_conf(&o, app.conf, err, sizeof(err)) ||
			 log_from_conf(app.conf, level_given, log_file != NULL, trace, err,
					   sizeof(err)) ||
			 media_cfg_from_conf(&mcfg, app.conf, err, sizeof(err)))) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (media_cfg_check(&mcfg, err, sizeof(err))) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}

	signal(SIGPIPE, SIG_IGN);
	if (loop_init()) {
		fprintf(stderr, "sipterm: cannot start the event loop\n");
		rc = EXIT_FAIL;
		goto out;
	}
	rc = ua_alloc(&app.ua, app.conf, &o, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = rc == EINVAL || rc == EACCES || rc == EADDRINUSE || rc == EADDRNOTAVAIL
			? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	call_init(app.ua, &mcfg, &pol);
	if ((rc = presence_init(app.ua, app.conf, err, sizeof(err)))) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	im_init(app.ua);
	calllog_open(NULL);
	loop_signal(SIGINT, on_signal, NULL);
	loop_signal(SIGTERM, on_signal, NULL);
	loop_signal(SIGHUP, on_signal, NULL); /* the TUI takes it over */
	/* the terminal UI, unless asked not to or there is no terminal */
	if (!app.headless && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		if (!audio_given)
			call_media_cfg()->audio = "auto";
		if ((rc = tui_start(err, sizeof(err)))) {
			fprintf(stderr, "sipterm: %s\n", err);
			rc = EXIT_FAIL;
			goto out;
		}
	} else {
		app.headless = true;
		ev_sink_add(print_event, NULL);
	}
	cmd_wait_init();
	if (ctrl_path && (rc = ctrl_open(ctrl_path, app.json, err, sizeof(err)))) {
		fprintf(stderr, "sipterm: %s\n", err);
		rc = EXIT_USAGE;
		goto out;
	}
	log_i("listening for SIP on port %u (UDP and TCP)%s",
	      sip_tp_port(sip_transport(ua_sip(app.ua)), SIP_TP_UDP, 0),
	      ua_direct(app.ua) ? "; no accounts: direct mode" : "");
	ua_start(app.ua);
	presence_start();

	if (nexec || script_file) {
		script = script_new("-e", script_done, NULL);
		for (int i = 0; i < nexec; i++)
			script_add(script, execs[i]);
		if (script_file && (rc = script_read_file(script, script_file))) {
			fprintf(stderr, "sipterm: --script %s: %s\n", script_file, strerror(rc));
			rc = EXIT_USAGE;
			goto out;
		}
		script_start(script);
	} else if (app.headless && stdin_is_script()) {
		script = script_new("stdin", script_done, NULL);
		script_follow_fd(script, STDIN_FILENO);
		script_start(script);
	}

	rc = loop_run();
	if (rc < 0)
		rc = EXIT_FAIL;
out:
	/* every exit path, early ones included: each close is safe on what
	 * was never opened */
	tui_stop();
	script_free(script);
	ctrl_close();
	cmd_wait_close();
	presence_close();
	call_close();
	im_close();
	echo_service_stop();
	audio_pa_terminate();
	calllog_close();
	ua_free(app.ua);
	conf_free(app.conf);
	ev_sinks_clear();
	loop_close();
	log_close();
	free(execs);
	free(allow);
	return rc;
}
