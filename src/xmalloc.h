/* xmalloc.h: allocation that aborts on exhaustion (as tmux and redis do),
 * so callers carry no out-of-memory paths. */
#ifndef SIPTERM_XMALLOC_H
#define SIPTERM_XMALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
int xasprintf(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int xvasprintf(char **out, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
