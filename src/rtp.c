/* rtp.c: RTP packets (RFC 3550 section 5.1).  The parser checks every
 * length against the datagram before it reads and returns slices into it;
 * the builder checks the caller's buffer before it writes. */
#include <errno.h>
#include <string.h>

#include "rtp.h"
#include "rtp-int.h"

/* Split a datagram into header, payload and padding; EBADMSG with a reason
 * when it cannot be RTP.  The header extension is skipped, not interpreted. */
int rtp_parse(struct rtp_pkt *pkt, const uint8_t *p, size_t len, const char **reason)
{
	struct rtp_hdr *h;
	size_t off, end = len;

	if (!pkt || (!p && len))
		return EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	h = &pkt->hdr;
	if (len < RTP_HDR_SIZE)
		return bad(reason, "truncated RTP header");
	if (p[0] >> 6 != RTP_VERSION)
		return bad(reason, "RTP version is not 2");
	h->pad = (p[0] & 0x20) != 0;
	h->ext = (p[0] & 0x10) != 0;
	h->cc = p[0] & 0x0f;
	h->marker = (p[1] & 0x80) != 0;
	h->pt = p[1] & 0x7f;
	h->seq = get16(p + 2);
	h->ts = get32(p + 4);
	h->ssrc = get32(p + 8);
	off = RTP_HDR_SIZE;
	if ((size_t)h->cc * 4 > len - off)
		return bad(reason, "CSRC list beyond the end");
	for (unsigned i = 0; i < h->cc; i++, off += 4)
		h->csrc[i] = get32(p + off);
	if (h->ext) {
		size_t words;
		if (len - off < 4)
			return bad(reason, "extension header beyond the end");
		h->ext_profile = get16(p + off);
		words = get16(p + off + 2);
		off += 4;
		if (words * 4 > len - off)
			return bad(reason, "extension beyond the end");
		h->ext_data = p + off;
		h->ext_len = words * 4;
		off += words * 4;
	}
	if (h->pad) {
		size_t n = p[len - 1];
		/* the count octet counts itself, so 0 is not a padding */
		if (n == 0)
			return bad(reason, "padding count is zero");
		if (n > len - off)
			return bad(reason, "padding larger than the payload");
		pkt->pad_len = n;
		end = len - n;
	}
	pkt->payload = p + off;
	pkt->payload_len = end - off;
	return 0;
}

/* Bytes rtp_build() writes before the payload. */
size_t rtp_hdr_size(const struct rtp_hdr *hdr)
{
	return RTP_HDR_SIZE + (size_t)hdr->cc * 4 + (hdr->ext ? 4 + hdr->ext_len : 0);
}

/* Write header and payload into dst; ENOSPC when size is too small, EINVAL
 * for a header that cannot be encoded.  The payload may already sit in dst
 * (it is moved, not copied).  No padding is added (the P bit is written as
 * 0 whatever hdr->pad says). */
int rtp_build(uint8_t *dst, size_t size, size_t *outlen, const struct rtp_hdr *hdr,
	      const uint8_t *payload, size_t payload_len)
{
	size_t hl, off;

	if (!dst || !hdr || (!payload && payload_len))
		return EINVAL;
	if (hdr->cc > RTP_MAX_CSRC || hdr->pt > 127)
		return EINVAL;
	if (hdr->ext && (hdr->ext_len % 4 || hdr->ext_len / 4 > 0xffff ||
			 (!hdr->ext_data && hdr->ext_len)))
		return EINVAL;
	hl = rtp_hdr_size(hdr);
	if (hl > size || payload_len > size - hl)
		return ENOSPC;
	if (payload_len)
		memmove(dst + hl, payload, payload_len);
	dst[0] = (uint8_t)(RTP_VERSION << 6 | (hdr->ext ? 0x10 : 0) | hdr->cc);
	dst[1] = (uint8_t)((hdr->marker ? 0x80 : 0) | hdr->pt);
	put16(dst + 2, hdr->seq);
	put32(dst + 4, hdr->ts);
	put32(dst + 8, hdr->ssrc);
	off = RTP_HDR_SIZE;
	for (unsigned i = 0; i < hdr->cc; i++, off += 4)
		put32(dst + off, hdr->csrc[i]);
	if (hdr->ext) {
		put16(dst + off, hdr->ext_profile);
		put16(dst + off + 2, (uint16_t)(hdr->ext_len / 4));
		off += 4;
		if (hdr->ext_len)
			memmove(dst + off, hdr->ext_data, hdr->ext_len);
	}
	if (outlen)
		*outlen = hl + payload_len;
	return 0;
}
