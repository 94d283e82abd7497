/* log.h: levelled logging with a per-module prefix, and a SIP trace.
 * Each .c file defines LOG_MOD ("sip", "txn", ...) before using the macros.
 * Sinks: stderr (headless only), a file, and a handler (the TUI log pane).
 * Bytes that came from the network are escaped before any sink sees them. */
#ifndef SIPTERM_LOG_H
#define SIPTERM_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

typedef void (log_h)(enum log_level lvl, const char *mod, const char *line, void *arg);
typedef void (trace_h)(bool out, const char *proto, const char *peer,
		       const char *msg, size_t len, void *arg);

void log_msg(enum log_level lvl, const char *mod, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_vmsg(enum log_level lvl, const char *mod, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
int log_level_parse(const char *s, enum log_level *lvl);
const char *log_level_name(enum log_level lvl);
void log_set_stderr(bool on);
int log_set_file(const char *path);
void log_set_handler(log_h *h, void *arg);
void log_close(void);
bool log_enabled(enum log_level lvl);

void log_trace(bool out, const char *proto, const char *peer, const char *msg, size_t len);
void log_trace_enable(bool on);
bool log_trace_enabled(void);
int log_trace_set_file(const char *path);
void log_trace_set_handler(trace_h *h, void *arg);
size_t log_escape(char *dst, size_t size, const char *src, size_t len, bool keep_newlines);

#define log_e(...) log_msg(LOG_LVL_ERROR, LOG_MOD, __VA_ARGS__)
#define log_w(...) log_msg(LOG_LVL_WARN, LOG_MOD, __VA_ARGS__)
#define log_i(...) log_msg(LOG_LVL_INFO, LOG_MOD, __VA_ARGS__)
#define log_d(...) do { if (log_enabled(LOG_LVL_DEBUG)) \
	log_msg(LOG_LVL_DEBUG, LOG_MOD, __VA_ARGS__); } while (0)

#endif
