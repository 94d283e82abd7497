/* sa.h: socket addresses (IPv4 and IPv6) with parsing and printing. */
#ifndef SIPTERM_SA_H
#define SIPTERM_SA_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "pl.h"

struct sa {
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
		struct sockaddr_storage ss;
	} u;
	socklen_t len;
};

/* "[v6]:port", "v4:port"; enough for any address plus port */
#define SA_STRLEN 64

void sa_init(struct sa *s, int af);
int sa_set(struct sa *s, const char *host, uint16_t port);
int sa_set_pl(struct sa *s, const struct pl *host, uint16_t port);
int sa_parse_hostport(struct sa *s, const char *str, uint16_t default_port);
int sa_af(const struct sa *s);
uint16_t sa_port(const struct sa *s);
void sa_set_port(struct sa *s, uint16_t port);
bool sa_isset(const struct sa *s);
bool sa_is_any(const struct sa *s);
bool sa_is_loopback(const struct sa *s);
bool sa_eq(const struct sa *a, const struct sa *b);
bool sa_eq_addr(const struct sa *a, const struct sa *b);
const char *sa_ntop(const struct sa *s, char *buf, size_t size);
const char *sa_str(const struct sa *s, char *buf, size_t size);
uint32_t sa_hash(const struct sa *s);
bool sa_is_numeric_host(const struct pl *host);

#endif
