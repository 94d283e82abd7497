/* tests/fuzz/fuzz-pidf.c: libFuzzer harness for src/pidf.h.
 * Every input goes to pidf_parse and iscomposing_parse.  A refusal must
 * carry a reason and leave the outputs alone; a presence document that is
 * accepted must build again (whatever we read, we can write) and read back
 * to the same status; an accepted isComposing likewise.  libxml2 itself is
 * not instrumented, only our side of it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pidf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_pidf(const char *p, size_t size)
{
	struct pidf_status st, ref, st2;
	const char *reason = NULL;
	struct buf b;

	memset(&st, 0xa5, sizeof(st));
	ref = st;
	if (pidf_parse(&st, p, size, &reason) != 0) {
		if (!reason || memcmp(&st, &ref, sizeof(st)) != 0)
			abort(); /* a refusal explains itself and writes nothing */
		return;
	}
	if (st.basic > PIDF_CLOSED || st.activity > PIDF_ACT_OTHER ||
	    !memchr(st.note, '\0', sizeof(st.note)) ||
	    !memchr(st.activity_name, '\0', sizeof(st.activity_name)))
		abort();
	buf_init(&b, 0);
	if (pidf_build(&b, "pres:fuzz@example.org", &st) != 0)
		abort(); /* what we read, we can write */
	if (pidf_parse(&st2, b.p, b.len, &reason) != 0)
		abort(); /* what we write, we can read */
	if (st2.basic != st.basic || st2.activity != st.activity ||
	    strcmp(st2.note, st.note) != 0 || strcmp(st2.activity_name, st.activity_name) != 0)
		abort(); /* and it is the same status */
	buf_free(&b);
}

static void check_iscomposing(const char *p, size_t size)
{
	bool active = true, active2;
	unsigned refresh = 4242, refresh2;
	const char *reason = NULL;
	struct buf b;

	if (iscomposing_parse(p, size, &active, &refresh, &reason) != 0) {
		if (!reason || !active || refresh != 4242)
			abort();
		return;
	}
	buf_init(&b, 0);
	if (iscomposing_build(&b, active, refresh) != 0 ||
	    iscomposing_parse(b.p, b.len, &active2, &refresh2, &reason) != 0 ||
	    active2 != active || refresh2 != (active ? refresh : 0))
		abort();
	buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so a read past the end is caught */
	char *p = malloc(size ? size : 1);

	if (size)
		memcpy(p, data, size);
	check_pidf(p, size);
	check_iscomposing(p, size);
	free(p);
	return 0;
}
