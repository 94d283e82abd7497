/* test-dl.c: libraries loaded at first use (src/dl.c) and the kernel's
 * random bytes (src/rand.c).
 *
 * dl_load against libm (a library every system has), a soname that does
 * not exist and a symbol that does not; then the core's own lazy
 * libraries: none is in the process at start, libcrypto and libxml2 not
 * until their first use (a SIP digest, a PIDF document; a random token
 * needs neither) and there after it.  This program links none of them, so
 * "not loaded" means the core did not load them (dlopen with
 * RTLD_NOLOAD).  PortAudio at its first use: tests/cli/lazy-libs.sh (a
 * unit test should not depend on the machine's sound system). */
#include <dlfcn.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

#include "buf.h"
#include "dl.h"
#include "log.h"
#include "pidf.h"
#include "pl.h"
#include "rand.h"
#include "sip/auth.h"
#include "sip/sip.h"

/* ---------- dl_load ---------- */

static struct m_fns {
	__typeof__(cos) *cos;
	__typeof__(sqrt) *sqrt;
} m;

static const struct dl_sym m_syms[] = {
	DL_SYM(struct m_fns, cos, "cos"),
	DL_SYM(struct m_fns, sqrt, "sqrt"),
};

static const struct dl_sym bad_syms[] = {
	DL_SYM(struct m_fns, cos, "cos"),
	DL_SYM(struct m_fns, sqrt, "sipterm_no_such_function"),
};

static int warnings;
static char last_line[512];

static void count_log(enum log_level lvl, const char *mod, const char *line, void *arg)
{
	(void)mod;
	(void)arg;
	if (lvl == LOG_LVL_WARN)
		warnings++;
	snprintf(last_line, sizeof(last_line), "%s", line);
}

static int log_setup(void **state)
{
	(void)state;
	warnings = 0;
	last_line[0] = '\0';
	log_set_stderr(false);
	log_set_handler(count_log, NULL);
	return 0;
}

static int log_teardown(void **state)
{
	(void)state;
	log_set_handler(NULL, NULL);
	return 0;
}

static void test_dl_load(void **state)
{
	struct dl_lib l = DL_LIB("libm.so.6", "a test", m_syms, &m);

	(void)state;
	assert_null(dl_handle(&l));
	assert_int_equal(dl_load(&l), 0);
	assert_non_null(dl_handle(&l));
	assert_string_equal(dl_error(&l), "");
	assert_true(m.cos(0.0) == 1.0);
	assert_true(m.sqrt(16.0) == 4.0);
	/* loaded once: the second call only looks */
	void *h = dl_handle(&l);
	assert_int_equal(dl_load(&l), 0);
	assert_ptr_equal(dl_handle(&l), h);
	assert_int_equal(warnings, 0);
}

static void test_dl_missing_library(void **state)
{
	struct m_fns t = { 0 };
	struct dl_lib l = DL_LIB("libsipterm-no-such-library.so.0", "a test", m_syms, &t);

	(void)state;
	assert_int_equal(dl_load(&l), ENOENT);
	assert_null(dl_handle(&l));
	assert_non_null(strstr(dl_error(&l),
			       "cannot load libsipterm-no-such-library.so.0 (needed for a test)"));
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(last_line, "libsipterm-no-such-library.so.0"));
	/* tried again, said once */
	assert_int_equal(dl_load(&l), ENOENT);
	assert_int_equal(warnings, 1);
}

static void test_dl_missing_symbol(void **state)
{
	struct m_fns t = { 0 };
	struct dl_lib l = DL_LIB("libm.so.6", "a test", bad_syms, &t);

	(void)state;
	assert_int_equal(dl_load(&l), ENOSYS);
	assert_null(dl_handle(&l));
	assert_non_null(strstr(dl_error(&l), "it has no sipterm_no_such_function"));
	assert_int_equal(warnings, 1);
}

/* ---------- rand_fill ---------- */

static void test_rand_fill(void **state)
{
	unsigned char a[300], b[300], zero[300] = { 0 };
	char tok[33];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	/* more than getrandom's 256-byte atomic size, and nothing at all */
	assert_int_equal(rand_fill(a, sizeof(a)), 0);
	assert_int_equal(rand_fill(b, sizeof(b)), 0);
	assert_int_equal(rand_fill(NULL, 0), 0);
	assert_memory_not_equal(a, zero, sizeof(a));
	assert_memory_not_equal(a, b, sizeof(a));
	/* the tail is filled too (2^-64 odds of a false failure) */
	assert_memory_not_equal(a + sizeof(a) - 8, zero, 8);
	sip_rand_token(tok, 32);
	assert_int_equal(strlen(tok), 32);
	assert_int_equal(strspn(tok, "0123456789abcdefghijklmnopqrstuvwxyz"), 32);
}

/* ---------- the core's lazy libraries ---------- */

static bool loaded(const char *soname)
{
	void *h = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);

	if (!h)
		return false;
	dlclose(h);   /* drops only the reference RTLD_NOLOAD took */
	return true;
}

/* Nothing above main() has run yet: the core linked into this program
 * loaded none of them at start. */
static void test_none_loaded(void **state)
{
	(void)state;
	assert_false(loaded(OPENSSL_SONAME));
	assert_false(loaded(XML_SONAME));
	assert_false(loaded(PORTAUDIO_SONAME));
	assert_false(loaded(ALSA_SONAME));
}

static void test_lazy_crypto(void **state)
{
	char tok[20], out[SIP_AUTH_HEX_MAX];
	struct pl user = PL("Mufasa"), realm = PL("testrealm@host.com");

	(void)state;
	assert_false(loaded(OPENSSL_SONAME));
	sip_rand_token(tok, 16);   /* tags, branches, the instance id */
	assert_false(loaded(OPENSSL_SONAME));
	assert_int_equal(sip_auth_userhash(SIP_AUTH_MD5, &user, &realm, out), 0);
	assert_true(loaded(OPENSSL_SONAME));
	/* printf 'Mufasa:testrealm@host.com' | openssl dgst -md5 -r */
	assert_string_equal(out, "74f54fe2c8045a5ffda7d02fd97f1716");
}

static void test_lazy_xml(void **state)
{
	struct pidf_status st;
	struct buf b;

	(void)state;
	assert_false(loaded(XML_SONAME));
	/* refused by the byte checks, before libxml2 is needed */
	assert_int_equal(pidf_parse(&st, "", 0, NULL), EBADMSG);
	assert_false(loaded(XML_SONAME));
	memset(&st, 0, sizeof(st));
	st.basic = PIDF_OPEN;
	buf_init(&b, 4096);
	assert_int_equal(pidf_build(&b, "sip:alice@example.org", &st), 0);
	assert_true(loaded(XML_SONAME));
	assert_int_equal(pidf_parse(&st, b.p, b.len, NULL), 0);
	assert_int_equal(st.basic, PIDF_OPEN);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_none_loaded),
		cmocka_unit_test_setup_teardown(test_dl_load, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_dl_missing_library, log_setup, log_teardown),
		cmocka_unit_test_setup_teardown(test_dl_missing_symbol, log_setup, log_teardown),
		cmocka_unit_test(test_rand_fill),
		cmocka_unit_test(test_lazy_crypto),
		cmocka_unit_test(test_lazy_xml),
	};

	/* one group: TAP allows one plan per stream */
	return cmocka_run_group_tests_name("dl", tests, NULL, NULL);
}
