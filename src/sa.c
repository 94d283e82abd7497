/* sa.c: socket address helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sa.h"

void sa_init(struct sa *s, int af)
{
	memset(s, 0, sizeof(*s));
	s->u.sa.sa_family = (sa_family_t)af;
	s->len = af == AF_INET6 ? sizeof(s->u.in6) : af == AF_INET ? sizeof(s->u.in) : 0;
}

/* Numeric host only (no DNS here): IPv4 dotted quad or IPv6 (brackets ok). */
int sa_set(struct sa *s, const char *host, uint16_t port)
{
	struct pl h = pl_cstr(host);
	return sa_set_pl(s, &h, port);
}

int sa_set_pl(struct sa *s, const struct pl *host, uint16_t port)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct pl h = *host;

	if (h.l >= 2 && h.p[0] == '[' && h.p[h.l - 1] == ']') {
		h.p++;
		h.l -= 2;
	}
	if (!h.l || h.l >= sizeof(buf))
		return EINVAL;
	memcpy(buf, h.p, h.l);
	buf[h.l] = '\0';
	if (memchr(buf, ':', h.l)) {
		sa_init(s, AF_INET6);
		if (inet_pton(AF_INET6, buf, &s->u.in6.sin6_addr) != 1)
			return EINVAL;
		s->u.in6.sin6_port = htons(port);
		return 0;
	}
	sa_init(s, AF_INET);
	if (inet_pton(AF_INET, buf, &s->u.in.sin_addr) != 1)
		return EINVAL;
	s->u.in.sin_port = htons(port);
	return 0;
}

/* "HOST:PORT", "[V6]:PORT", "HOST" or ":PORT" (any IPv4 address). */
int sa_parse_hostport(struct sa *s, const char *str, uint16_t default_port)
{
	const char *colon, *host_end;
	struct pl host;
	unsigned long port = default_port;

	if (str[0] == '[') {
		const char *rb = strchr(str, ']');
		if (!rb)
			return EINVAL;
		host = pl_make(str, (size_t)(rb - str + 1));
		colon = rb[1] == ':' ? rb + 1 : NULL;
		if (rb[1] && !colon)
			return EINVAL;
	} else {
		colon = strrchr(str, ':');
		if (colon && strchr(str, ':') != colon)
			colon = NULL; /* bare IPv6 without port */
		host_end = colon ? colon : str + strlen(str);
		host = pl_make(str, (size_t)(host_end - str));
	}
	if (colon) {
		char *e;
		errno = 0;
		port = strtoul(colon + 1, &e, 10);
		if (!colon[1] || *e || errno || port > 65535)
			return EINVAL;
	}
	if (!host.l)
		host = pl_cstr("0.0.0.0");
	return sa_set_pl(s, &host, (uint16_t)port);
}

int sa_af(const struct sa *s)
{
	return s->u.sa.sa_family;
}

uint16_t sa_port(const struct sa *s)
{
	switch (sa_af(s)) {
	case AF_INET:
		return ntohs(s->u.in.sin_port);
	case AF_INET6:
		return ntohs(s->u.in6.sin6_port);
	default:
		return 0;
	}
}

void sa_set_port(struct sa *s, uint16_t port)
{
	if (sa_af(s) == AF_INET)
		s->u.in.sin_port = htons(port);
	else if (sa_af(s) == AF_INET6)
		s->u.in6.sin6_port = htons(port);
}

bool sa_isset(const struct sa *s)
{
	return sa_af(s) == AF_INET || sa_af(s) == AF_INET6;
}

bool sa_is_any(const struct sa *s)
{
	if (sa_af(s) == AF_INET)
		return s->u.in.sin_addr.s_addr == htonl(INADDR_ANY);
	if (sa_af(s) == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&s->u.in6.sin6_addr);
	return false;
}

bool sa_is_loopback(const struct sa *s)
{
	if (sa_af(s) == AF_INET)
		return (ntohl(s->u.in.sin_addr.s_addr) >> 24) == 127;
	if (sa_af(s) == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&s->u.in6.sin6_addr);
	return false;
}

bool sa_eq_addr(const struct sa *a, const struct sa *b)
{
	if (sa_af(a) != sa_af(b))
		return false;
	if (sa_af(a) == AF_INET)
		return a->u.in.sin_addr.s_addr == b->u.in.sin_addr.s_addr;
	if (sa_af(a) == AF_INET6)
		return !memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16);
	return false;
}

bool sa_eq(const struct sa *a, const struct sa *b)
{
	return sa_eq_addr(a, b) && sa_port(a) == sa_port(b);
}

/* The address alone, IPv6 without brackets. */
const char *sa_ntop(const struct sa *s, char *buf, size_t size)
{
	const void *addr = sa_af(s) == AF_INET6 ? (const void *)&s->u.in6.sin6_addr
						: (const void *)&s->u.in.sin_addr;
	if (!sa_isset(s) || !inet_ntop(sa_af(s), addr, buf, (socklen_t)size))
		snprintf(buf, size, "?");
	return buf;
}

/* "1.2.3.4:5060" or "[::1]:5060". */
const char *sa_str(const struct sa *s, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];
	sa_ntop(s, a, sizeof(a));
	if (sa_af(s) == AF_INET6)
		snprintf(buf, size, "[%s]:%u", a, sa_port(s));
	else
		snprintf(buf, size, "%s:%u", a, sa_port(s));
	return buf;
}

/* FNV-1a over address and port, for hash tables. */
uint32_t sa_hash(const struct sa *s)
{
	const unsigned char *p;
	size_t n;
	uint32_t h = 2166136261u;
	uint16_t port = sa_port(s);

	if (sa_af(s) == AF_INET6) {
		p = (const unsigned char *)&s->u.in6.sin6_addr;
		n = 16;
	} else {
		p = (const unsigned char *)&s->u.in.sin_addr;
		n = 4;
	}
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	return h;
}

/* Is this host an IP literal (no DNS needed)? */
bool sa_is_numeric_host(const struct pl *host)
{
	struct sa tmp;
	return sa_set_pl(&tmp, host, 0) == 0;
}
