/* test-conf.c: unit tests for the configuration file parser: a good file,
 * every error naming FILE:LINE and a fix, typed getters, known keys, the
 * password permission check and the default path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "fsutil.h"
#include "xmalloc.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct conf *parse_ok(const char *text)
{
	struct conf *c = NULL;
	char err[512] = "";
	int rc = conf_parse(&c, "test.conf", text, strlen(text), err, sizeof(err));
	if (rc)
		fail_msg("unexpected error %d: %s", rc, err);
	assert_non_null(c);
	return c;
}

static const char good[] =
	"# sipterm configuration\n"
	"; another comment style\n"
	"\n"
	"[general]\n"
	"  log_level = debug   \n"
	"\tautoanswer=yes\n"
	"display = \"  Alice # Smith  \"\n"
	"escaped = \"say \\\"hi\\\" \\\\o/\"\n"
	"empty =\n"
	"quoted_empty = \"\"\n"
	"note = plain value # trailing comment\n"
	"note2 = a#b\n"
	"quoted_comment = \"kept # here\"   # dropped here\n"
	"\n"
	"[account alice]\r\n"
	"uri = sip:alice@example.org\r\n"
	"password = \"s3cr=t\"\r\n"
	"expires = 3600\r\n"
	"[account \"bob smith\"]\n"
	"uri = sip:bob@example.org\n"
	"[ media ]\n"
	"codecs = PCMU, PCMA\n"
	"ptime = 20\n"
	"  # indented comment\n"
	"[account]\n"
	"[account alicE]\n";

static void test_good(void **state)
{
	struct conf *c = parse_ok(good);
	struct conf_sect *g, *a, *b, *m;
	const struct conf_kv *kv;
	(void)state;

	assert_string_equal(c->path, "test.conf");
	g = conf_sect_find(c, "general", NULL);
	assert_non_null(g);
	assert_null(g->arg);
	assert_int_equal(g->line, 4);
	assert_string_equal(conf_get(g, "log_level"), "debug");
	assert_string_equal(conf_get(g, "autoanswer"), "yes");
	assert_string_equal(conf_get(g, "display"), "  Alice # Smith  ");
	assert_string_equal(conf_get(g, "escaped"), "say \"hi\" \\o/");
	assert_string_equal(conf_get(g, "empty"), "");
	assert_string_equal(conf_get(g, "quoted_empty"), "");
	assert_string_equal(conf_get(g, "note"), "plain value");
	assert_string_equal(conf_get(g, "note2"), "a#b");
	assert_string_equal(conf_get(g, "quoted_comment"), "kept # here");
	assert_null(conf_get(g, "missing"));
	assert_null(conf_get(g, "LOG_LEVEL")); /* keys are case-sensitive */
	kv = conf_kv_find(g, "autoanswer");
	assert_non_null(kv);
	assert_int_equal(kv->line, 6);

	a = conf_sect_find(c, "account", "alice");
	assert_non_null(a);
	assert_string_equal(a->arg, "alice");
	assert_int_equal(a->line, 15);
	assert_string_equal(conf_get(a, "uri"), "sip:alice@example.org");
	assert_string_equal(conf_get(a, "password"), "s3cr=t");
	assert_string_equal(conf_get(a, "expires"), "3600");
	assert_ptr_equal(conf_sect_find(c, "account", NULL), a);

	b = conf_sect_find(c, "account", "bob smith");
	assert_non_null(b);
	assert_string_equal(conf_get(b, "uri"), "sip:bob@example.org");
	assert_null(conf_get(b, "password"));
	assert_null(conf_sect_find(c, "account", "carol"));
	assert_null(conf_sect_find(c, "Account", "alice"));

	m = conf_sect_find(c, "media", NULL);
	assert_non_null(m);
	assert_null(m->arg);
	assert_string_equal(conf_get(m, "codecs"), "PCMU, PCMA");

	/* sections in file order, each once */
	{
		unsigned n = 0;
		for (struct conf_sect *s = c->sects; s; s = s->next)
			n++;
		assert_int_equal(n, 6); /* [account] and [account alicE] are distinct */
	}
	assert_null(conf_sect_find(NULL, "general", NULL));
	assert_null(conf_kv_find(NULL, "x"));
	conf_free(c);
	conf_free(NULL);
}

static void test_empty_and_no_path(void **state)
{
	struct conf *c = NULL;
	char err[128];
	(void)state;

	assert_int_equal(conf_parse(&c, NULL, "", 0, err, sizeof(err)), 0);
	assert_null(c->sects);
	assert_string_equal(c->path, "(config)");
	conf_free(c);
	c = parse_ok("# only a comment\n\n   \n");
	assert_null(c->sects);
	conf_free(c);
	/* no newline at the end */
	c = parse_ok("[general]\nk = v");
	assert_string_equal(conf_get(c->sects, "k"), "v");
	conf_free(c);
}

struct err_case {
	const char *name;
	const char *text;
	size_t len;      /* bytes of text (NULs count) */
	unsigned line;
	const char *what; /* what is wrong */
	const char *fix;  /* and how to fix it */
};

static void test_errors(void **state)
{
	static char overlong[5000 + 32];
#define T(s) s, sizeof(s) - 1
	static const struct err_case cases[] = {
		{ "bad header", T("# c\n[general\nk = v\n"), 2, "bad section header",
		  "write it as [name] or [name arg]" },
		{ "text after header", T("[general] x\n"), 1, "bad section header", "[name arg]" },
		{ "empty section name", T("[]\n"), 1, "bad section name", "use letters" },
		{ "bad section name", T("\n\n[gen/eral]\n"), 3, "bad section name",
		  "use letters, digits" },
		{ "empty quoted arg", T("[account \"\"]\n"), 1, "bad section name",
		  "use letters" },
		{ "repeated section", T("[general]\nk = 1\n[media]\n[general]\nj = 2\n"), 4,
		  "[general] is already opened at line 1", "merge the two" },
		{ "repeated account", T("[account a]\n[account b]\n\n[account a]\n"), 4,
		  "[account a] is already opened at line 1", "merge the two" },
		{ "key outside", T("# top\nuri = sip:a@b\n"), 2, "outside any section",
		  "put it under [general]" },
		{ "missing =", T("[general]\nlog_level debug\n"), 2, "expected 'key = value'",
		  "or '[section]'" },
		{ "bad key", T("[general]\n\nlog level = debug\n"), 3, "bad key 'log level'",
		  "use letters" },
		{ "empty key", T("[general]\n= v\n"), 2, "bad key ''", "use letters" },
		{ "duplicate key", T("[media]\nptime = 20\n\nptime = 30\n"), 4,
		  "'ptime' is set twice in [media]", "keep one" },
		{ "duplicate in account", T("[account a]\nuri = x\nuri = y\n"), 3,
		  "set twice in [account a]", "keep one" },
		{ "unterminated quote", T("[general]\ndisplay = \"Alice\n"), 2,
		  "unterminated quote in the value of 'display'", "close it with \"" },
		{ "escaped last quote", T("[general]\ndisplay = \"Alice\\\"\n"), 2,
		  "unterminated quote", "close it" },
		{ "text after quote", T("[general]\ndisplay = \"Alice\" Smith\n"), 2,
		  "text after the closing quote in the value of 'display'", "inside the \"\"" },
		{ "NUL byte", T("[general]\nk = v\nx\0y = z\n"), 3, "NUL byte", "plain text" },
		{ "NUL on first line", T("\0"), 1, "NUL byte", "plain text" },
		{ "NUL after last newline", T("[general]\n\n\0"), 3, "NUL byte", "plain text" },
		{ "overlong line", overlong, 0, 2, "longer than 4096 bytes", "shorten it" },
	};
#undef T
	(void)state;

	memcpy(overlong, "[general]\nk = ", 14);
	memset(overlong + 14, 'v', 5000);
	overlong[5014] = '\n';
	overlong[5015] = '\0';

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		const struct err_case *e = &cases[i];
		struct conf *c = (struct conf *)0x1;
		char err[512] = "", prefix[64];
		size_t len = e->text == overlong ? strlen(overlong) : e->len;
		int rc = conf_parse(&c, "/etc/x/test.conf", e->text, len, err, sizeof(err));

		if (rc != EINVAL)
			fail_msg("%s: rc %d, want EINVAL", e->name, rc);
		assert_ptr_equal(c, (struct conf *)0x1); /* untouched */
		snprintf(prefix, sizeof(prefix), "/etc/x/test.conf:%u: ", e->line);
		if (strncmp(err, prefix, strlen(prefix)) != 0)
			fail_msg("%s: '%s' does not start with '%s'", e->name, err, prefix);
		if (!strstr(err, e->what) || !strstr(err, e->fix))
			fail_msg("%s: '%s' lacks '%s' or '%s'", e->name, err, e->what, e->fix);
	}
}

/* Errors fit any buffer and tolerate none. */
static void test_error_buffers(void **state)
{
	struct conf *c = NULL;
	char small[12];
	static const char text[] = "[general]\nbad line\n";
	(void)state;

	memset(small, 'Z', sizeof(small));
	assert_int_equal(conf_parse(&c, "a-rather-long-path/test.conf", text, strlen(text), small,
				    8), EINVAL);
	assert_true(strlen(small) < 8);
	assert_int_equal(small[8], 'Z');
	assert_int_equal(conf_parse(&c, "test.conf", text, strlen(text), NULL, 0), EINVAL);
	assert_int_equal(conf_parse(&c, "test.conf", text, strlen(text), small, 0), EINVAL);
	assert_null(c);
}

static void test_get_bool(void **state)
{
	static const struct {
		const char *val;
		int rc;
		bool out;
	} cases[] = {
		{ "yes", 0, true }, { "on", 0, true }, { "true", 0, true }, { "1", 0, true },
		{ "YES", 0, true }, { "True", 0, true }, { "no", 0, false }, { "off", 0, false },
		{ "false", 0, false }, { "0", 0, false }, { "No", 0, false },
		{ "maybe", EINVAL, false }, { "", EINVAL, false }, { "yes!", EINVAL, false },
		{ "2", EINVAL, false }, { "y", EINVAL, false },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[128], err[256] = "";
		struct conf *c;
		bool out = !cases[i].out;
		int rc;

		snprintf(text, sizeof(text), "[general]\n# pad\nflag = %s\n", cases[i].val);
		c = parse_ok(text);
		rc = conf_get_bool(c, c->sects, "flag", &out, err, sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("'%s': rc %d", cases[i].val, rc);
		if (!rc) {
			assert_int_equal(out, cases[i].out);
		} else {
			assert_int_equal(out, !cases[i].out); /* untouched */
			assert_true(!strncmp(err, "test.conf:3: ", 13));
			assert_non_null(strstr(err, "flag"));
			assert_non_null(strstr(err, "write yes or no"));
		}
		/* absent: ENOENT, untouched, no message needed */
		out = true;
		assert_int_equal(conf_get_bool(c, c->sects, "other", &out, err, sizeof(err)),
				 ENOENT);
		assert_true(out);
		conf_free(c);
	}
}

static void test_get_u32(void **state)
{
	static const struct {
		const char *val;
		uint32_t min, max;
		int rc;
		uint32_t out;
	} cases[] = {
		{ "20", 10, 200, 0, 20 },
		{ "10", 10, 200, 0, 10 },
		{ "200", 10, 200, 0, 200 },
		{ "0", 0, UINT32_MAX, 0, 0 },
		{ "4294967295", 0, UINT32_MAX, 0, UINT32_MAX },
		{ "007", 0, 10, 0, 7 },
		{ "9", 10, 200, EINVAL, 0 },
		{ "201", 10, 200, EINVAL, 0 },
		{ "4294967296", 0, UINT32_MAX, EINVAL, 0 },
		{ "18446744073709551615", 0, UINT32_MAX, EINVAL, 0 },
		{ "18446744073709551616", 0, UINT32_MAX, EINVAL, 0 },
		{ "99999999999999999999999", 0, UINT32_MAX, EINVAL, 0 },
		{ "-1", 0, UINT32_MAX, EINVAL, 0 },
		{ "-0", 0, UINT32_MAX, EINVAL, 0 },
		{ "", 0, 10, EINVAL, 0 },
		{ "5x", 0, 10, EINVAL, 0 },
		{ "0x10", 0, 100, EINVAL, 0 },
		{ "1.5", 0, 10, EINVAL, 0 },
		{ "twenty", 0, 100, EINVAL, 0 },
		{ "\" 5\"", 0, 10, EINVAL, 0 },
		{ "+5", 0, 10, EINVAL, 0 },
		{ "\" -1\"", 0, UINT32_MAX, EINVAL, 0 },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char text[128], err[256] = "", range[64];
		struct conf *c;
		uint32_t out = 12345;
		int rc;

		snprintf(text, sizeof(text), "[media]\nptime = %s\n", cases[i].val);
		c = parse_ok(text);
		rc = conf_get_u32(c, c->sects, "ptime", cases[i].min, cases[i].max, &out, err,
				  sizeof(err));
		if (rc != cases[i].rc)
			fail_msg("'%s': rc %d, want %d", cases[i].val, rc, cases[i].rc);
		if (!rc) {
			assert_true(out == cases[i].out);
		} else {
			assert_true(out == 12345);
			snprintf(range, sizeof(range), "from %u to %u", cases[i].min, cases[i].max);
			if (strncmp(err, "test.conf:2: ", 13) || !strstr(err, "ptime") ||
			    !strstr(err, range))
				fail_msg("'%s': bad message '%s'", cases[i].val, err);
		}
		assert_int_equal(conf_get_u32(c, c->sects, "nope", 0, 1, &out, err, sizeof(err)),
				 ENOENT);
		conf_free(c);
	}
}

static void test_check_keys(void **state)
{
	static const char *const keys[] = { "uri", "password", "expires", NULL };
	static const char *const none[] = { NULL };
	struct conf *c = parse_ok("[account alice]\nuri = sip:a@b\n\npasswd = x\n");
	struct conf *ok = parse_ok("[account alice]\nuri = sip:a@b\nexpires = 60\n");
	char err[512] = "";
	(void)state;

	assert_int_equal(conf_check_keys(c, c->sects, keys, err, sizeof(err)), EINVAL);
	assert_true(!strncmp(err, "test.conf:4: ", 13));
	assert_non_null(strstr(err, "unknown key 'passwd' in [account alice]"));
	assert_non_null(strstr(err, "known: uri, password, expires"));
	assert_int_equal(conf_check_keys(ok, ok->sects, keys, err, sizeof(err)), 0);
	assert_int_equal(conf_check_keys(ok, ok->sects, none, err, sizeof(err)), EINVAL);
	assert_true(!strncmp(err, "test.conf:2: ", 13));

	/* a long key list is cut, never overflowed */
	{
		static const char *const many[] = {
			"k00000000000000000000000000000000000000000000000001",
			"k00000000000000000000000000000000000000000000000002",
			"k00000000000000000000000000000000000000000000000003",
			"k00000000000000000000000000000000000000000000000004",
			"k00000000000000000000000000000000000000000000000005",
			"k00000000000000000000000000000000000000000000000006",
			"k00000000000000000000000000000000000000000000000007",
			"k00000000000000000000000000000000000000000000000008",
			"k00000000000000000000000000000000000000000000000009",
			"k00000000000000000000000000000000000000000000000010",
			"k00000000000000000000000000000000000000000000000011",
			"k00000000000000000000000000000000000000000000000012",
			NULL,
		};
		assert_int_equal(conf_check_keys(c, c->sects, many, err, sizeof(err)), EINVAL);
		assert_true(strlen(err) < sizeof(err));
		assert_non_null(strstr(err, "known: k000"));
	}
	conf_free(c);
	conf_free(ok);
}

/* ---------- files ---------- */

static char tmpdir[PATH_MAX];

static int tmp_setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sipterm-test-conf.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[PATH_MAX + 16];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *write_conf(const char *name, const char *text, size_t len, mode_t mode)
{
	char *path;
	xasprintf(&path, "%s/%s", tmpdir, name);
	assert_int_equal(fs_write_atomic(path, text, len, 0600), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static void test_load_password_mode(void **state)
{
	static const char with_pw[] = "[account alice]\nuri = sip:alice@example.org\n"
				      "password = hunter2\n";
	static const char without_pw[] = "[account alice]\nuri = sip:alice@example.org\n";
	static const struct {
		const char *text;
		mode_t mode;
		int rc;
	} cases[] = {
		{ with_pw, 0644, EACCES },
		{ with_pw, 0640, EACCES },
		{ with_pw, 0604, EACCES },
		{ with_pw, 0620, EACCES },
		{ with_pw, 0600, 0 },
		{ with_pw, 0400, 0 },
		{ without_pw, 0644, 0 },
		{ without_pw, 0600, 0 },
	};
	(void)state;

	for (size_t i = 0; i < N_ELEM(cases); i++) {
		char *path = write_conf("config", cases[i].text, strlen(cases[i].text),
					cases[i].mode);
		struct conf *c = (struct conf *)0x1;
		char err[512] = "", want[PATH_MAX + 64];
		int rc = conf_load(&c, path, err, sizeof(err));

		if (rc != cases[i].rc)
			fail_msg("case %zu (mode %04o): rc %d: %s", i, (unsigned)cases[i].mode, rc,
				 err);
		if (rc) {
			assert_ptr_equal(c, (struct conf *)0x1);
			/* names the file, the password line and the command that fixes it */
			snprintf(want, sizeof(want), "%s:3: ", path);
			assert_true(!strncmp(err, want, strlen(want)));
			snprintf(want, sizeof(want), "chmod 600 %s", path);
			assert_non_null(strstr(err, want));
			assert_null(strstr(err, "hunter2"));
		} else {
			assert_string_equal(c->path, path);
			assert_string_equal(conf_get(conf_sect_find(c, "account", "alice"), "uri"),
					    "sip:alice@example.org");
			conf_free(c);
		}
		free(path);
	}
}

static void test_load_errors(void **state)
{
	struct conf *c = NULL;
	char err[512], *path, *big;
	(void)state;

	/* parse errors carry the real path */
	path = write_conf("bad", "[general]\nx\n", 12, 0600);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), EINVAL);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":2: "));
	free(path);

	xasprintf(&path, "%s/missing", tmpdir);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "cannot read"));
	free(path);

	assert_int_equal(conf_load(&c, tmpdir, err, sizeof(err)), EISDIR);

	big = xmalloc(1024 * 1024 + 2);
	memset(big, '#', 1024 * 1024 + 1);
	path = write_conf("big", big, 1024 * 1024 + 1, 0600);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), EFBIG);
	assert_non_null(strstr(err, "1 MiB"));
	free(path);
	free(big);
	assert_null(c);
}

static void test_default_path(void **state)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	char *sx = x ? xstrdup(x) : NULL, *sh = h ? xstrdup(h) : NULL;
	char buf[256];
	(void)state;

	setenv("HOME", "/home/alice", 1);
	setenv("XDG_CONFIG_HOME", "/xdg/cfg", 1);
	assert_int_equal(conf_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/xdg/cfg/sipterm/config");
	assert_int_equal(conf_default_path(buf, 10), ENAMETOOLONG);
	/* relative or empty XDG_CONFIG_HOME is ignored */
	setenv("XDG_CONFIG_HOME", "cfg", 1);
	assert_int_equal(conf_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/alice/.config/sipterm/config");
	setenv("XDG_CONFIG_HOME", "", 1);
	assert_int_equal(conf_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/alice/.config/sipterm/config");
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(conf_default_path(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/alice/.config/sipterm/config");
	unsetenv("HOME");
	assert_int_equal(conf_default_path(buf, sizeof(buf)), ENOENT);

	if (sx)
		setenv("XDG_CONFIG_HOME", sx, 1);
	if (sh)
		setenv("HOME", sh, 1);
	free(sx);
	free(sh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_empty_and_no_path),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_buffers),
		cmocka_unit_test(test_get_bool),
		cmocka_unit_test(test_get_u32),
		cmocka_unit_test(test_check_keys),
		cmocka_unit_test_setup_teardown(test_load_password_mode, tmp_setup, tmp_teardown),
		cmocka_unit_test_setup_teardown(test_load_errors, tmp_setup, tmp_teardown),
		cmocka_unit_test(test_default_path),
	};

	/* one group: TAP allows one plan per stream */
	return cmocka_run_group_tests_name("conf", tests, NULL, NULL);
}
