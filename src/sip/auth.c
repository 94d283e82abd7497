/* sip/auth.c: digest authentication, client side (RFC 3261 22, RFC 7616,
 * RFC 8760): challenge parsing, response computation, and the per-account
 * credential cache.
 *
 * Secrets: the password is hashed piecewise (never concatenated into a
 * buffer), HA1 lives only in stack buffers that are wiped before return,
 * and neither ever reaches a log line.
 *
 * The hashes are OpenSSL's (EVP), from libcrypto loaded at the first
 * digest (dl.h): most runs never see a challenge.  The cnonce comes from
 * the kernel's generator (rand.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dl.h"
#include "log.h"
#include "rand.h"
#include "sip/auth.h"
#include "sip/msg-int.h"
#include "xmalloc.h"

#define LOG_MOD "auth"

#define CNONCE_MAX 64u    /* hex digits or a test cnonce */
#define CNONCE_BYTES 16u  /* random bytes in a cnonce: 32 hex digits */

enum qop {
	QOP_NONE = 0,
	QOP_AUTH,
	QOP_AUTH_INT,
};

/* One realm we can answer: the last usable challenge for it. */
struct auth_realm {
	char *realm;      /* unescaped */
	char *nonce;      /* unescaped */
	char *opaque;     /* unescaped; NULL when absent */
	enum sip_auth_alg alg;
	bool sess;
	bool alg_given;   /* the challenge named an algorithm: echo it */
	bool proxy;       /* Proxy-Authenticate: answer with Proxy-Authorization */
	bool userhash;
	bool used;        /* credentials were sent since this challenge came */
	enum qop qop;
	uint32_t nc;      /* last nc sent with this nonce */
	char cnonce[CNONCE_MAX + 1]; /* empty until first use of the nonce */
};

struct sip_auth {
	char *user;
	char *password;
	char *test_cnonce;
	struct auth_realm r[SIP_AUTH_MAX_REALMS];
	unsigned n;
};

/* ---- challenge parsing ---- */

static bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_lws(const char *p, const char *e)
{
	while (p < e && is_lws(*p))
		p++;
	return p;
}

/* Control characters other than HT: never valid in a value we echo. */
static bool is_ctl(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* quoted-string at p ('"'); returns the position after the closing quote,
 * NULL when unterminated.  Stricter than RFC 3261's quoted-pair: an
 * escaped control character is refused too, so an unescaped value never
 * holds CR, LF or NUL. */
static const char *scan_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '\\') {
			if (++p >= e || is_ctl((unsigned char)*p))
				return NULL;
		} else if (c == '"') {
			return p + 1;
		} else if (is_ctl(c)) {
			return NULL;
		}
	}
	return NULL;
}

/* token68 (RFC 7235 2.1) characters, before the trailing '='s. */
static bool is_token68(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

static enum sip_auth_alg alg_parse(const struct pl *v, bool *sess)
{
	static const struct {
		const char *name;
		enum sip_auth_alg alg;
		bool sess;
	} algs[] = {
		{ "MD5", SIP_AUTH_MD5, false },
		{ "MD5-sess", SIP_AUTH_MD5, true },
		{ "SHA-256", SIP_AUTH_SHA256, false },
		{ "SHA-256-sess", SIP_AUTH_SHA256, true },
		{ "SHA-512-256", SIP_AUTH_SHA512_256, false },
		{ "SHA-512-256-sess", SIP_AUTH_SHA512_256, true },
	};

	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (pl_caseeq_str(v, algs[i].name)) {
			*sess = algs[i].sess;
			return algs[i].alg;
		}
	}
	*sess = false;
	return SIP_AUTH_ALG_UNKNOWN;
}

/* The options of qop="auth,auth-int": unknown ones are ignored. */
static void qop_parse(struct sip_challenge *c)
{
	const char *p = c->qop.p, *e = c->qop.p + c->qop.l;

	while (p < e) {
		const char *s;
		struct pl tok;

		while (p < e && (is_lws(*p) || *p == ','))
			p++;
		s = p;
		while (p < e && *p != ',')
			p++;
		tok = pl_span(s, p);
		pl_trim(&tok);
		if (pl_caseeq_str(&tok, "auth"))
			c->qop_auth = true;
		else if (pl_caseeq_str(&tok, "auth-int"))
			c->qop_auth_int = true;
	}
}

/* Store one auth-param; a known one given twice is malformed (which of
 * the two would the server check?). */
static int set_param(struct sip_challenge *c, struct pl *stale, struct pl *userhash,
		     const struct pl *name, const struct pl *val)
{
	static const struct {
		const char *name;
		size_t off;
	} slots[] = {
		{ "realm", offsetof(struct sip_challenge, realm) },
		{ "nonce", offsetof(struct sip_challenge, nonce) },
		{ "opaque", offsetof(struct sip_challenge, opaque) },
		{ "domain", offsetof(struct sip_challenge, domain) },
		{ "charset", offsetof(struct sip_challenge, charset) },
		{ "algorithm", offsetof(struct sip_challenge, algorithm) },
		{ "qop", offsetof(struct sip_challenge, qop) },
	};
	struct pl *slot = NULL;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (pl_caseeq_str(name, slots[i].name)) {
			slot = (struct pl *)(void *)((char *)c + slots[i].off);
			break;
		}
	}
	if (!slot && pl_caseeq_str(name, "stale"))
		slot = stale;
	if (!slot && pl_caseeq_str(name, "userhash"))
		slot = userhash;
	if (!slot)
		return 0; /* an extension parameter */
	if (pl_isset(slot))
		return EBADMSG;
	*slot = *val;
	return 0;
}

/* Derive the flags once all parameters are in. */
static int finish(struct sip_challenge *c, const struct pl *stale, const struct pl *userhash)
{
	c->stale = pl_isset(stale) && pl_caseeq_str(stale, "true");
	c->userhash = pl_isset(userhash) && pl_caseeq_str(userhash, "true");
	c->alg = pl_isset(&c->algorithm) ? alg_parse(&c->algorithm, &c->sess) : SIP_AUTH_MD5;
	if (pl_isset(&c->qop))
		qop_parse(c);
	if (!c->digest)
		return 0;
	if (!pl_isset(&c->realm) || !pl_isset(&c->nonce))
		return EBADMSG;
	if (c->realm.l > SIP_AUTH_MAX_VALUE || c->nonce.l > SIP_AUTH_MAX_VALUE ||
	    c->opaque.l > SIP_AUTH_MAX_VALUE)
		return EINVAL;
	c->usable = c->alg != SIP_AUTH_ALG_UNKNOWN &&
		    (!pl_isset(&c->qop) || c->qop_auth || c->qop_auth_int);
	return 0;
}

/* challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 * auth-param = token BWS "=" BWS ( token / quoted-string )
 * After a comma, a token not followed by '=' starts the next challenge. */
int sip_challenge_parse_next(struct sip_challenge *ch, struct pl *iter)
{
	struct sip_challenge c;
	struct pl stale = PL_NULL, userhash = PL_NULL;
	const char *p, *e, *s;
	bool after_comma = false, want_comma = false;
	unsigned nparam = 0;
	int err;

	if (!iter || !iter->p)
		return ENOENT;
	p = iter->p;
	e = iter->p + iter->l;
	while (p < e && (is_lws(*p) || *p == ','))
		p++;
	if (p == e)
		return ENOENT;

	memset(&c, 0, sizeof(c));
	s = p;
	p = cc_span(p, e, CC_TOKEN);
	if (p == s)
		return EBADMSG;
	c.scheme = pl_span(s, p);
	c.digest = pl_caseeq_str(&c.scheme, "Digest");
	if (p < e && !is_lws(*p) && *p != ',')
		return EBADMSG;

	/* Another scheme may carry a token68 instead of parameters. */
	if (!c.digest && p < e && is_lws(*p)) {
		const char *q = skip_lws(p, e), *t = q;
		while (t < e && is_token68(*t))
			t++;
		if (t > q) {
			while (t < e && *t == '=')
				t++;
			t = skip_lws(t, e);
			if (t == e || *t == ',') {
				p = t;
				goto done;
			}
		}
	}

	for (;;) {
		struct pl name, val;
		const char *q, *v;

		p = skip_lws(p, e);
		if (p == e)
			break;
		if (*p == ',') {
			p++;
			after_comma = true;
			want_comma = false;
			continue;
		}
		if (want_comma)
			return EBADMSG;
		s = p;
		p = cc_span(p, e, CC_TOKEN);
		if (p == s)
			return EBADMSG;
		name = pl_span(s, p);
		q = skip_lws(p, e);
		if (q == e || *q != '=') {
			if (!after_comma)
				return EBADMSG;
			p = s; /* the next challenge starts here */
			break;
		}
		v = skip_lws(q + 1, e);
		if (v < e && *v == '"') {
			p = scan_quoted(v, e);
			if (!p)
				return EBADMSG;
			val = pl_span(v + 1, p - 1);
		} else {
			p = cc_span(v, e, CC_TOKEN);
			if (p == v)
				return EBADMSG;
			val = pl_span(v, p);
		}
		if (++nparam > SIP_AUTH_MAX_PARAMS)
			return EBADMSG;
		err = set_param(&c, &stale, &userhash, &name, &val);
		if (err)
			return err;
		want_comma = true;
		after_comma = false;
	}
done:
	err = finish(&c, &stale, &userhash);
	if (err)
		return err;
	*iter = pl_span(p, e);
	*ch = c;
	return 0;
}

int sip_challenge_parse(struct sip_challenge *ch, const struct pl *val)
{
	struct sip_challenge c;
	struct pl it;
	int err;

	if (!val)
		return EINVAL;
	it = *val;
	err = sip_challenge_parse_next(&c, &it);
	if (err)
		return err == ENOENT ? EBADMSG : err;
	/* One challenge per header in SIP: anything left is a stray token. */
	for (size_t i = 0; i < it.l; i++)
		if (!is_lws(it.p[i]) && it.p[i] != ',')
			return EBADMSG;
	*ch = c;
	return 0;
}

/* ---- digest computation ---- */

/* The part of libcrypto used here, typed by <openssl/evp.h>. */
#define EVP_FUNCS(X) X(md5) X(sha256) X(sha512_256) X(MD_CTX_new) X(MD_CTX_free) \
	X(DigestInit_ex) X(DigestUpdate) X(DigestFinal_ex)

static struct evp_fns {
#define X(f) __typeof__(EVP_##f) *f;
	EVP_FUNCS(X)
#undef X
} evp;

static const struct dl_sym evp_syms[] = {
#define X(f) DL_SYM(struct evp_fns, f, "EVP_" #f),
	EVP_FUNCS(X)
#undef X
};

static struct dl_lib evp_lib = DL_LIB(OPENSSL_SONAME, "digest authentication", evp_syms, &evp);

/* Once libcrypto is loaded. */
static const EVP_MD *alg_md(enum sip_auth_alg alg)
{
	switch (alg) {
	case SIP_AUTH_MD5:
		return evp.md5();
	case SIP_AUTH_SHA256:
		return evp.sha256();
	case SIP_AUTH_SHA512_256:
		return evp.sha512_256();
	default:
		return NULL;
	}
}

const char *sip_auth_alg_name(enum sip_auth_alg alg, bool sess)
{
	switch (alg) {
	case SIP_AUTH_MD5:
		return sess ? "MD5-sess" : "MD5";
	case SIP_AUTH_SHA256:
		return sess ? "SHA-256-sess" : "SHA-256";
	case SIP_AUTH_SHA512_256:
		return sess ? "SHA-512-256-sess" : "SHA-512-256";
	default:
		return "unknown";
	}
}

/* H(p[0] ":" p[1] ":" ...) as lowercase hex; parts are fed one by one so a
 * password is never copied into a joined buffer. */
static int hash_hex(enum sip_auth_alg alg, const struct pl *parts, size_t n,
		    char out[SIP_AUTH_HEX_MAX])
{
	static const char hex[] = "0123456789abcdef";
	const EVP_MD *md;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dl = 0;
	EVP_MD_CTX *ctx;
	int err = 0;

	if (dl_load(&evp_lib))
		return ENOSYS;   /* no libcrypto: dl_load logged it */
	md = alg_md(alg);
	if (!md)
		return EINVAL;
	ctx = evp.MD_CTX_new();
	if (!ctx) {
		static const char msg[] = "sipterm: out of memory (digest)\n";
		if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
			abort();
		abort();
	}
	if (!evp.DigestInit_ex(ctx, md, NULL)) {
		err = ENOTSUP;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if ((i && !evp.DigestUpdate(ctx, ":", 1)) ||
		    (parts[i].l && !evp.DigestUpdate(ctx, parts[i].p, parts[i].l))) {
			err = EIO;
			goto out;
		}
	}
	if (!evp.DigestFinal_ex(ctx, dig, &dl) || 2 * (size_t)dl >= SIP_AUTH_HEX_MAX) {
		err = EIO;
		goto out;
	}
	for (unsigned i = 0; i < dl; i++) {
		out[2 * i] = hex[dig[i] >> 4];
		out[2 * i + 1] = hex[dig[i] & 15];
	}
	out[2 * dl] = '\0';
out:
	evp.MD_CTX_free(ctx);
	explicit_bzero(dig, sizeof(dig));
	return err;
}

int sip_auth_userhash(enum sip_auth_alg alg, const struct pl *user, const struct pl *realm,
		      char out[SIP_AUTH_HEX_MAX])
{
	struct pl parts[2];

	if (!user || !realm)
		return EINVAL;
	parts[0] = *user;
	parts[1] = *realm;
	return hash_hex(alg, parts, 2, out);
}

/* RFC 7616 3.4.1-3.4.3 (RFC 2617 3.2.2, RFC 2069 without qop). */
int sip_auth_response(const struct sip_auth_digest *d, char out[SIP_AUTH_HEX_MAX])
{
	char ha1[SIP_AUTH_HEX_MAX], ha2[SIP_AUTH_HEX_MAX], hbody[SIP_AUTH_HEX_MAX];
	char ha1s[SIP_AUTH_HEX_MAX], ncs[9];
	struct pl parts[6];
	bool qop, auth_int = false;
	int err;

	if (!d || d->alg >= SIP_AUTH_ALG_UNKNOWN)
		return EINVAL;
	qop = pl_isset(&d->qop);
	if (qop) {
		auth_int = pl_eq_str(&d->qop, "auth-int");
		if (!auth_int && !pl_eq_str(&d->qop, "auth"))
			return EINVAL;
	}
	if ((qop || d->sess) && !pl_isset(&d->cnonce))
		return EINVAL;

	parts[0] = d->user;
	parts[1] = d->realm;
	parts[2] = d->password;
	err = hash_hex(d->alg, parts, 3, ha1);
	if (err)
		goto out;
	if (d->sess) {
		parts[0] = pl_cstr(ha1);
		parts[1] = d->nonce;
		parts[2] = d->cnonce;
		err = hash_hex(d->alg, parts, 3, ha1s);
		if (err)
			goto out;
		memcpy(ha1, ha1s, sizeof(ha1));
	}

	parts[0] = d->method;
	parts[1] = d->uri;
	if (auth_int) {
		err = hash_hex(d->alg, &d->body, 1, hbody);
		if (err)
			goto out;
		parts[2] = pl_cstr(hbody);
		err = hash_hex(d->alg, parts, 3, ha2);
	} else {
		err = hash_hex(d->alg, parts, 2, ha2);
	}
	if (err)
		goto out;

	parts[0] = pl_cstr(ha1);
	parts[1] = d->nonce;
	if (qop) {
		snprintf(ncs, sizeof(ncs), "%08x", (unsigned)d->nc);
		parts[2] = pl_cstr(ncs);
		parts[3] = d->cnonce;
		parts[4] = d->qop;
		parts[5] = pl_cstr(ha2);
		err = hash_hex(d->alg, parts, 6, out);
	} else {
		parts[2] = pl_cstr(ha2);
		err = hash_hex(d->alg, parts, 3, out);
	}
out:
	explicit_bzero(ha1, sizeof(ha1));
	explicit_bzero(ha1s, sizeof(ha1s));
	return err;
}

/* ---- the credential cache ---- */

/* Copy a value with its backslash escapes removed (the parser refused
 * escaped control characters, so the result holds no NUL). */
static char *unq_dup(const struct pl *v)
{
	char *s = xmalloc(v->l + 1);
	size_t o = 0;

	for (size_t i = 0; i < v->l; i++) {
		if (v->p[i] == '\\' && i + 1 < v->l)
			i++;
		s[o++] = v->p[i];
	}
	s[o] = '\0';
	return s;
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

static void realm_clear(struct auth_realm *r)
{
	free(r->realm);
	free(r->nonce);
	free(r->opaque);
	memset(r, 0, sizeof(*r));
}

static void realm_drop(struct sip_auth *a, unsigned i)
{
	realm_clear(&a->r[i]);
	if (i + 1 < a->n)
		memmove(&a->r[i], &a->r[i + 1], (a->n - i - 1) * sizeof(a->r[0]));
	a->n--;
	memset(&a->r[a->n], 0, sizeof(a->r[0]));
}

static struct auth_realm *realm_find(struct sip_auth *a, bool proxy, const char *realm)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->r[i].proxy == proxy && !strcmp(a->r[i].realm, realm))
			return &a->r[i];
	return NULL;
}

struct sip_auth *sip_auth_new(const char *user, const char *password)
{
	struct sip_auth *a = xcalloc(1, sizeof(*a));

	a->user = xstrdup(user ? user : "");
	a->password = xstrdup(password ? password : "");
	return a;
}

void sip_auth_free(struct sip_auth *a)
{
	if (!a)
		return;
	sip_auth_reset(a);
	free(a->user);
	wipe_free(a->password);
	free(a->test_cnonce);
	free(a);
}

void sip_auth_reset(struct sip_auth *a)
{
	if (!a)
		return;
	for (unsigned i = 0; i < a->n; i++)
		realm_clear(&a->r[i]);
	a->n = 0;
}

int sip_auth_set_password(struct sip_auth *a, const char *password)
{
	if (!a || !password)
		return EINVAL;
	wipe_free(a->password);
	a->password = xstrdup(password);
	/* A rejection of the old password says nothing about the new one. */
	for (unsigned i = 0; i < a->n; i++)
		a->r[i].used = false;
	return 0;
}

void sip_auth_test_cnonce(struct sip_auth *a, const char *cnonce)
{
	if (!a)
		return;
	free(a->test_cnonce);
	a->test_cnonce = cnonce ? xstrndup(cnonce, CNONCE_MAX) : NULL;
	for (unsigned i = 0; i < a->n; i++)
		a->r[i].cnonce[0] = '\0';
}

/* Preference among challenges for one realm (RFC 8760 2.4). */
static int alg_rank(enum sip_auth_alg alg)
{
	switch (alg) {
	case SIP_AUTH_SHA512_256:
		return 3;
	case SIP_AUTH_SHA256:
		return 2;
	case SIP_AUTH_MD5:
		return 1;
	default:
		return 0;
	}
}

struct cand {
	struct sip_challenge ch;
	char *realm;
	bool proxy;
};

/* Record ch as the candidate for its realm unless a stronger one is there.
 * Costs O(realms) per challenge, realms being at most SIP_AUTH_MAX_REALMS. */
static void cand_add(struct cand *cands, unsigned *n, const struct sip_challenge *ch, bool proxy)
{
	char *realm = unq_dup(&ch->realm);

	for (unsigned i = 0; i < *n; i++) {
		if (cands[i].proxy == proxy && !strcmp(cands[i].realm, realm)) {
			if (alg_rank(ch->alg) > alg_rank(cands[i].ch.alg))
				cands[i].ch = *ch;
			free(realm);
			return;
		}
	}
	if (*n >= SIP_AUTH_MAX_REALMS) {
		log_w("too many realms challenged; ignoring \"%s\"", realm);
		free(realm);
		return;
	}
	cands[*n].ch = *ch;
	cands[*n].realm = realm;
	cands[*n].proxy = proxy;
	(*n)++;
}

/* Take a candidate into the cache; EACCES when it rejects what we sent. */
static int cand_merge(struct sip_auth *a, struct cand *c, bool retried)
{
	const struct sip_challenge *ch = &c->ch;
	struct auth_realm *r = realm_find(a, c->proxy, c->realm);
	char *nonce = unq_dup(&ch->nonce);

	if (retried && r && r->used && (!ch->stale || !strcmp(r->nonce, nonce))) {
		log_i("credentials for realm \"%s\" rejected", c->realm);
		realm_drop(a, (unsigned)(r - a->r));
		free(nonce);
		return EACCES;
	}
	if (!r) {
		if (a->n >= SIP_AUTH_MAX_REALMS) {
			log_w("too many realms cached; ignoring \"%s\"", c->realm);
			free(nonce);
			return 0;
		}
		r = &a->r[a->n++];
		memset(r, 0, sizeof(*r));
		r->realm = c->realm;
		c->realm = NULL;
		r->proxy = c->proxy;
	}
	if (r->nonce && !strcmp(r->nonce, nonce)) {
		free(nonce); /* same nonce: nc keeps counting */
	} else {
		free(r->nonce);
		r->nonce = nonce;
		r->nc = 0;
		r->cnonce[0] = '\0';
	}
	free(r->opaque);
	r->opaque = pl_isset(&ch->opaque) ? unq_dup(&ch->opaque) : NULL;
	r->alg = ch->alg;
	r->sess = ch->sess;
	r->alg_given = pl_isset(&ch->algorithm);
	r->userhash = ch->userhash;
	r->qop = ch->qop_auth ? QOP_AUTH : ch->qop_auth_int ? QOP_AUTH_INT : QOP_NONE;
	r->used = false;
	log_d("%s challenge for realm \"%s\": %s%s%s", c->proxy ? "proxy" : "server", r->realm,
	      sip_auth_alg_name(r->alg, r->sess),
	      r->qop == QOP_AUTH ? " qop=auth" : r->qop == QOP_AUTH_INT ? " qop=auth-int" : "",
	      ch->stale ? " (stale)" : "");
	return 0;
}

int sip_auth_challenge(struct sip_auth *a, const struct sip_msg *resp, bool retried)
{
	static const enum sip_hdr_id ids[2] = { SIP_H_WWW_AUTHENTICATE, SIP_H_PROXY_AUTHENTICATE };
	struct cand cands[SIP_AUTH_MAX_REALMS];
	unsigned n = 0;
	bool bad = false, big = false;
	int err = 0;

	if (!a || !resp || resp->req || (resp->scode != 401 && resp->scode != 407))
		return EINVAL;

	for (unsigned k = 0; k < 2; k++) {
		for (const struct sip_hdr *h = sip_msg_hdr(resp, ids[k]); h;
		     h = sip_msg_hdr_next(resp, h)) {
			struct pl it = h->val;
			struct sip_challenge ch;
			int e;

			while ((e = sip_challenge_parse_next(&ch, &it)) == 0) {
				if (!ch.usable) {
					log_d("ignoring %.*s challenge%s", PL_ARG(ch.scheme),
					      ch.digest ? " with an unsupported algorithm or qop" : "");
					continue;
				}
				cand_add(cands, &n, &ch, k == 1);
			}
			if (e == EBADMSG)
				bad = true;
			else if (e == EINVAL)
				big = true;
		}
	}
	if (!n) {
		if (bad)
			log_w("malformed authentication challenge");
		return bad ? EBADMSG : big ? EINVAL : ENOTSUP;
	}
	for (unsigned i = 0; i < n; i++) {
		if (cand_merge(a, &cands[i], retried) == EACCES)
			err = EACCES;
		free(cands[i].realm);
	}
	return err;
}

/* The request line parts go into a quoted-string: refuse what would
 * break the header. */
static bool text_ok(const char *s)
{
	for (; *s; s++)
		if (is_ctl((unsigned char)*s))
			return false;
	return true;
}

static bool token_ok(const char *s)
{
	size_t n = strlen(s);
	return n && cc_span(s, s + n, CC_TOKEN) == s + n;
}

/* sep name="value" with '"' and '\' escaped (RFC 7616 3.4: quoted). */
static void put_quoted(struct buf *b, const char *sep, const char *name, const char *val)
{
	buf_printf(b, "%s%s=\"", sep, name);
	for (const char *s = val; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static int cnonce_make(const struct sip_auth *a, struct auth_realm *r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[CNONCE_BYTES];

	if (a->test_cnonce) {
		snprintf(r->cnonce, sizeof(r->cnonce), "%s", a->test_cnonce);
		return 0;
	}
	if (rand_fill(rnd, sizeof(rnd)))
		return EIO;
	for (unsigned i = 0; i < CNONCE_BYTES; i++) {
		r->cnonce[2 * i] = hex[rnd[i] >> 4];
		r->cnonce[2 * i + 1] = hex[rnd[i] & 15];
	}
	r->cnonce[2 * CNONCE_BYTES] = '\0';
	return 0;
}

/* One header line for one realm, with nc as given (RFC 7616 3.4). */
static int put_realm(struct sip_auth *a, struct auth_realm *r, struct buf *b, const char *method,
		     const char *uri, const struct pl *body, uint32_t nc)
{
	struct sip_auth_digest d;
	char resp[SIP_AUTH_HEX_MAX], uhash[SIP_AUTH_HEX_MAX];
	const char *qop = r->qop == QOP_AUTH ? "auth" : r->qop == QOP_AUTH_INT ? "auth-int" : NULL;
	int err;

	if (!r->cnonce[0]) {
		err = cnonce_make(a, r);
		if (err)
			return err;
	}
	memset(&d, 0, sizeof(d));
	d.alg = r->alg;
	d.sess = r->sess;
	d.user = pl_cstr(a->user);
	d.realm = pl_cstr(r->realm);
	d.password = pl_cstr(a->password);
	d.nonce = pl_cstr(r->nonce);
	d.cnonce = pl_cstr(r->cnonce);
	d.qop = qop ? pl_cstr(qop) : PL_NULL;
	d.nc = nc;
	d.method = pl_cstr(method);
	d.uri = pl_cstr(uri);
	d.body = body ? *body : PL_NULL;
	err = sip_auth_response(&d, resp);
	if (!err && r->userhash)
		err = sip_auth_userhash(r->alg, &d.user, &d.realm, uhash);
	explicit_bzero(&d, sizeof(d));
	if (err)
		return err;

	buf_puts(b, r->proxy ? "Proxy-Authorization: Digest" : "Authorization: Digest");
	put_quoted(b, " ", "username", r->userhash ? uhash : a->user);
	put_quoted(b, ", ", "realm", r->realm);
	put_quoted(b, ", ", "nonce", r->nonce);
	put_quoted(b, ", ", "uri", uri);
	put_quoted(b, ", ", "response", resp);
	if (r->alg_given || r->alg != SIP_AUTH_MD5 || r->sess)
		buf_printf(b, ", algorithm=%s", sip_auth_alg_name(r->alg, r->sess));
	if (qop) {
		put_quoted(b, ", ", "cnonce", r->cnonce);
		buf_printf(b, ", qop=%s, nc=%08x", qop, (unsigned)nc);
	}
	if (r->opaque)
		put_quoted(b, ", ", "opaque", r->opaque);
	if (r->userhash)
		buf_puts(b, ", userhash=true");
	buf_puts(b, "\r\n");
	return b->err;
}

int sip_auth_apply(struct sip_auth *a, struct buf *b, const char *method, const char *uri,
		   const struct pl *body)
{
	uint32_t nc[SIP_AUTH_MAX_REALMS];
	size_t start;
	int err = 0;

	if (!a || !b || !method || !uri || !token_ok(method) || !text_ok(uri) ||
	    !text_ok(a->user))
		return EINVAL;
	if (b->err)
		return b->err;
	start = b->len;
	for (unsigned i = 0; i < a->n; i++) {
		struct auth_realm *r = &a->r[i];

		nc[i] = r->nc;
		if (r->qop != QOP_NONE) {
			if (r->nc == UINT32_MAX) {
				err = EOVERFLOW;
				break;
			}
			nc[i] = r->nc + 1;
		}
		err = put_realm(a, r, b, method, uri, body, nc[i]);
		if (err)
			break;
	}
	if (err) {
		/* Nothing half-written, nothing counted. */
		b->len = start;
		if (b->p)
			b->p[start] = '\0';
		return err;
	}
	for (unsigned i = 0; i < a->n; i++) {
		a->r[i].nc = nc[i];
		a->r[i].used = true;
	}
	return 0;
}
