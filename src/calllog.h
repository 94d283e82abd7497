/* calllog.h: the call history, kept across runs in
 * $XDG_DATA_HOME/sipterm/calls (one tab-separated record per call, each
 * written and fsync'd when the call ends, so a crash loses nothing that
 * was shown). */
#ifndef SIPTERM_CALLLOG_H
#define SIPTERM_CALLLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct calllog_rec {
	time_t when;
	bool incoming;
	bool answered;
	unsigned status;
	unsigned duration;
	char peer[256];
	char reason[96];
};

int calllog_open(const char *path);
void calllog_close(void);
size_t calllog_count(void);
const struct calllog_rec *calllog_get(size_t i);
bool calllog_missed(const struct calllog_rec *r);

#endif
