/* event.h: what sipterm reports to its users.  An event is a name and a
 * few typed fields; sinks print it as a human line ("registered
 * account=alice expires=3600") or as one JSON object per line
 * ({"event":"registered","account":"alice","expires":3600}), feed the TUI,
 * the control socket, and the scripts' "wait EVENT". */
#ifndef SIPTERM_EVENT_H
#define SIPTERM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pl.h"

#define EV_MAX_FIELDS 24

enum ev_type {
	EV_STR,
	EV_INT,
	EV_BOOL,
	EV_NUM,
};

struct ev_field {
	const char *key;      /* static string */
	enum ev_type type;
	char *s;
	long long i;
	double d;
};

struct ev {
	const char *name;     /* static string */
	struct ev_field f[EV_MAX_FIELDS];
	unsigned n;
	uint64_t seq;         /* increasing, for waiters that start late */
};

typedef void (ev_sink_h)(const struct ev *e, void *arg);

struct ev *ev_new(const char *name);
void ev_str(struct ev *e, const char *key, const char *val);
void ev_pl(struct ev *e, const char *key, const struct pl *val);
void ev_int(struct ev *e, const char *key, long long val);
void ev_bool(struct ev *e, const char *key, bool val);
void ev_num(struct ev *e, const char *key, double val);
void ev_emit(struct ev *e);
void ev_free(struct ev *e);
struct ev *ev_dup(const struct ev *e);

const char *ev_get(const struct ev *e, const char *key);
bool ev_get_int(const struct ev *e, const char *key, long long *out);
int ev_json(const struct ev *e, struct buf *b);
/* s as a JSON string, quoted; bytes that are not UTF-8 become U+FFFD */
void ev_json_string(struct buf *b, const char *s);
int ev_text(const struct ev *e, struct buf *b);

int ev_sink_add(ev_sink_h *h, void *arg);
void ev_sink_del(ev_sink_h *h, void *arg);
void ev_sinks_clear(void);

#endif
