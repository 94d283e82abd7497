/* tests/bench/bench.h: the driver shared by the parser benchmarks.
 *
 * bench-parse (sipterm) and bench-parse-sofia (Sofia-SIP) differ only in
 * the two callbacks below; the file list, the input buffers, the timing
 * loop and the output format are this one piece of code, so both parsers
 * are measured the same way.  Uses libc only: the Sofia program does not
 * link libsipterm. */
#ifndef SIPTERM_BENCH_H
#define SIPTERM_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One iteration: parse data (a whole message), read the decoded fields
 * into *sink so nothing can be optimised away, free the message.  0, or
 * -1 with *reason when the message does not parse. */
typedef int (bench_parse_h)(const char *data, size_t len, uint64_t *sink,
			    const char **reason);

/* Print what the parser decoded, in a format both programs share, so
 * run.sh can check that both really decoded the same values.  0, or -1
 * with *reason. */
typedef int (bench_describe_h)(const char *data, size_t len, FILE *out,
			       const char **reason);

struct bench_parser {
	const char *name;          /* "sipterm", "sofia" */
	bench_parse_h *parse;
	bench_describe_h *describe;
};

int bench_main(const struct bench_parser *bp, int argc, char **argv);

/* Helpers for the describe callbacks: "key=value" with the value escaped
 * (no blanks) or "-" when absent. */
void bench_put(FILE *out, const char *key, const char *p, size_t l);
void bench_put_str(FILE *out, const char *key, const char *s);

#endif
