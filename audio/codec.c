/* codec.c: the codec registry and the per-call state wrapper.  The table is
 * static: lookups are a linear scan over a handful of entries. */
#include <errno.h>
#include <stdlib.h>
#include <strings.h>

#include "codec.h"
#include "xmalloc.h"

/* In order of preference when the user names none. */
static const struct codec *const codecs[] = {
	&codec_opus,
	&codec_g722,
	&codec_pcmu,
	&codec_pcma,
};

#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

struct codec_state {
	const struct codec *c;
	_Alignas(16) unsigned char st[]; /* c->state_size bytes */
};

const struct codec *codec_find(const char *name, uint32_t clock_rate, unsigned channels)
{
	if (!name)
		return NULL;
	if (channels == 0)
		channels = 1;
	for (size_t i = 0; i < NCODECS; i++) {
		const struct codec *c = codecs[i];
		if (!strcasecmp(c->name, name) && c->clock_rate == clock_rate &&
		    c->channels == channels)
			return c;
	}
	return NULL;
}

const struct codec *codec_find_pt(int pt)
{
	for (size_t i = 0; pt >= 0 && i < NCODECS; i++) {
		if (codecs[i]->pt == pt)
			return codecs[i];
	}
	return NULL;
}

const struct codec *codec_at(size_t i)
{
	return i < NCODECS ? codecs[i] : NULL;
}

size_t codec_count(void)
{
	return NCODECS;
}

int codec_state_alloc(struct codec_state **sp, const struct codec *c, const char *fmtp)
{
	struct codec_state *s;
	int err;

	if (!sp || !c)
		return EINVAL;
	s = xcalloc(1, sizeof(*s) + c->state_size);
	s->c = c;
	err = c->init ? c->init(s->st, c, fmtp) : 0;
	if (err) {
		free(s);
		return err;
	}
	*sp = s;
	return 0;
}

void codec_state_free(struct codec_state *s)
{
	if (!s)
		return;
	if (s->c->deinit)
		s->c->deinit(s->st);
	free(s);
}

const struct codec *codec_state_codec(const struct codec_state *s)
{
	return s->c;
}

int codec_encode(struct codec_state *s, const int16_t *pcm, size_t nsamples, uint8_t *out,
		 size_t outsize, size_t *outlen)
{
	return s->c->encode(s->st, pcm, nsamples, out, outsize, outlen);
}

int codec_decode(struct codec_state *s, const uint8_t *payload, size_t len, int16_t *pcm,
		 size_t maxsamples, size_t *nsamples)
{
	return s->c->decode(s->st, payload, len, pcm, maxsamples, nsamples);
}

void codec_plc(struct codec_state *s, int16_t *pcm, size_t nsamples)
{
	s->c->plc(s->st, pcm, nsamples);
}

int codec_decode_fec(struct codec_state *s, const uint8_t *next, size_t len, int16_t *pcm,
		     size_t nsamples, size_t *outn)
{
	if (!s->c->decode_fec)
		return ENOTSUP;
	return s->c->decode_fec(s->st, next, len, pcm, nsamples, outn);
}
