/* history.h: the call history, kept across runs in
 * $XDG_DATA_HOME/sipterm/calls (one tab-separated record per call, each
 * written and fsync'd when the call ends, so a crash loses nothing that
 * was shown). */
#ifndef SIPTERM_HISTORY_H
#define SIPTERM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct history_rec {
	time_t when;
	bool incoming;
	bool answered;
	unsigned status;
	unsigned duration;
	char peer[256];
	char reason[96];
};

int history_open(const char *path);
void history_close(void);
size_t history_count(void);
const struct history_rec *history_get(size_t i);
bool history_missed(const struct history_rec *r);

#endif
