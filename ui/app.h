/* ui/app.h: the running program's state shared by the front ends. */
#ifndef SIPTERM_UI_APP_H
#define SIPTERM_UI_APP_H

#include <stdbool.h>

struct ua;
struct conf;

/* Exit statuses a script can trust (documented in sipterm(1)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,        /* a command failed */
	EXIT_USAGE = 2,       /* bad arguments or configuration */
	EXIT_AUTH = 3,        /* registration or authentication failed */
	EXIT_CALL = 4,        /* a call failed (other SIP or network failure) */
	EXIT_BUSY = 5,        /* busy: 486, 600 */
	EXIT_NOANSWER = 6,    /* no answer, or a wait timed out: 408, 480, 487 */
	EXIT_DECLINED = 7,    /* declined: 603 */
};

struct app {
	struct ua *ua;
	struct conf *conf;
	bool json;            /* --events json */
	bool headless;
	bool quitting;
	int exit_code;
};

extern struct app app;

void app_quit(int code);
int app_exit_for_status(unsigned status);

#endif
