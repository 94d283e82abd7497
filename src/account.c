/* account.c: [account NAME] sections of the config.
 *   uri = sip:alice@example.org      (required)
 *   display_name, auth_user, password | password_cmd, registrar,
 *   outbound_proxy, transport = udp|tcp, expires, register = yes|no,
 *   keepalive, answer_after = yes|no, codecs
 * password_cmd runs once at start-up (before the loop): its first line of
 * output is the password, so secrets can live in a password manager. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "media.h"
#include "sip/auth.h"
#include "ua.h"
#include "xmalloc.h"

#define LOG_MOD "account"

static const char *const keys[] = {
	"uri", "display_name", "auth_user", "password", "password_cmd", "registrar",
	"outbound_proxy", "transport", "expires", "register", "keepalive", "answer_after",
	"codecs", NULL,
};

static void on_alarm(int sig)
{
	(void)sig; /* interrupts the read below */
}

/* Run cmd through /bin/sh and take its first output line.  Bounded: 4 KiB
 * of output and 10 s.  Runs before the loop starts, so it may block. */
static int run_password_cmd(const char *cmd, char **out)
{
	struct sigaction sa, old;
	int fds[2], status = 0;
	bool timed_out = false;
	pid_t pid;
	char buf[4096];
	size_t n = 0;

	if (pipe(fds) < 0)
		return errno;
	pid = fork();
	if (pid < 0) {
		int err = errno;
		close(fds[0]);
		close(fds[1]);
		return err;
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old);
	alarm(10);
	for (;;) {
		ssize_t r = read(fds[0], buf + n, sizeof(buf) - 1 - n);
		if (r < 0 && errno == EINTR) {
			timed_out = true;
			break;
		}
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n >= sizeof(buf) - 1)
			break;
	}
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	close(fds[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	if (timed_out || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !buf[0]) {
		explicit_bzero(buf, sizeof(buf));
		return timed_out ? ETIMEDOUT : EIO;
	}
	*out = xstrdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

/* What in a URI we cannot honour: sips: and transport=tls need TLS, which
 * is not there yet (silently sending in the clear would be worse). */
static int uri_usable(const struct conf *c, const struct conf_kv *kv, const struct sip_uri *u,
		      char *err, size_t errsz)
{
	struct pl tp;
	enum sip_tp t;

	if (u->scheme == SIP_SCHEME_SIPS) {
		conf_errf(c, kv->line, err, errsz,
			  "%s = %s: sips: needs TLS, which sipterm does not have yet; write sip:",
			  kv->key, kv->val);
		return EINVAL;
	}
	if (sip_uri_param(u, "transport", &tp) == 0 &&
	    (sip_tp_from_name(&tp, &t) || t == SIP_TP_TLS)) {
		conf_errf(c, kv->line, err, errsz, "%s = %s: write transport=udp or transport=tcp",
			  kv->key, kv->val);
		return EINVAL;
	}
	return 0;
}

static int uri_check(const struct conf *c, const struct conf_kv *kv, char *err, size_t errsz)
{
	struct sip_uri u;
	struct pl t = pl_cstr(kv->val);
	if (sip_uri_parse(&u, &t) || (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS)) {
		conf_errf(c, kv->line, err, errsz,
			  "'%s = %s' is not a SIP URI: write it like sip:host or sip:user@host",
			  kv->key, kv->val);
		return EINVAL;
	}
	return uri_usable(c, kv, &u, err, errsz);
}

int account_load(struct ua *ua, const struct conf *c, const struct conf_sect *s,
		 struct account **ap, char *err, size_t errsz)
{
	struct account *a;
	const struct conf_kv *kv;
	const char *v;
	struct sip_uri u;
	struct pl t;
	char *password = NULL;
	bool b;
	int rc;

	if (!s->arg) {
		conf_errf(c, s->line, err, errsz, "an account needs a name: write [account NAME]");
		return EINVAL;
	}
	rc = conf_check_keys(c, s, keys, err, errsz);
	if (rc)
		return rc;
	kv = conf_kv_find(s, "uri");
	if (!kv) {
		conf_errf(c, s->line, err, errsz,
			  "[account %s] has no uri: add a line like uri = sip:alice@example.org",
			  s->arg);
		return EINVAL;
	}
	t = pl_cstr(kv->val);
	if (sip_uri_parse(&u, &t) || (u.scheme != SIP_SCHEME_SIP && u.scheme != SIP_SCHEME_SIPS) ||
	    !u.user.l) {
		conf_errf(c, kv->line, err, errsz,
			  "uri = %s: write the account's address like sip:alice@example.org",
			  kv->val);
		return EINVAL;
	}
	if ((rc = uri_usable(c, kv, &u, err, errsz)))
		return rc;
	a = xcalloc(1, sizeof(*a));
	a->ua = ua;
	a->name = xstrdup(s->arg);
	a->line = s->line;
	a->aor = xstrdup(kv->val);
	{
		char user[256];
		size_t n = sip_unescape(user, sizeof(user) - 1, &u.user);
		user[n] = '\0';
		a->user = xstrdup(user);
	}
	if (u.port)
		xasprintf(&a->domain, "%s%.*s%s:%u", u.ipv6 ? "[" : "", PL_ARG(u.host),
			  u.ipv6 ? "]" : "", u.port);
	else
		xasprintf(&a->domain, "%s%.*s%s", u.ipv6 ? "[" : "", PL_ARG(u.host), u.ipv6 ? "]" : "");
	if ((v = conf_get(s, "display_name")))
		a->display = xstrdup(v);
	a->auth_user = xstrdup((v = conf_get(s, "auth_user")) ? v : a->user);
	if ((kv = conf_kv_find(s, "registrar"))) {
		if ((rc = uri_check(c, kv, err, errsz)))
			goto fail;
		a->registrar = xstrdup(kv->val);
	} else {
		xasprintf(&a->registrar, "sip:%s", a->domain);
	}
	if ((kv = conf_kv_find(s, "outbound_proxy"))) {
		if ((rc = uri_check(c, kv, err, errsz)))
			goto fail;
		a->outbound_proxy = xstrdup(kv->val);
	}
	if ((kv = conf_kv_find(s, "transport"))) {
		struct pl n = pl_cstr(kv->val);
		if (sip_tp_from_name(&n, &a->tp) || a->tp == SIP_TP_TLS) {
			conf_errf(c, kv->line, err, errsz, "transport = %s: write udp or tcp",
				  kv->val);
			rc = EINVAL;
			goto fail;
		}
		a->tp_set = true;
	}
	a->expires = 3600;
	/* not 0: a REGISTER with Expires: 0 removes the binding (RFC 3261
	 * 10.2.2); "register = no" is the way not to register */
	rc = conf_get_u32(c, s, "expires", 1, 86400 * 7, &a->expires, err, errsz);
	if (rc && rc != ENOENT)
		goto fail;
	a->keepalive = 0;
	rc = conf_get_u32(c, s, "keepalive", 0, 3600, &a->keepalive, err, errsz);
	if (rc && rc != ENOENT)
		goto fail;
	a->do_register = true;
	rc = conf_get_bool(c, s, "register", &a->do_register, err, errsz);
	if (rc && rc != ENOENT)
		goto fail;
	rc = conf_get_bool(c, s, "answer_after", &b, err, errsz);
	if (rc && rc != ENOENT)
		goto fail;
	a->answer_after_ok = rc == 0 && b;
	if ((kv = conf_kv_find(s, "codecs"))) {
		char why[256];
		if (media_codecs_check(kv->val, why, sizeof(why))) {
			conf_errf(c, kv->line, err, errsz, "codecs = %s: %s", kv->val, why);
			rc = EINVAL;
			goto fail;
		}
		a->codecs = xstrdup(kv->val);
	}

	kv = conf_kv_find(s, "password");
	if (kv && conf_kv_find(s, "password_cmd")) {
		conf_errf(c, kv->line, err, errsz,
			  "[account %s] has both password and password_cmd: keep one", s->arg);
		rc = EINVAL;
		goto fail;
	}
	if (kv) {
		password = xstrdup(kv->val);
	} else if ((kv = conf_kv_find(s, "password_cmd"))) {
		rc = run_password_cmd(kv->val, &password);
		if (rc) {
			conf_errf(c, kv->line, err, errsz,
				  "password_cmd of [account %s] %s: check the command", s->arg,
				  rc == ETIMEDOUT ? "took longer than 10 s"
						  : "failed or printed nothing");
			rc = EINVAL; /* a configuration error: exit status 2 */
			goto fail;
		}
	}
	a->auth = sip_auth_new(a->auth_user, password ? password : "");
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	*ap = a;
	return 0;
fail:
	account_free(a);
	return rc ? rc : EINVAL;
}

void account_free(struct account *a)
{
	if (!a)
		return;
	reg_free(a->reg);
	sip_auth_free(a->auth);
	free(a->name);
	free(a->aor);
	free(a->user);
	free(a->domain);
	free(a->display);
	free(a->auth_user);
	free(a->registrar);
	free(a->outbound_proxy);
	free(a->codecs);
	free(a);
}
