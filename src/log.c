/* log.c: log and SIP trace sinks. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

static enum log_level level = LOG_LVL_INFO;
static bool to_stderr = true;
static FILE *logfile;
static log_h *handler;
static void *handler_arg;

static bool trace_on;
static FILE *tracefile;
static trace_h *trace_handler;
static void *trace_arg;

static const char *const names[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level lvl)
{
	level = lvl;
}

enum log_level log_get_level(void)
{
	return level;
}

bool log_enabled(enum log_level lvl)
{
	return lvl <= level;
}

const char *log_level_name(enum log_level lvl)
{
	return lvl <= LOG_LVL_DEBUG ? names[lvl] : "?";
}

int log_level_parse(const char *s, enum log_level *lvl)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcasecmp(s, names[i])) {
			*lvl = (enum log_level)i;
			return 0;
		}
	}
	if (!strcasecmp(s, "warning")) {
		*lvl = LOG_LVL_WARN;
		return 0;
	}
	return EINVAL;
}

void log_set_stderr(bool on)
{
	to_stderr = on;
}

static int open_append(const char *path, FILE **fp)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	FILE *f;
	if (fd < 0)
		return errno;
	f = fdopen(fd, "a");
	if (!f) {
		int err = errno;
		close(fd);
		return err;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (*fp)
		fclose(*fp);
	*fp = f;
	return 0;
}

/* Log to a file (mode 0600: traces may hold private addresses). */
int log_set_file(const char *path)
{
	return open_append(path, &logfile);
}

void log_set_handler(log_h *h, void *arg)
{
	handler = h;
	handler_arg = arg;
}

void log_close(void)
{
	if (logfile)
		fclose(logfile);
	if (tracefile)
		fclose(tracefile);
	logfile = tracefile = NULL;
	handler = NULL;
	trace_handler = NULL;
}

/* Length of the well-formed UTF-8 character at s (RFC 3629), or 0 when the
 * bytes are not one or encode a C1 control (U+0080..U+009F: U+009B is CSI
 * to terminals that honour C1 in UTF-8). */
static size_t utf8_len(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	uint32_t cp;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp <= 0x9f)
		return 0;
	return n;
}

/* Escape control bytes (C0, DEL, C1 raw or UTF-8 encoded), invalid UTF-8
 * and, unless keep_newlines, CR/LF, so network input can never drive the
 * terminal; valid UTF-8 text stays readable.  Returns the length written. */
size_t log_escape(char *dst, size_t size, const char *src, size_t len, bool keep_newlines)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, n;

	if (!size)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
		} else if (c >= 0x80 && (n = utf8_len((const unsigned char *)src + i, len - i))) {
			if (o + n >= size)
				break;
			memcpy(dst + o, src + i, n);
			o += n;
			i += n - 1;
		} else if (keep_newlines && (c == '\n' || c == '\t' ||
					     (c == '\r' && i + 1 < len && src[i + 1] == '\n'))) {
			if (c == '\r')
				continue; /* CRLF shown as LF */
			if (o + 1 >= size)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 15];
		}
	}
	dst[o] = '\0';
	return o;
}

static void stamp(char *out, size_t size)
{
	struct timeval tv;
	struct tm tm;
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	snprintf(out, size, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)(tv.tv_usec / 1000));
}

void log_vmsg(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
{
	char raw[2048], line[2048], ts[16];

	if (lvl > level)
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	log_escape(line, sizeof(line), raw, strlen(raw), false);
	if (handler)
		handler(lvl, mod, line, handler_arg);
	if (to_stderr)
		fprintf(stderr, "sipterm: %s: %s%s\n", mod,
			lvl == LOG_LVL_ERROR ? "error: " : lvl == LOG_LVL_WARN ? "warning: " : "",
			line);
	if (logfile) {
		stamp(ts, sizeof(ts));
		fprintf(logfile, "%s %-5s %s: %s\n", ts, names[lvl], mod, line);
	}
}

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, mod, fmt, ap);
	va_end(ap);
}

void log_trace_enable(bool on)
{
	trace_on = on;
}

bool log_trace_enabled(void)
{
	return trace_on;
}

int log_trace_set_file(const char *path)
{
	int err = open_append(path, &tracefile);
	if (!err)
		trace_on = true;
	return err;
}

void log_trace_set_handler(trace_h *h, void *arg)
{
	trace_handler = h;
	trace_arg = arg;
}

/* One SIP message seen on the wire.  Handlers get the raw bytes (they
 * escape for display); the file and stderr get an escaped copy. */
void log_trace(bool out, const char *proto, const char *peer, const char *msg, size_t len)
{
	char ts[16];
	char *esc;
	size_t cap;

	if (!trace_on)
		return;
	if (trace_handler)
		trace_handler(out, proto, peer, msg, len, trace_arg);
	if (!tracefile && !(to_stderr && !trace_handler))
		return;
	cap = len * 4 + 1;
	esc = xmalloc(cap);
	log_escape(esc, cap, msg, len, true);
	stamp(ts, sizeof(ts));
	if (tracefile)
		fprintf(tracefile, "%s %s %s %s %s\n%s\n", ts, proto, out ? "send" : "recv",
			out ? "to" : "from", peer, esc);
	else
		fprintf(stderr, "%s %s %s %s %s\n%s\n", ts, proto, out ? "send" : "recv",
			out ? "to" : "from", peer, esc);
	free(esc);
}
