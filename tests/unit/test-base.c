/* test-base.c: unit tests for the base helpers: slices (pl), bounded
 * buffers (buf), file helpers (fsutil) and logging (log). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "pl.h"
#include "xmalloc.h"

#define LOG_MOD "tbase"
#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A slice over a literal that may hold NUL bytes. */
#define LIT(s) pl_make((s), sizeof(s) - 1)

/* ---------- helpers: a scratch directory per test ---------- */

static char tmpdir[PATH_MAX];

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sipterm-test-base.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	umask(022);
	return 0;
}

static void rm_rf(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			char sub[PATH_MAX * 2];
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
			rm_rf(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

static int tmp_teardown(void **state)
{
	(void)state;
	rm_rf(tmpdir);
	return 0;
}

static char *tmp_path(const char *name)
{
	char *p;
	xasprintf(&p, "%s/%s", tmpdir, name);
	return p;
}

/* Names in a directory, sorted, joined with ','. */
static char *dir_listing(const char *dir)
{
	char *names[64];
	size_t n = 0;
	struct buf b;
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)) && n < N_ELEM(names)) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++) {
		buf_printf(&b, "%s%s", i ? "," : "", names[i]);
		free(names[i]);
	}
	buf_cstr(&b);
	return b.p ? b.p : xstrdup("");
}

static char *slurp(const char *path, size_t *len)
{
	char *p = NULL;
	size_t n = 0;
	assert_int_equal(fs_read_file(path, &p, &n, 1 << 20, NULL), 0);
	if (len)
		*len = n;
	return p;
}

/* ---------- pl ---------- */

struct u64_case {
	struct pl in;
	int err;
	uint64_t val;
};

static void test_pl_u64(void **state)
{
	static const struct u64_case cases[] = {
		{ { "0", 1 }, 0, 0 },
		{ { "7", 1 }, 0, 7 },
		{ { "1234567890", 10 }, 0, 1234567890ULL },
		{ { "18446744073709551615", 20 }, 0, UINT64_MAX },
		{ { "018446744073709551615", 21 }, 0, UINT64_MAX },
		{ { "0000000000000000000000000042", 28 }, 0, 42 },
		{ { "18446744073709551616", 20 }, ERANGE, 0 },
		{ { "18446744073709551620", 20 }, ERANGE, 0 },
		{ { "99999999999999999999", 20 }, ERANGE, 0 },
		{ { "184467440737095516150", 21 }, ERANGE, 0 },
		{ { "100000000000000000000000000000", 30 }, ERANGE, 0 },
		{ { "", 0 }, EINVAL, 0 },
		{ { NULL, 0 }, EINVAL, 0 },
		{ { "-1", 2 }, EINVAL, 0 },
		{ { "+1", 2 }, EINVAL, 0 },
		{ { " 1", 2 }, EINVAL, 0 },
		{ { "1 ", 2 }, EINVAL, 0 },
		{ { "12a", 3 }, EINVAL, 0 },
		{ { "0x10", 4 }, EINVAL, 0 },
		{ { "/", 1 }, EINVAL, 0 },  /* '0' - 1 */
		{ { ":", 1 }, EINVAL, 0 },  /* '9' + 1 */
		{ { "1\0" "2", 3 }, EINVAL, 0 },
		{ { "\xb1", 1 }, EINVAL, 0 },
		/* long garbage is bad input, not a number out of range */
		{ { "abcdefghijklmnopqrstuvwxyz", 26 }, EINVAL, 0 },
		{ { "1234567890123456789012x", 23 }, EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		uint64_t v = 0xdeadbeef;
		int err = pl_u64(&cases[i].in, &v);
		if (err != cases[i].err)
			fail_msg("case %zu '%.*s': got %d, want %d", i, PL_ARG(cases[i].in), err,
				 cases[i].err);
		if (!err)
			assert_true(v == cases[i].val);
		else
			assert_true(v == 0xdeadbeef); /* untouched on failure */
	}
}

struct u32_case {
	const char *in;
	int err;
	uint32_t val;
};

static void test_pl_u32(void **state)
{
	static const struct u32_case cases[] = {
		{ "0", 0, 0 },
		{ "65535", 0, 65535 },
		{ "4294967295", 0, UINT32_MAX },
		{ "04294967295", 0, UINT32_MAX },
		{ "4294967296", ERANGE, 0 },
		{ "9999999999", ERANGE, 0 },
		{ "18446744073709551615", ERANGE, 0 },
		{ "18446744073709551616", ERANGE, 0 },
		{ "", EINVAL, 0 },
		{ "x", EINVAL, 0 },
		{ "-0", EINVAL, 0 },
		{ "4294967295x", EINVAL, 0 },
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct pl x = pl_cstr(cases[i].in);
		uint32_t v = 12345;
		int err = pl_u32(&x, &v);
		if (err != cases[i].err)
			fail_msg("case '%s': got %d, want %d", cases[i].in, err, cases[i].err);
		assert_true(v == (err ? 12345 : cases[i].val));
	}
}

struct trim_case {
	const char *in;
	size_t off; /* where the trimmed slice starts */
	const char *out;
};

static void test_pl_trim(void **state)
{
	static const struct trim_case cases[] = {
		{ "abc", 0, "abc" },
		{ "  abc", 2, "abc" },
		{ "abc  ", 0, "abc" },
		{ " \t\r\n a b \r\n\t ", 5, "a b" },
		{ "", 0, "" },
		{ "   ", 3, "" },
		{ "\r\n", 2, "" },
		{ "x\v", 0, "x\v" },      /* only SP, HT, CR, LF are trimmed */
		{ "\fx", 0, "\fx" },
		{ " a\0b ", 1, "a\0b" },
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		struct pl x = pl_cstr(cases[i].in);
		if (i == N_ELEM(cases) - 1)
			x.l = 5; /* the NUL case */
		pl_trim(&x);
		assert_ptr_equal(x.p, cases[i].in + cases[i].off);
		if (i == N_ELEM(cases) - 1) {
			assert_int_equal(x.l, 3);
			assert_memory_equal(x.p, "a\0b", 3);
		} else {
			assert_int_equal(x.l, strlen(cases[i].out));
			assert_memory_equal(x.p, cases[i].out, x.l);
		}
	}
	{
		struct pl n = PL_NULL;
		pl_trim(&n);
		assert_null(n.p);
		assert_int_equal(n.l, 0);
	}
}

static int sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

struct cmp_case {
	struct pl a, b;
	bool eq, caseeq;
	int cmp;
};

static void test_pl_compare(void **state)
{
	static const struct cmp_case cases[] = {
		{ { "abc", 3 }, { "abc", 3 }, true, true, 0 },
		{ { "abc", 3 }, { "ABC", 3 }, false, true, 1 },
		{ { "abc", 3 }, { "abd", 3 }, false, false, -1 },
		{ { "ab", 2 }, { "abc", 3 }, false, false, -1 },
		{ { "abc", 3 }, { "ab", 2 }, false, false, 1 },
		{ { "", 0 }, { NULL, 0 }, true, true, 0 },
		{ { NULL, 0 }, { "a", 1 }, false, false, -1 },
		/* NUL bytes are data: they neither end nor equal anything else */
		{ { "a\0b", 3 }, { "a\0b", 3 }, true, true, 0 },
		{ { "a\0b", 3 }, { "a\0c", 3 }, false, false, -1 },
		{ { "A\0B", 3 }, { "a\0b", 3 }, false, true, -1 },
		{ { "a\0", 2 }, { "a", 1 }, false, false, 1 },
		{ { "a", 1 }, { "a\0", 2 }, false, false, -1 },
		/* ASCII-only folding: 0x40/0x60, 0x5b/0x7b, 0xc0/0xe0 differ */
		{ { "@", 1 }, { "`", 1 }, false, false, -1 },
		{ { "[", 1 }, { "{", 1 }, false, false, -1 },
		{ { "\xc0", 1 }, { "\xe0", 1 }, false, false, -1 },
		{ { "Z", 1 }, { "z", 1 }, false, true, -1 },
		/* bytes compare unsigned */
		{ { "\x80", 1 }, { "a", 1 }, false, false, 1 },
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		const struct cmp_case *c = &cases[i];
		if (pl_eq(&c->a, &c->b) != c->eq)
			fail_msg("case %zu: pl_eq", i);
		if (pl_eq(&c->b, &c->a) != c->eq)
			fail_msg("case %zu: pl_eq reversed", i);
		if (pl_casecmp_eq(&c->a, &c->b) != c->caseeq)
			fail_msg("case %zu: pl_casecmp_eq", i);
		if (sign(pl_cmp(&c->a, &c->b)) != c->cmp)
			fail_msg("case %zu: pl_cmp %d", i, pl_cmp(&c->a, &c->b));
		if (sign(pl_cmp(&c->b, &c->a)) != -c->cmp)
			fail_msg("case %zu: pl_cmp reversed", i);
	}
}

static void test_pl_str_helpers(void **state)
{
	struct pl x = LIT("Via: x");
	struct pl nul = LIT("ab\0cd");
	struct pl n = pl_cstr(NULL);
	char *d;
	(void)state;

	assert_null(n.p);
	assert_int_equal(n.l, 0);
	assert_false(pl_isset(&n));
	x.l = 3;
	assert_true(pl_eq_str(&x, "Via"));
	assert_false(pl_eq_str(&x, "via"));
	assert_false(pl_eq_str(&x, "Vi"));
	assert_false(pl_eq_str(&x, "Via:"));
	assert_true(pl_caseeq_str(&x, "vIA"));
	assert_false(pl_caseeq_str(&x, "vIAx"));
	assert_true(pl_prefix_case(&x, "VI"));
	assert_true(pl_prefix_case(&x, ""));
	assert_true(pl_prefix_case(&x, "via"));
	assert_false(pl_prefix_case(&x, "vias"));
	/* a slice with a NUL never equals the C string that stops there */
	assert_false(pl_eq_str(&nul, "ab"));
	assert_false(pl_caseeq_str(&nul, "AB"));
	assert_ptr_equal(pl_chr(&nul, '\0'), nul.p + 2);
	assert_ptr_equal(pl_chr(&nul, 'd'), nul.p + 4);
	assert_null(pl_chr(&nul, 'x'));
	assert_null(pl_chr(&n, 'x'));
	{
		struct pl e = pl_make("", 0);
		assert_true(pl_isset(&e));
		assert_true(pl_eq_str(&e, ""));
		assert_true(pl_eq_str(&n, ""));
	}
	assert_true(mem_caseeq("aBc\0\xff", "AbC\0\xff", 5));
	assert_false(mem_caseeq("a\0", "a\x20", 2));

	d = pl_strdup(&nul);
	assert_memory_equal(d, "ab\0cd", 6);
	free(d);
	d = pl_strdup(&n);
	assert_string_equal(d, "");
	free(d);
}

struct cpy_case {
	const char *in;
	size_t size;
	const char *out;
};

static void test_pl_strcpy(void **state)
{
	static const struct cpy_case cases[] = {
		{ "hello", 64, "hello" },
		{ "hello", 6, "hello" },   /* exact fit */
		{ "hello", 5, "hell" },    /* truncated by one */
		{ "hello", 2, "h" },
		{ "hello", 1, "" },
		{ "", 8, "" },
		{ "", 1, "" },
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char dst[64];
		struct pl x = pl_cstr(cases[i].in);
		memset(dst, 'Z', sizeof(dst));
		assert_int_equal(pl_strcpy(&x, dst, cases[i].size), strlen(cases[i].in));
		assert_string_equal(dst, cases[i].out);
		/* nothing written past size */
		for (size_t j = cases[i].size; j < sizeof(dst); j++)
			assert_int_equal(dst[j], 'Z');
	}
	{
		char dst[4] = "ZZZ";
		struct pl x = PL("abc");
		assert_int_equal(pl_strcpy(&x, dst, 0), 3);
		assert_string_equal(dst, "ZZZ");
	}
}

/* ---------- buf ---------- */

static void test_buf_basic(void **state)
{
	struct buf b;
	struct pl x = PL("pl");
	(void)state;

	buf_init(&b, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_putc(&b, '-'), 0);
	assert_int_equal(buf_putpl(&b, &x), 0);
	assert_int_equal(buf_printf(&b, "/%d/%s/%05.1f", -42, "s", 2.5), 0);
	assert_int_equal(buf_append(&b, "\0z", 2), 0);
	assert_int_equal(b.len, 20);
	assert_memory_equal(b.p, "abc-pl/-42/s/002.5\0z", 20);
	assert_int_equal(b.p[b.len], '\0');
	assert_int_equal(buf_append(&b, NULL, 0), 0);
	assert_int_equal(b.len, 20);

	/* reset forgets the content: the C string is empty again */
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "x"), 0);
	assert_string_equal(buf_cstr(&b), "x");
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);
	buf_free(&b); /* twice is harmless */
}

/* A fresh buffer reads as "" even when malloc hands back dirty memory. */
static void test_buf_cstr_fresh(void **state)
{
	struct buf b;
	char *dirty = xmalloc(256);
	(void)state;

	memset(dirty, 'D', 256);
	free(dirty); /* likely handed out again for the first 256-byte buffer */
	buf_init(&b, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(b.len, 0);
	buf_free(&b);
	/* bounded below the first allocation size */
	buf_init(&b, 3);
	assert_string_equal(buf_cstr(&b), "");
	assert_true(b.cap <= 4);
	assert_int_equal(buf_puts(&b, "abc"), 0);
	assert_int_equal(buf_puts(&b, "d"), ENOSPC);
	assert_string_equal(buf_cstr(&b), "abc");
	buf_free(&b);
}

static void test_xmalloc(void **state)
{
	char *p, *q;
	(void)state;

	p = xstrndup("abcdef", 3);
	assert_string_equal(p, "abc");
	free(p);
	p = xstrndup("ab", 10);
	assert_string_equal(p, "ab");
	free(p);
	p = xstrdup("");
	assert_string_equal(p, "");
	free(p);
	assert_int_equal(xasprintf(&p, "%s-%03d", "x", 7), 5);
	assert_string_equal(p, "x-007");
	free(p);
	/* zero sizes still give a pointer that can be freed */
	p = xmalloc(0);
	assert_non_null(p);
	q = xcalloc(0, 0);
	assert_non_null(q);
	free(q);
	q = xcalloc(4, 4);
	for (int i = 0; i < 16; i++)
		assert_int_equal(q[i], 0);
	free(q);
	p = xrealloc(p, 0);
	assert_non_null(p);
	free(p);
}

static void test_buf_grow(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 0);
	for (unsigned i = 0; i < 20000; i++)
		assert_int_equal(buf_printf(&b, "%04u,", i % 10000), 0);
	assert_int_equal(b.len, 20000 * 5);
	assert_true(b.cap > b.len);
	for (unsigned i = 0; i < 20000; i++) {
		char want[8];
		snprintf(want, sizeof(want), "%04u,", i % 10000);
		assert_memory_equal(b.p + i * 5, want, 5);
	}
	buf_free(&b);
}

static void test_buf_bounded(void **state)
{
	struct buf b;
	(void)state;

	/* exactly max bytes fit */
	buf_init(&b, 10);
	assert_int_equal(buf_puts(&b, "hello"), 0);
	assert_int_equal(buf_printf(&b, "%d", 12345), 0);
	assert_int_equal(b.len, 10);
	assert_true(b.cap <= 11);
	/* one more byte: ENOSPC, content intact */
	assert_int_equal(buf_putc(&b, 'x'), ENOSPC);
	assert_int_equal(b.err, ENOSPC);
	assert_int_equal(b.len, 10);
	assert_string_equal(buf_cstr(&b), "hello12345");
	/* sticky: even a write that would fit fails now */
	assert_int_equal(buf_append(&b, "", 0), ENOSPC);
	assert_int_equal(buf_printf(&b, "%s", ""), ENOSPC);
	assert_int_equal(buf_reserve(&b, 0), ENOSPC);
	buf_consume(&b, 5);
	assert_int_equal(buf_putc(&b, 'x'), ENOSPC);
	assert_string_equal(buf_cstr(&b), "12345");
	/* reset clears the error */
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "0123456789"), 0);
	buf_free(&b);

	/* printf that would overflow writes nothing and sticks */
	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_printf(&b, "%s", "1234567"), ENOSPC);
	assert_int_equal(b.len, 2);
	assert_string_equal(buf_cstr(&b), "ab");
	assert_int_equal(buf_printf(&b, "c"), ENOSPC);
	assert_int_equal(buf_puts(&b, "c"), ENOSPC);
	assert_string_equal(buf_cstr(&b), "ab");
	buf_free(&b);
	assert_int_equal(b.err, 0);
	assert_int_equal(b.max, 8);

	/* a bound above the first allocation: growth stops at the bound */
	buf_init(&b, 300);
	for (unsigned i = 0; i < 300; i++)
		assert_int_equal(buf_putc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 300);
	assert_true(b.cap <= 301);
	assert_int_equal(buf_putc(&b, 'x'), ENOSPC);
	buf_free(&b);

	/* a request whose size overflows size_t is refused, not wrapped */
	buf_init(&b, 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX), ENOSPC);
	buf_reset(&b);
	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 1), ENOSPC);
	assert_int_equal(buf_reserve(&b, SIZE_MAX - 2), ENOSPC);
	assert_string_equal(buf_cstr(&b), "ab");
	buf_free(&b);
}

static void test_buf_consume(void **state)
{
	struct buf b;
	(void)state;

	buf_init(&b, 0);
	buf_consume(&b, 3); /* on an empty buffer */
	assert_int_equal(b.len, 0);
	assert_int_equal(buf_puts(&b, "abcdef"), 0);
	buf_consume(&b, 0);
	assert_string_equal(buf_cstr(&b), "abcdef");
	buf_consume(&b, 2);
	assert_int_equal(b.len, 4);
	assert_string_equal(buf_cstr(&b), "cdef");
	buf_consume(&b, 4);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	assert_int_equal(buf_puts(&b, "xyz"), 0);
	buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_cstr(&b), "");
	/* stream reassembly: append, consume a message, keep the rest */
	assert_int_equal(buf_puts(&b, "MSG1\r\n\r\nMSG2"), 0);
	buf_consume(&b, 8);
	assert_int_equal(buf_puts(&b, "-tail"), 0);
	assert_string_equal(buf_cstr(&b), "MSG2-tail");
	buf_free(&b);
}

/* ---------- fsutil ---------- */

static void test_fs_write_atomic(void **state)
{
	char *path = tmp_path("state.json");
	char *data, *ls;
	size_t len;
	struct stat st;
	(void)state;

	assert_int_equal(fs_write_atomic(path, "one", 3, 0600), 0);
	data = slurp(path, &len);
	assert_int_equal(len, 3);
	assert_string_equal(data, "one");
	free(data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* replace with longer, then shorter, then empty content */
	assert_int_equal(fs_write_atomic(path, "two two two", 11, 0600), 0);
	data = slurp(path, NULL);
	assert_string_equal(data, "two two two");
	free(data);
	assert_int_equal(fs_write_atomic(path, "3\0x", 3, 0600), 0);
	data = slurp(path, &len);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "3\0x", 3);
	free(data);
	assert_int_equal(fs_write_atomic(path, "", 0, 0600), 0);
	data = slurp(path, &len);
	assert_int_equal(len, 0);
	free(data);

	/* no temporary file is left behind */
	ls = dir_listing(tmpdir);
	assert_string_equal(ls, "state.json");
	free(ls);
	free(path);

	/* failure: missing directory, nothing created */
	path = tmp_path("nodir/x");
	assert_int_equal(fs_write_atomic(path, "a", 1, 0600), ENOENT);
	ls = dir_listing(tmpdir);
	assert_string_equal(ls, "state.json");
	free(ls);
	free(path);

	/* failure: the target is a directory; the temp file is removed */
	path = tmp_path("adir");
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_not_equal(fs_write_atomic(path, "a", 1, 0600), 0);
	ls = dir_listing(tmpdir);
	assert_string_equal(ls, "adir,state.json");
	free(ls);
	free(path);
}

static void test_fs_append_sync(void **state)
{
	char *path = tmp_path("history");
	char *data;
	struct stat st;
	(void)state;

	assert_int_equal(fs_append_sync(path, "a\n", 2, 0600), 0);
	assert_int_equal(fs_append_sync(path, "", 0, 0600), 0);
	assert_int_equal(fs_append_sync(path, "bb\n", 3, 0644), 0);
	data = slurp(path, NULL);
	assert_string_equal(data, "a\nbb\n");
	free(data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600); /* mode only on creation */
	free(path);

	path = tmp_path("missing/history");
	assert_int_equal(fs_append_sync(path, "a", 1, 0600), ENOENT);
	free(path);
}

static void test_fs_mkdir_p(void **state)
{
	char *path = tmp_path("a/b/c/d");
	char *file;
	struct stat st;
	int fd;
	(void)state;

	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0700);
	/* existing: fine */
	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	free(path);
	/* trailing and doubled slashes */
	path = tmp_path("e//f/");
	assert_int_equal(fs_mkdir_p(path, 0700), 0);
	free(path);
	path = tmp_path("e/f");
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	free(path);

	/* a regular file in the way is an error, at the end or in the middle */
	file = tmp_path("file");
	fd = open(file, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(fs_mkdir_p(file, 0700), ENOTDIR);
	path = tmp_path("file/sub");
	assert_int_equal(fs_mkdir_p(path, 0700), ENOTDIR);
	free(path);
	free(file);

	/* the empty path names no directory */
	assert_int_not_equal(fs_mkdir_p("", 0700), 0);
}

static void test_fs_read_file(void **state)
{
	char *path = tmp_path("big");
	char *data = (char *)0x1, *big = xmalloc(20000);
	size_t len = 777;
	struct stat st;
	(void)state;

	for (size_t i = 0; i < 20000; i++)
		big[i] = (char)('a' + i % 26);
	assert_int_equal(fs_write_atomic(path, big, 20000, 0640), 0);

	assert_int_equal(fs_read_file(path, &data, &len, 20000, &st), 0);
	assert_int_equal(len, 20000);
	assert_memory_equal(data, big, 20000);
	assert_int_equal(data[20000], '\0');
	assert_int_equal(st.st_size, 20000);
	assert_int_equal(st.st_mode & 0777, 0640);
	free(data);

	/* one byte over the limit: EFBIG, outputs untouched */
	data = (char *)0x1;
	len = 777;
	assert_int_equal(fs_read_file(path, &data, &len, 19999, NULL), EFBIG);
	assert_ptr_equal(data, (char *)0x1);
	assert_int_equal(len, 777);
	assert_int_equal(fs_read_file(path, &data, &len, 10, NULL), EFBIG);
	assert_int_equal(fs_read_file(path, &data, &len, 0, NULL), EFBIG);
	free(path);

	/* empty file */
	path = tmp_path("empty");
	assert_int_equal(fs_write_atomic(path, "", 0, 0600), 0);
	assert_int_equal(fs_read_file(path, &data, &len, 0, NULL), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	free(data);
	free(path);

	path = tmp_path("nothere");
	assert_int_equal(fs_read_file(path, &data, &len, 100, NULL), ENOENT);
	free(path);
	assert_int_equal(fs_read_file(tmpdir, &data, &len, 100, NULL), EISDIR);
	free(big);
}

struct env_save {
	char *xdg, *home;
};

static void env_save(struct env_save *e, const char *xdg_name)
{
	const char *x = getenv(xdg_name), *h = getenv("HOME");
	e->xdg = x ? xstrdup(x) : NULL;
	e->home = h ? xstrdup(h) : NULL;
}

static void env_restore(struct env_save *e, const char *xdg_name)
{
	if (e->xdg)
		setenv(xdg_name, e->xdg, 1);
	else
		unsetenv(xdg_name);
	if (e->home)
		setenv("HOME", e->home, 1);
	else
		unsetenv("HOME");
	free(e->xdg);
	free(e->home);
}

static void test_fs_data_dir(void **state)
{
	struct env_save saved;
	char buf[256];
	(void)state;

	env_save(&saved, "XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	assert_int_equal(fs_data_dir(buf, sizeof(buf), "history"), 0);
	assert_string_equal(buf, "/xdg/data/sipterm/history");
	assert_int_equal(fs_data_dir(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "/xdg/data/sipterm");
	/* too small: refused, not truncated silently */
	assert_int_equal(fs_data_dir(buf, 10, "history"), ENAMETOOLONG);
	assert_int_equal(fs_data_dir(buf, strlen("/xdg/data/sipterm"), NULL), ENAMETOOLONG);
	assert_int_equal(fs_data_dir(buf, strlen("/xdg/data/sipterm") + 1, NULL), 0);

	/* a relative or empty XDG_DATA_HOME is ignored (XDG base dir spec) */
	setenv("XDG_DATA_HOME", "rel/data", 1);
	assert_int_equal(fs_data_dir(buf, sizeof(buf), "h"), 0);
	assert_string_equal(buf, "/home/u/.local/share/sipterm/h");
	setenv("XDG_DATA_HOME", "", 1);
	assert_int_equal(fs_data_dir(buf, sizeof(buf), NULL), 0);
	assert_string_equal(buf, "/home/u/.local/share/sipterm");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(fs_data_dir(buf, sizeof(buf), "h"), 0);
	assert_string_equal(buf, "/home/u/.local/share/sipterm/h");
	unsetenv("HOME");
	assert_int_equal(fs_data_dir(buf, sizeof(buf), "h"), ENOENT);
	env_restore(&saved, "XDG_DATA_HOME");
}

/* ---------- log ---------- */

struct esc_case {
	const char *in;
	size_t len;
	bool keep;
	const char *out;
};

#define E(s, keep, out) { s, sizeof(s) - 1, keep, out }

static void test_log_escape_table(void **state)
{
	static const struct esc_case cases[] = {
		E("plain text", false, "plain text"),
		E("", false, ""),
		/* ESC sequences from the network never reach the terminal */
		E("\x1b[2J\x1b[31mred", false, "\\x1b[2J\\x1b[31mred"),
		E("\x1b]0;title\x07", true, "\\x1b]0;title\\x07"),
		E("a\0b", false, "a\\x00b"),
		E("\x7f", false, "\\x7f"),
		E("\x01\x1f", false, "\\x01\\x1f"),
		/* newlines only when asked; CRLF shows as LF, a lone CR is escaped */
		E("a\nb", false, "a\\x0ab"),
		E("a\nb", true, "a\nb"),
		E("a\r\nb\r\n", true, "a\nb\n"),
		E("a\r\nb", false, "a\\x0d\\x0ab"),
		E("a\rb", true, "a\\x0db"),
		E("a\r", true, "a\\x0d"),
		E("a\tb", true, "a\tb"),
		E("a\tb", false, "a\\x09b"),
		/* 8-bit C1 controls: CSI (0x9b) and OSC (0x9d) raw or in UTF-8 */
		E("\x9b" "31m", false, "\\x9b31m"),
		E("\xc2\x9b" "2J", false, "\\xc2\\x9b2J"),
		E("\xc2\x9d" "0;t\xc2\x9c", true, "\\xc2\\x9d0;t\\xc2\\x9c"),
		E("\xc2\x85", true, "\\xc2\\x85"),
		/* valid UTF-8 text is kept (display names) */
		E("Ren\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", false,
		  "Ren\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
		E("\xc2\xa0", false, "\xc2\xa0"),
		/* invalid UTF-8 is escaped byte by byte */
		E("\xff\xfe", false, "\\xff\\xfe"),
		E("\xc0\xaf", false, "\\xc0\\xaf"),             /* overlong '/' */
		E("\xe0\x80\xaf", false, "\\xe0\\x80\\xaf"),    /* overlong */
		E("\xed\xa0\x80", false, "\\xed\\xa0\\x80"),    /* surrogate */
		E("\xf4\x90\x80\x80", false, "\\xf4\\x90\\x80\\x80"), /* > U+10FFFF */
		E("\xe2\x82", false, "\\xe2\\x82"),             /* truncated */
		E("\xe2\x82" "a", false, "\\xe2\\x82a"),
		E("\x80x", false, "\\x80x"),                    /* lone continuation */
	};
	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char out[256];
		size_t n = log_escape(out, sizeof(out), cases[i].in, cases[i].len, cases[i].keep);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, out, cases[i].out);
		assert_int_equal(n, strlen(out));
	}
}

/* Check that s is valid UTF-8 without C0/C1 controls (except allowed). */
static bool terminal_safe(const char *s, bool keep)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p, n, cp;
		if (c < 0x80) {
			if ((c < 0x20 && !(keep && (c == '\n' || c == '\t'))) || c == 0x7f)
				return false;
			p++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned k = 1; k <= n; k++) {
			if ((p[k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
			return false;
		p += n + 1;
	}
	return true;
}

static uint32_t rnd_state = 2463534242u;

static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Random bytes (biased to the interesting ranges) never yield an unsafe
 * output, for any output size. */
static void test_log_escape_random(void **state)
{
	static const unsigned char pick[] = { 0x1b, 0x9b, 0xc2, 0xe2, 0x82, 0xf0, 0x9f,
					      '\r', '\n', '\t', 0, 0x7f, 'a', '[', 0xed, 0xc3 };
	(void)state;
	for (unsigned iter = 0; iter < 20000; iter++) {
		char in[32], out[160];
		size_t len = rnd() % sizeof(in), size = 1 + rnd() % sizeof(out), n;
		bool keep = rnd() & 1;
		for (size_t i = 0; i < len; i++)
			in[i] = (char)(rnd() & 1 ? pick[rnd() % sizeof(pick)] : rnd());
		memset(out, 'Z', sizeof(out));
		n = log_escape(out, size, in, len, keep);
		assert_true(n < size);
		assert_int_equal(out[n], '\0');
		assert_int_equal(strlen(out), n);
		if (size < sizeof(out))
			assert_int_equal(out[size], 'Z');
		if (!terminal_safe(out, keep))
			fail_msg("unsafe output for iteration %u", iter);
	}
	/* size 0 writes nothing */
	{
		char c = 'Z';
		assert_int_equal(log_escape(&c, 0, "abc", 3, false), 0);
		assert_int_equal(c, 'Z');
	}
	/* truncation never splits an escape or a UTF-8 character */
	{
		char out[8];
		assert_int_equal(log_escape(out, 4, "abcdef", 6, false), 3);
		assert_string_equal(out, "abc");
		assert_int_equal(log_escape(out, 5, "ab\x1b", 3, false), 2);
		assert_string_equal(out, "ab");
		assert_int_equal(log_escape(out, 4, "ab\xc3\xa9", 4, false), 2);
		assert_string_equal(out, "ab");
		assert_int_equal(log_escape(out, 5, "ab\xc3\xa9", 4, false), 4);
		assert_string_equal(out, "ab\xc3\xa9");
	}
}

struct log_line {
	enum log_level lvl;
	char mod[16];
	char line[256];
};

struct log_sink {
	unsigned n;
	struct log_line l[8];
};

static void sink_h(enum log_level lvl, const char *mod, const char *line, void *arg)
{
	struct log_sink *s = arg;
	if (s->n < N_ELEM(s->l)) {
		s->l[s->n].lvl = lvl;
		snprintf(s->l[s->n].mod, sizeof(s->l[0].mod), "%s", mod);
		snprintf(s->l[s->n].line, sizeof(s->l[0].line), "%s", line);
	}
	s->n++;
}

static int log_setup(void **state)
{
	(void)state;
	log_set_stderr(false);
	log_set_level(LOG_LVL_INFO);
	return tmp_setup(state);
}

static int log_teardown(void **state)
{
	log_close();
	log_set_level(LOG_LVL_INFO);
	log_trace_enable(false);
	return tmp_teardown(state);
}

static void test_log_handler(void **state)
{
	struct log_sink s = { 0 };
	(void)state;

	log_set_handler(sink_h, &s);
	log_msg(LOG_LVL_INFO, "sip", "hello %d", 5);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.l[0].lvl, LOG_LVL_INFO);
	assert_string_equal(s.l[0].mod, "sip");
	assert_string_equal(s.l[0].line, "hello 5");

	/* the macros pass LOG_MOD */
	log_e("boom %s", "now");
	log_w("careful");
	log_i("fyi");
	assert_int_equal(s.n, 4);
	assert_string_equal(s.l[1].mod, LOG_MOD);
	assert_int_equal(s.l[1].lvl, LOG_LVL_ERROR);
	assert_string_equal(s.l[1].line, "boom now");
	assert_int_equal(s.l[2].lvl, LOG_LVL_WARN);
	assert_int_equal(s.l[3].lvl, LOG_LVL_INFO);

	/* network bytes in an argument are escaped before the sink sees them */
	log_msg(LOG_LVL_WARN, "txn", "from peer: %s", "\x1b[2Jx\r\ny");
	assert_int_equal(s.n, 5);
	assert_string_equal(s.l[4].line, "from peer: \\x1b[2Jx\\x0d\\x0ay");

	log_set_handler(NULL, NULL);
	log_i("nobody hears");
	assert_int_equal(s.n, 5);
}

static void test_log_levels(void **state)
{
	struct log_sink s = { 0 };
	enum log_level lvl;
	static const struct {
		const char *name;
		int err;
		enum log_level lvl;
	} parse[] = {
		{ "error", 0, LOG_LVL_ERROR }, { "WARN", 0, LOG_LVL_WARN },
		{ "warning", 0, LOG_LVL_WARN }, { "Info", 0, LOG_LVL_INFO },
		{ "debug", 0, LOG_LVL_DEBUG }, { "verbose", EINVAL, 0 },
		{ "", EINVAL, 0 }, { "debugx", EINVAL, 0 },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(parse); i++) {
		lvl = (enum log_level)99;
		assert_int_equal(log_level_parse(parse[i].name, &lvl), parse[i].err);
		if (!parse[i].err)
			assert_int_equal(lvl, parse[i].lvl);
		else
			assert_int_equal(lvl, 99);
	}
	assert_string_equal(log_level_name(LOG_LVL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LVL_DEBUG), "debug");
	assert_string_equal(log_level_name((enum log_level)17), "?");

	log_set_handler(sink_h, &s);
	log_set_level(LOG_LVL_WARN);
	assert_int_equal(log_get_level(), LOG_LVL_WARN);
	assert_true(log_enabled(LOG_LVL_ERROR));
	assert_true(log_enabled(LOG_LVL_WARN));
	assert_false(log_enabled(LOG_LVL_INFO));
	log_e("e");
	log_w("w");
	log_i("i");
	log_d("d");
	assert_int_equal(s.n, 2);
	assert_string_equal(s.l[0].line, "e");
	assert_string_equal(s.l[1].line, "w");

	s.n = 0;
	log_set_level(LOG_LVL_DEBUG);
	log_d("d %d", 1);
	log_i("i");
	assert_int_equal(s.n, 2);
	assert_int_equal(s.l[0].lvl, LOG_LVL_DEBUG);
	assert_string_equal(s.l[0].line, "d 1");

	s.n = 0;
	log_set_level(LOG_LVL_ERROR);
	log_w("w");
	log_d("d");
	log_e("e");
	assert_int_equal(s.n, 1);
}

static void test_log_file(void **state)
{
	char *path = tmp_path("sipterm.log");
	char *data;
	struct stat st;
	(void)state;

	assert_int_equal(log_set_file(path), 0);
	log_msg(LOG_LVL_ERROR, "reg", "401 from %s", "\x1b[31mevil");
	log_msg(LOG_LVL_DEBUG, "reg", "filtered");
	log_close();
	data = slurp(path, NULL);
	assert_non_null(strstr(data, "error reg: 401 from \\x1b[31mevil\n"));
	assert_null(strstr(data, "filtered"));
	assert_null(strchr(data, '\x1b'));
	free(data);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);

	path = tmp_path("no/such/dir.log");
	assert_int_equal(log_set_file(path), ENOENT);
	free(path);
}

struct trace_rec {
	unsigned n;
	bool out;
	char proto[8], peer[64];
	char msg[128];
	size_t len;
};

static void trace_sink(bool out, const char *proto, const char *peer, const char *msg,
		       size_t len, void *arg)
{
	struct trace_rec *r = arg;
	r->n++;
	r->out = out;
	snprintf(r->proto, sizeof(r->proto), "%s", proto);
	snprintf(r->peer, sizeof(r->peer), "%s", peer);
	r->len = len < sizeof(r->msg) ? len : sizeof(r->msg);
	memcpy(r->msg, msg, r->len);
}

static void test_log_trace(void **state)
{
	static const char msg[] = "OPTIONS sip:a SIP/2.0\r\nX: \x1b[2J\0z\r\n\r\n";
	struct trace_rec r = { 0 };
	char *path, *data;
	(void)state;

	log_trace_set_handler(trace_sink, &r);
	log_trace_enable(false);
	assert_false(log_trace_enabled());
	log_trace(true, "UDP", "192.0.2.1:5060", msg, sizeof(msg) - 1);
	assert_int_equal(r.n, 0);

	log_trace_enable(true);
	assert_true(log_trace_enabled());
	log_trace(false, "TCP", "192.0.2.1:5060", msg, sizeof(msg) - 1);
	assert_int_equal(r.n, 1);
	assert_false(r.out);
	assert_string_equal(r.proto, "TCP");
	assert_string_equal(r.peer, "192.0.2.1:5060");
	/* the handler gets the raw bytes, NULs included */
	assert_int_equal(r.len, sizeof(msg) - 1);
	assert_memory_equal(r.msg, msg, sizeof(msg) - 1);

	/* the file gets an escaped copy with the direction and protocol */
	path = tmp_path("trace.log");
	assert_int_equal(log_trace_set_file(path), 0);
	log_trace(true, "TLS", "[2001:db8::1]:5061", msg, sizeof(msg) - 1);
	assert_int_equal(r.n, 2);
	assert_true(r.out);
	log_close();
	data = slurp(path, NULL);
	assert_non_null(strstr(data, "TLS send to [2001:db8::1]:5061\n"));
	assert_non_null(strstr(data, "OPTIONS sip:a SIP/2.0\nX: \\x1b[2J\\x00z\n\n"));
	assert_null(strchr(data, '\x1b'));
	assert_null(strchr(data, '\r'));
	free(data);
	free(path);

	/* after log_close the handler is gone */
	log_trace(true, "UDP", "x", "y", 1);
	assert_int_equal(r.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pl_u64),
		cmocka_unit_test(test_pl_u32),
		cmocka_unit_test(test_pl_trim),
		cmocka_unit_test(test_pl_compare),
		cmocka_unit_test(test_pl_str_helpers),
		cmocka_unit_test(test_pl_strcpy),
		cmocka_unit_test(test_buf_basic),
		cmocka_unit_test(test_buf_cstr_fresh),
		cmocka_unit_test(test_buf_grow),
		cmocka_unit_test(test_buf_bounded),
		cmocka_unit_test(test_buf_consume),
		cmocka_unit_test_setup_teardown(test_fs_write_atomic, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_fs_append_sync, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_fs_mkdir_p, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_fs_read_file, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_fs_data_dir),
		cmocka_unit_test(test_xmalloc),
		cmocka_unit_test(test_log_escape_table),
		cmocka_unit_test(test_log_escape_random),
		cmocka_unit_test_setup_teardown(test_log_handler, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_levels, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_file, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_log_trace, log_setup, log_teardown),
	};

	/* one group: TAP allows one plan per stream */
	return cmocka_run_group_tests_name("base", tests, NULL, NULL);
}
