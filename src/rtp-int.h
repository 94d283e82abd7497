/* rtp-int.h: network byte order helpers and the parse-error helper that
 * rtp.c and rtcp.c share.  Not for use outside src/rtp*.c. */
#ifndef SIPTERM_RTP_INT_H
#define SIPTERM_RTP_INT_H

#include <errno.h>
#include <stdint.h>

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* EBADMSG, with why in *reason when reason is not NULL. */
static inline int bad(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return EBADMSG;
}

#endif
