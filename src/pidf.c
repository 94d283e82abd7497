/* pidf.c: PIDF/RPID presence and isComposing documents through libxml2.
 *
 * Building goes through the tree API: text and attribute values are stored
 * raw and libxml2 escapes them when it serialises, so no user text is ever
 * pasted into markup.
 *
 * Parsing treats the bytes as hostile.  The defences, outermost first:
 *  - at most PIDF_MAX_DOC bytes, so the work per document is bounded;
 *  - a byte scan refuses "<!DOCTYPE" and "<!ENTITY" before libxml2 runs;
 *  - the parser's SAX hooks for the DOCTYPE, entity declarations and
 *    entity resolution stop the parse the moment a DOCTYPE is seen in any
 *    encoding (a UTF-16 document slips past the byte scan), before its
 *    internal subset is read: no entity is declared, so none can expand
 *    (billion laughs) or load a file or URL (XXE);
 *  - options: no XML_PARSE_NOENT (references are never substituted), no
 *    DTDLOAD/DTDATTR/DTDVALID/XINCLUDE/HUGE/RECOVER, XML_PARSE_NONET, and
 *    XML_PARSE_NO_XXE on libxml2 >= 2.13 where it exists;
 *  - after the parse a document that still carries a DTD is refused.
 * Errors are collected by the context's structured handler (the first one
 * becomes the reason) and the thread's generic handler is a no-op, so
 * libxml2 never writes to the terminal.
 *
 * libxml2 is loaded at the first document read or built (dl.h): with it
 * come ICU, liblzma and zlib, about 1 MB that a sipterm without presence
 * never needs. */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlversion.h>

#include "dl.h"
#include "pidf.h"

#define NS_PIDF "urn:ietf:params:xml:ns:pidf"
#define NS_DM "urn:ietf:params:xml:ns:pidf:data-model"
#define NS_RPID "urn:ietf:params:xml:ns:pidf:rpid"
/* pre-RFC 4480 drafts, still sent by Asterisk and old eyeBeam/X-Lite */
#define NS_PP "urn:ietf:params:xml:ns:pidf:person"
#define NS_EP "urn:ietf:params:xml:ns:pidf:rpid:rpid-person"
#define NS_ISCOMP "urn:ietf:params:xml:ns:im-iscomposing"

#define BX(s) ((const xmlChar *)(s))

#if LIBXML_VERSION >= 21200
typedef const xmlError *xml_err_t;
#else
typedef xmlErrorPtr xml_err_t;
#endif

/* ---------- libxml2 set-up and the hostile-input guard ---------- */

/* The part of libxml2 used here, typed by its headers.  Free is the
 * address of libxml2's xmlFree variable (a function pointer). */
#define XML_FUNCS(X) X(InitParser) X(SetGenericErrorFunc) X(ThrDefSetGenericErrorFunc) \
	X(NewParserCtxt) X(FreeParserCtxt) X(CtxtReadMemory) X(StopParser) \
	X(GetPredefinedEntity) X(FreeDoc) X(DocGetRootElement) X(NodeGetContent) X(Free) \
	X(NewDoc) X(NewDocNode) X(DocSetRootElement) X(NewNs) X(SetNs) X(NewProp) \
	X(NewChild) X(NewTextChild) X(DocDumpFormatMemoryEnc)

static struct xml_fns {
#define X(f) __typeof__(xml##f) *f;
	XML_FUNCS(X)
#undef X
} xml;

static const struct dl_sym xml_syms[] = {
#define X(f) DL_SYM(struct xml_fns, f, "xml" #f),
	XML_FUNCS(X)
#undef X
};

static struct dl_lib xml_lib = DL_LIB(XML_SONAME, "presence documents", xml_syms, &xml);

static void xml_free(void *p)
{
	(*xml.Free)(p);
}

/* What one parse saw; file scope because the SAX hooks get only the
 * context and the engine runs one parse at a time. */
static struct {
	bool doctype;     /* a DOCTYPE or entity declaration was met */
	bool have_err;
	bool have_fatal;
	char msg[160];    /* the first (fatal, if any) libxml2 error */
} guard;

static char reason_buf[192];

/* Swallow libxml2's unstructured messages: the terminal is the TUI's. */
static void xml_silent(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
}

/* Load libxml2 (ENOSYS without it, *reason saying why), then once per
 * process: the parser's globals and a silent generic handler for this
 * thread and any created later. */
static int xml_init(const char **reason)
{
	static bool done;

	if (done)
		return 0;
	if (dl_load(&xml_lib)) {
		if (reason)
			*reason = dl_error(&xml_lib);
		return ENOSYS;
	}
	done = true;
	xml.InitParser();
	xml.SetGenericErrorFunc(NULL, xml_silent);
	xml.ThrDefSetGenericErrorFunc(NULL, xml_silent);
	return 0;
}

/* Keep the first error (a fatal one beats an earlier namespace error) as
 * printable ASCII: libxml2 quotes names from the document in it. */
static void on_xml_error(void *ctx, xml_err_t err)
{
	size_t n = 0;
	int w;

	(void)ctx;
	if (!err)
		return;
	if (guard.have_fatal || (guard.have_err && err->level != XML_ERR_FATAL))
		return;
	guard.have_err = true;
	guard.have_fatal = err->level == XML_ERR_FATAL;
	w = snprintf(guard.msg, sizeof(guard.msg), "line %d: ", err->line);
	if (w > 0 && (size_t)w < sizeof(guard.msg))
		n = (size_t)w;
	for (const char *m = err->message ? err->message : "?"; *m && n + 1 < sizeof(guard.msg); m++) {
		unsigned char c = (unsigned char)*m;
		if (c == '\n' || c == '\r')
			continue;
		guard.msg[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	guard.msg[n] = '\0';
}

/* A DOCTYPE: stop before its internal subset is read. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id,
		       const xmlChar *sys_id)
{
	(void)name;
	(void)ext_id;
	(void)sys_id;
	guard.doctype = true;
	xml.StopParser(ctx);
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pub,
			   const xmlChar *sys, xmlChar *content)
{
	(void)name;
	(void)type;
	(void)pub;
	(void)sys;
	(void)content;
	guard.doctype = true;
	xml.StopParser(ctx);
}

static void on_unparsed_entity(void *ctx, const xmlChar *name, const xmlChar *pub,
			       const xmlChar *sys, const xmlChar *notation)
{
	(void)name;
	(void)pub;
	(void)sys;
	(void)notation;
	guard.doctype = true;
	xml.StopParser(ctx);
}

/* Nothing external is ever opened. */
static xmlParserInputPtr on_resolve(void *ctx, const xmlChar *pub, const xmlChar *sys)
{
	(void)ctx;
	(void)pub;
	(void)sys;
	guard.doctype = true;
	return NULL;
}

/* Only &lt; &gt; &amp; &apos; &quot; exist. */
static xmlEntityPtr on_get_entity(void *ctx, const xmlChar *name)
{
	(void)ctx;
	return xml.GetPredefinedEntity(name);
}

static bool mem_has(const char *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle)) != NULL;
}

/* Parse untrusted bytes into a tree: EBADMSG (or ENOSYS without libxml2)
 * with *reason set. */
static int xml_read(xmlDocPtr *out, const char *p, size_t len, const char **reason)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	int err;
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
		   XML_PARSE_NOCDATA;

#if LIBXML_VERSION >= 21300
	opts |= XML_PARSE_NO_XXE;
#endif
	if (!p || len == 0) {
		*reason = "empty document";
		return EBADMSG;
	}
	if (len > PIDF_MAX_DOC) {
		*reason = "document too large";
		return EBADMSG;
	}
	if (mem_has(p, len, "<!DOCTYPE") || mem_has(p, len, "<!ENTITY")) {
		*reason = "DOCTYPE/ENTITY not allowed";
		return EBADMSG;
	}

	err = xml_init(reason);
	if (err)
		return err;
	memset(&guard, 0, sizeof(guard));
	ctxt = xml.NewParserCtxt();
	if (!ctxt || !ctxt->sax) {
		if (ctxt)
			xml.FreeParserCtxt(ctxt);
		*reason = "XML parser unavailable";
		return EBADMSG;
	}
	ctxt->sax->internalSubset = on_doctype;
	ctxt->sax->externalSubset = on_doctype;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->unparsedEntityDecl = on_unparsed_entity;
	ctxt->sax->resolveEntity = on_resolve;
	ctxt->sax->getEntity = on_get_entity;
	ctxt->sax->serror = on_xml_error;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;

	doc = xml.CtxtReadMemory(ctxt, p, (int)len, NULL, NULL, opts);
	if (guard.doctype || (doc && (doc->intSubset || doc->extSubset))) {
		*reason = "DOCTYPE/ENTITY not allowed";
		goto fail;
	}
	if (!doc || !ctxt->wellFormed) {
		if (guard.have_err) {
			snprintf(reason_buf, sizeof(reason_buf), "malformed XML (%s)", guard.msg);
			*reason = reason_buf;
		} else {
			*reason = "malformed XML";
		}
		goto fail;
	}
	xml.FreeParserCtxt(ctxt);
	*out = doc;
	return 0;
fail:
	if (doc)
		xml.FreeDoc(doc);
	xml.FreeParserCtxt(ctxt);
	return EBADMSG;
}

/* ---------- tree helpers ---------- */

/* The local name; an undeclared prefix ("rpid:away" with no xmlns:rpid,
 * which sloppy senders produce) is dropped. */
static const char *lname(const xmlNode *n)
{
	const char *name = (const char *)n->name;
	const char *colon;

	if (!n->ns && (colon = strchr(name, ':')) != NULL)
		return colon + 1;
	return name;
}

static bool ns_is(const xmlNode *n, const char *uri)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, uri) == 0;
}

static bool is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && strcmp(lname(n), name) == 0;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Copy at most size-1 bytes of UTF-8, never splitting a character. */
static void utf8_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len >= size) {
		len = size - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--; /* src[len] is the first byte left out */
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* An element's text, trimmed, into dst; false when it is empty. */
static bool node_text(const xmlNode *n, char *dst, size_t size)
{
	xmlChar *c = xml.NodeGetContent(n);
	const char *s = (const char *)c;
	size_t len;

	if (!c) {
		dst[0] = '\0';
		return false;
	}
	len = strlen(s);
	while (len && is_ws(*s)) {
		s++;
		len--;
	}
	while (len && is_ws(s[len - 1]))
		len--;
	utf8_copy(dst, size, s, len);
	xml_free(c);
	len = strlen(dst);
	while (len && is_ws(dst[len - 1]))
		dst[--len] = '\0'; /* the cut may have left a space at the end */
	return len != 0;
}

/* ---------- PIDF ---------- */

static const struct {
	enum pidf_activity a;
	const char *name;
} act_names[] = {
	{ PIDF_ACT_AWAY, "away" },
	{ PIDF_ACT_BUSY, "busy" },
	{ PIDF_ACT_ON_THE_PHONE, "on-the-phone" },
	{ PIDF_ACT_MEAL, "meal" },
	{ PIDF_ACT_MEETING, "meeting" },
	{ PIDF_ACT_VACATION, "vacation" },
};

/* RFC 4480's other activities: built as elements, the rest as <other>. */
static const char *const rpid_more[] = {
	"appointment", "breakfast", "dinner", "holiday", "in-transit",
	"looking-for-work", "lunch", "performance", "permanent-absence",
	"playing", "presentation", "shopping", "sleeping", "spectator",
	"steering", "travel", "tv", "working", "worship",
};

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *pidf_activity_name(enum pidf_activity a)
{
	for (size_t i = 0; i < N_ELEM(act_names); i++)
		if (act_names[i].a == a)
			return act_names[i].name;
	return a == PIDF_ACT_OTHER ? "other" : "";
}

static enum pidf_activity act_lookup(const char *name)
{
	for (size_t i = 0; i < N_ELEM(act_names); i++)
		if (strcmp(act_names[i].name, name) == 0)
			return act_names[i].a;
	return PIDF_ACT_OTHER;
}

struct pidf_acc {
	bool open, closed, have_act, have_note;
	enum pidf_activity act;
	char act_name[32];
	char note[256];
};

static void take_note(struct pidf_acc *acc, const xmlNode *n)
{
	if (!acc->have_note)
		acc->have_note = node_text(n, acc->note, sizeof(acc->note));
}

static void take_basic(struct pidf_acc *acc, const xmlNode *n)
{
	char v[16];

	node_text(n, v, sizeof(v));
	if (strcasecmp(v, "open") == 0)
		acc->open = true;
	else if (strcasecmp(v, "closed") == 0)
		acc->closed = true;
}

/* <activities>: the first activity inside, in any of the shapes seen:
 * <rpid:away/>, <rpid:other>text</rpid:other>, <ep:activity>away</...>. */
static void take_activities(struct pidf_acc *acc, const xmlNode *acts)
{
	if (acc->have_act || !(ns_is(acts, NS_RPID) || ns_is(acts, NS_EP) || !acts->ns))
		return; /* no namespace: an undeclared "rpid:" prefix */
	for (const xmlNode *a = acts->children; a; a = a->next) {
		char name[32];

		if (a->type != XML_ELEMENT_NODE || is_el(a, "note") || is_el(a, "unknown"))
			continue;
		if (is_el(a, "other") || is_el(a, "activity")) {
			if (!node_text(a, name, sizeof(name)))
				continue;
		} else {
			utf8_copy(name, sizeof(name), lname(a), strlen(lname(a)));
		}
		acc->act = act_lookup(name);
		memcpy(acc->act_name, name, sizeof(name));
		acc->have_act = true;
		return;
	}
}

/* <status> of a tuple, or of an Asterisk <pp:person>. */
static void take_status(struct pidf_acc *acc, const xmlNode *status, bool basic_ok)
{
	for (const xmlNode *s = status->children; s; s = s->next) {
		if (basic_ok && is_el(s, "basic") && ns_is(s, NS_PIDF))
			take_basic(acc, s);
		else if (is_el(s, "activities"))
			take_activities(acc, s);
	}
}

static void take_tuple(struct pidf_acc *acc, const xmlNode *tuple)
{
	for (const xmlNode *t = tuple->children; t; t = t->next) {
		if (!ns_is(t, NS_PIDF))
			continue;
		if (is_el(t, "status"))
			take_status(acc, t, true);
		else if (is_el(t, "note"))
			take_note(acc, t);
	}
}

static void take_person(struct pidf_acc *acc, const xmlNode *person)
{
	for (const xmlNode *p = person->children; p; p = p->next) {
		if (is_el(p, "activities"))
			take_activities(acc, p);
		else if (is_el(p, "status"))
			take_status(acc, p, false);
		else if (is_el(p, "note") &&
			 (ns_is(p, NS_DM) || ns_is(p, NS_PIDF) || ns_is(p, NS_RPID)))
			take_note(acc, p);
	}
}

int pidf_parse(struct pidf_status *st, const char *doc, size_t len, const char **reason)
{
	const char *dummy;
	struct pidf_acc acc;
	xmlDocPtr x;
	xmlNodePtr root;
	int err;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!st) {
		*reason = "no output";
		return EINVAL;
	}
	err = xml_read(&x, doc, len, reason);
	if (err)
		return err;
	root = xml.DocGetRootElement(x);
	if (!root || !is_el(root, "presence") || !ns_is(root, NS_PIDF)) {
		xml.FreeDoc(x);
		*reason = "not a PIDF document (<presence> in " NS_PIDF ")";
		return EBADMSG;
	}

	memset(&acc, 0, sizeof(acc));
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(c, "tuple") && ns_is(c, NS_PIDF))
			take_tuple(&acc, c);
		else if (is_el(c, "note") && ns_is(c, NS_PIDF))
			take_note(&acc, c);
		else if (is_el(c, "person") &&
			 (ns_is(c, NS_DM) || ns_is(c, NS_PP) || ns_is(c, NS_PIDF)))
			take_person(&acc, c);
	}
	xml.FreeDoc(x);

	st->basic = acc.open ? PIDF_OPEN : acc.closed ? PIDF_CLOSED : PIDF_UNKNOWN;
	st->activity = acc.have_act ? acc.act : PIDF_ACT_NONE;
	memcpy(st->activity_name, acc.act_name, sizeof(st->activity_name));
	memcpy(st->note, acc.note, sizeof(st->note));
	return 0;
}

/* Is s (n bytes) well-formed UTF-8 made only of XML 1.0 characters? */
static bool xml_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		uint32_t c = p[i], min;
		size_t k;

		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
				return false;
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, c &= 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, c &= 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, c &= 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (n - i <= k)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + j] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff) ||
		    c == 0xfffe || c == 0xffff)
			return false;
		i += k + 1;
	}
	return true;
}

/* A NUL-terminated field of at most size bytes that XML can carry. */
static bool field_ok(const char *s, size_t size)
{
	size_t n = strnlen(s, size);
	return n < size && xml_text_ok(s, n);
}

/* Tuple and person ids: random once per process, so refreshes keep them
 * and two sipterms on one account do not collapse into one tuple when
 * Kamailio aggregates by tuple id. */
static const char *doc_id(char kind)
{
	static char ids[2][12];
	static bool done;

	if (!done) {
		uint32_t r;
		if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
			r = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
		snprintf(ids[0], sizeof(ids[0]), "t%08x", r);
		snprintf(ids[1], sizeof(ids[1]), "p%08x", r);
		done = true;
	}
	return ids[kind == 't' ? 0 : 1];
}

/* Serialise doc (UTF-8, indented) onto b; b is unchanged on failure. */
static int doc_to_buf(struct buf *b, xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int size = 0, err;

	xml.DocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
	if (!mem || size <= 0) {
		if (mem)
			xml_free(mem);
		return ENOMEM;
	}
	err = buf_append(b, mem, (size_t)size);
	xml_free(mem);
	return err;
}

static bool is_rpid_more(const char *name)
{
	for (size_t i = 0; i < N_ELEM(rpid_more); i++)
		if (strcmp(rpid_more[i], name) == 0)
			return true;
	return false;
}

int pidf_build(struct buf *b, const char *entity, const struct pidf_status *st)
{
	xmlDocPtr doc;
	xmlNodePtr root, tuple, status;
	xmlNsPtr ns, dm, rpid;
	int err;

	if (!b || !entity || !*entity || !st || !field_ok(entity, 1024) ||
	    (unsigned)st->basic > PIDF_CLOSED || (unsigned)st->activity > PIDF_ACT_OTHER ||
	    !field_ok(st->note, sizeof(st->note)))
		return EINVAL;
	if (st->activity == PIDF_ACT_OTHER &&
	    (!field_ok(st->activity_name, sizeof(st->activity_name)) || !st->activity_name[0]))
		return EINVAL;

	if (xml_init(NULL))
		return ENOSYS;
	doc = xml.NewDoc(BX("1.0"));
	root = xml.NewDocNode(doc, NULL, BX("presence"), NULL);
	xml.DocSetRootElement(doc, root);
	ns = xml.NewNs(root, BX(NS_PIDF), NULL);
	dm = xml.NewNs(root, BX(NS_DM), BX("dm"));
	rpid = xml.NewNs(root, BX(NS_RPID), BX("rpid"));
	xml.SetNs(root, ns);
	xml.NewProp(root, BX("entity"), BX(entity));

	tuple = xml.NewChild(root, ns, BX("tuple"), NULL);
	xml.NewProp(tuple, BX("id"), BX(doc_id('t')));
	status = xml.NewChild(tuple, ns, BX("status"), NULL);
	if (st->basic != PIDF_UNKNOWN)
		xml.NewTextChild(status, ns, BX("basic"),
				 BX(st->basic == PIDF_OPEN ? "open" : "closed"));
	if (st->note[0])
		xml.NewTextChild(tuple, ns, BX("note"), BX(st->note));

	if (st->activity != PIDF_ACT_NONE) {
		xmlNodePtr person = xml.NewChild(root, dm, BX("person"), NULL);
		xmlNodePtr acts;

		xml.NewProp(person, BX("id"), BX(doc_id('p')));
		acts = xml.NewChild(person, rpid, BX("activities"), NULL);
		if (st->activity != PIDF_ACT_OTHER)
			xml.NewChild(acts, rpid, BX(pidf_activity_name(st->activity)), NULL);
		else if (is_rpid_more(st->activity_name))
			xml.NewChild(acts, rpid, BX(st->activity_name), NULL);
		else
			xml.NewTextChild(acts, rpid, BX("other"), BX(st->activity_name));
	}

	err = doc_to_buf(b, doc);
	xml.FreeDoc(doc);
	return err;
}

/* ---------- isComposing (RFC 3994) ---------- */

int iscomposing_build(struct buf *b, bool active, unsigned refresh_secs)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNsPtr ns;
	int err;

	if (!b)
		return EINVAL;
	if (xml_init(NULL))
		return ENOSYS;
	doc = xml.NewDoc(BX("1.0"));
	root = xml.NewDocNode(doc, NULL, BX("isComposing"), NULL);
	xml.DocSetRootElement(doc, root);
	ns = xml.NewNs(root, BX(NS_ISCOMP), NULL);
	xml.SetNs(root, ns);
	xml.NewTextChild(root, ns, BX("state"), BX(active ? "active" : "idle"));
	xml.NewTextChild(root, ns, BX("contenttype"), BX("text/plain"));
	if (active && refresh_secs) {
		char v[16];
		snprintf(v, sizeof(v), "%u", refresh_secs);
		xml.NewTextChild(root, ns, BX("refresh"), BX(v));
	}
	err = doc_to_buf(b, doc);
	xml.FreeDoc(doc);
	return err;
}

int iscomposing_parse(const char *doc, size_t len, bool *active, unsigned *refresh,
		      const char **reason)
{
	const char *dummy;
	xmlDocPtr x;
	xmlNodePtr root;
	bool have_state = false, act = false;
	unsigned long long r = 0;
	char v[32];
	int err;

	if (!reason)
		reason = &dummy;
	*reason = NULL;
	if (!active || !refresh) {
		*reason = "no output";
		return EINVAL;
	}
	err = xml_read(&x, doc, len, reason);
	if (err)
		return err;
	root = xml.DocGetRootElement(x);
	if (!root || !is_el(root, "isComposing") || !ns_is(root, NS_ISCOMP)) {
		*reason = "not an isComposing document (<isComposing> in " NS_ISCOMP ")";
		goto bad;
	}
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !ns_is(c, NS_ISCOMP))
			continue;
		if (is_el(c, "state") && !have_state) {
			node_text(c, v, sizeof(v));
			if (strcasecmp(v, "active") == 0)
				act = true;
			else if (strcasecmp(v, "idle") != 0) {
				*reason = "<state> is neither active nor idle";
				goto bad;
			}
			have_state = true;
		} else if (is_el(c, "refresh")) {
			const char *s = v;
			if (!node_text(c, v, sizeof(v))) {
				*reason = "empty <refresh>";
				goto bad;
			}
			for (r = 0; *s; s++) {
				if (*s < '0' || *s > '9' || (r = r * 10 + (unsigned)(*s - '0')) > 0xffffffffu) {
					*reason = "bad <refresh>";
					goto bad;
				}
			}
		}
	}
	if (!have_state) {
		*reason = "no <state>";
		goto bad;
	}
	xml.FreeDoc(x);
	*active = act;
	*refresh = (unsigned)r;
	return 0;
bad:
	xml.FreeDoc(x);
	return EBADMSG;
}
