/* ui/parse.c: `sipterm --parse FILE...`, a diagnostic that runs the
 * message parser and the message checks on raw files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "log.h"
#include "sip/msg.h"
#include "ui/parse.h"

/* Print "FILE: ok METHOD|STATUS" or "FILE: error: REASON"; 0 when all parse. */
int parse_files(int argc, char **argv)
{
	int bad = 0;

	for (int i = 0; i < argc; i++) {
		struct sip_msg *m;
		const char *reason;
		char *data;
		size_t len;
		int err = fs_read_file(argv[i], &data, &len, 1024 * 1024, NULL);

		if (err) {
			printf("%s: error: cannot read: %s\n", argv[i], strerror(err));
			bad++;
			continue;
		}
		if (sip_msg_parse(&m, data, len, 0, &reason)) {
			printf("%s: error: %s\n", argv[i], reason);
			bad++;
		} else {
			const char *why;
			if (m->req)
				printf("%s: ok %.*s", argv[i], PL_ARG(m->method));
			else
				printf("%s: ok %u", argv[i], m->scode);
			if (sip_msg_check(m, &why) == 0)
				printf("\n");
			else
				printf(" (a UA answers 400: %s)\n", why);
			sip_msg_free(m);
		}
		free(data);
	}
	return bad ? 1 : 0;
}
