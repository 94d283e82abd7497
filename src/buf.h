/* buf.h: a growable byte buffer with a hard upper bound (curl: every dynamic
 * buffer has a maximum).  Used by printers and stream reassembly. */
#ifndef SIPTERM_BUF_H
#define SIPTERM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "pl.h"

struct buf {
	char *p;
	size_t len;
	size_t cap;
	size_t max; /* 0 = unbounded */
	int err;    /* sticky: ENOSPC once max was hit */
};

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putpl(struct buf *b, const struct pl *x);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void buf_consume(struct buf *b, size_t n);
const char *buf_cstr(struct buf *b);

#endif
