/* ui/ctrl.c: the control socket (--ctrl PATH): a UNIX stream socket,
 * mode 0600, taking one command per line.  A reply is zero or more data
 * lines "| TEXT" followed by "ok" or "error MESSAGE"; commands from one
 * client run in order, and a waiting command holds back the next ones.
 * Events are sent as "event TEXT" lines, never inside a reply.  Every
 * client's buffers are bounded: a client that does not read its replies
 * is disconnected. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "ui/ctrl.h"
#include "xmalloc.h"

#define LOG_MOD "ctrl"

#define MAX_CLIENTS 16
#define MAX_IN (64 * 1024)
#define MAX_OUT (1024 * 1024)

struct client {
	struct le le;
	int fd;
	struct buf in, out;
	struct buf reply;       /* the reply's data lines being built */
	struct buf err;         /* its error message, if any (the first one) */
	struct cmd_ctx ctx;
	bool running;           /* a command is executing or pending */
	bool in_run;            /* inside cmd_run: a reply now is synchronous */
	bool reply_ready;       /* a finished reply waits for the kick */
	bool eof;               /* the client shut down its side: finish, then close */
	bool closing;
	struct tmr kick;
};

static struct {
	int fd;
	char *path;
	struct list clients;
	bool json;
} g = { .fd = -1 };

static void client_step(struct client *c);

static void client_free(struct client *c)
{
	cmd_cancel(&c->ctx);
	tmr_cancel(&c->kick);
	loop_fd_del(c->fd);
	close(c->fd);
	list_unlink(&c->le);
	buf_free(&c->in);
	buf_free(&c->out);
	buf_free(&c->reply);
	buf_free(&c->err);
	free(c);
}

static void client_reap(void *arg)
{
	client_free(arg);
}

static void client_close(struct client *c)
{
	if (c->closing)
		return;
	c->closing = true;
	loop_fd_mod(c->fd, 0);
	loop_reap(client_reap, c);
}

static void flush_out(struct client *c)
{
	while (c->out.len) {
		ssize_t n = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			client_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	if (c->closing)
		return;
	if (c->eof && !c->running && !c->out.len && !memchr(c->in.p ? c->in.p : "", '\n', c->in.len)) {
		client_close(c);
		return;
	}
	loop_fd_mod(c->fd, (c->eof ? 0 : LOOP_READ) | (c->out.len ? LOOP_WRITE : 0));
}

static void send_text(struct client *c, const char *s, size_t n)
{
	if (c->closing)
		return;
	if (buf_append(&c->out, s, n)) {
		log_w("control client does not read its replies; disconnecting it");
		client_close(c);
		return;
	}
	flush_out(c);
}

/* One line of output; newlines inside become separate data lines.  An
 * error is kept apart: its one line ends the reply (see done). */
static void out(struct cmd_ctx *ctx, bool ok, const char *line)
{
	struct client *c = ctx->arg;
	if (!ok) {
		/* the first error is the cause; one line, whatever it holds */
		if (c->err.len)
			return;
		for (const char *p = line; *p; p++)
			buf_putc(&c->err, *p == '\n' || *p == '\r' ? ' ' : *p);
		c->err.err = 0;
		return;
	}
	for (const char *p = line;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		buf_puts(&c->reply, "| ");
		buf_append(&c->reply, p, n);
		buf_putc(&c->reply, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* The finished reply, written whole: an event never splits it. */
static void send_reply(struct client *c)
{
	if (!c->reply_ready)
		return;
	c->reply_ready = false;
	send_text(c, c->reply.p ? c->reply.p : "", c->reply.len);
	buf_reset(&c->reply);
	buf_reset(&c->err);
	c->running = false;
}

static void kick(void *arg)
{
	struct client *c = arg;
	send_reply(c);
	client_step(c);
}

/* A command finished.  A synchronous reply goes out now; one that ends a
 * wait goes out from the loop, after the event that ended it (the event
 * sinks run after this one), so "wait EVENT" is answered event first. */
static void done(struct cmd_ctx *ctx, int status)
{
	struct client *c = ctx->arg;

	if (status || c->err.len) {
		if (c->err.len)
			buf_printf(&c->reply, "error %.*s\n", (int)c->err.len, c->err.p);
		else
			buf_printf(&c->reply, "error failed (status %d)\n", status);
	} else {
		buf_puts(&c->reply, "ok\n");
	}
	if (c->reply.err) {
		/* a reply too long to hold: say so rather than cut it */
		buf_reset(&c->reply);
		buf_puts(&c->reply, "error the reply is too long\n");
	}
	c->reply_ready = true;
	if (c->in_run)
		send_reply(c);
	tmr_start(&c->kick, 0, kick, c);
}

static const struct cmd_src ctrl_src = { out, done };

/* Run the client's next complete line, if no command is running. */
static void client_step(struct client *c)
{
	char *nl;
	char line[4096];
	size_t n;

	while (!c->running && !c->closing && c->in.len &&
	       (nl = memchr(c->in.p, '\n', c->in.len)) != NULL) {
		n = (size_t)(nl - c->in.p);
		if (n >= sizeof(line)) {
			send_text(c, "error line too long\n", 20);
			buf_consume(&c->in, n + 1);
			continue;
		}
		memcpy(line, c->in.p, n);
		line[n] = '\0';
		if (n && line[n - 1] == '\r')
			line[n - 1] = '\0';
		buf_consume(&c->in, n + 1);
		c->running = true;
		buf_reset(&c->reply);
		buf_reset(&c->err);
		c->in_run = true;
		cmd_run(&c->ctx, line); /* done() runs now or later */
		c->in_run = false;
	}
	if (c->eof && !c->running)
		flush_out(c);
}

static void client_io(int fd, int events, void *arg)
{
	struct client *c = arg;
	char tmp[4096];

	if (events & LOOP_WRITE)
		flush_out(c);
	if (!(events & LOOP_READ) || c->closing)
		return;
	for (;;) {
		ssize_t n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n == 0) {
			/* half-close: answer what was sent, then close */
			c->eof = true;
			if (c->in.len && !memchr(c->in.p, '\n', c->in.len))
				buf_putc(&c->in, '\n');
			break;
		}
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				client_close(c);
			break;
		}
		if (buf_append(&c->in, tmp, (size_t)n)) {
			send_text(c, "error input too long\n", 21);
			client_close(c);
			return;
		}
	}
	client_step(c);
}

static void on_accept(int fd, int events, void *arg)
{
	int cfd;
	struct client *c;
	(void)events;
	(void)arg;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	if (list_count(&g.clients) >= MAX_CLIENTS || cfd >= FD_SETSIZE) {
		const char msg[] = "error too many control clients\n";
		if (write(cfd, msg, sizeof(msg) - 1) < 0) {
			/* nothing more to do */
		}
		close(cfd);
		return;
	}
	c = xcalloc(1, sizeof(*c));
	c->fd = cfd;
	buf_init(&c->in, MAX_IN);
	buf_init(&c->out, MAX_OUT);
	buf_init(&c->reply, MAX_OUT);
	buf_init(&c->err, 4096);
	c->ctx.src = &ctrl_src;
	c->ctx.arg = c;
	c->ctx.where = "ctrl";
	tmr_init(&c->kick);
	list_append(&g.clients, &c->le, c);
	loop_fd_add(cfd, LOOP_READ, client_io, c);
}

static void on_event(const struct ev *e, void *arg)
{
	struct buf b;
	(void)arg;

	if (!list_count(&g.clients))
		return;
	buf_init(&b, 0);
	buf_puts(&b, "event ");
	if (g.json)
		ev_json(e, &b);
	else
		ev_text(e, &b);
	buf_putc(&b, '\n');
	LIST_FOREACH_SAFE(&g.clients, el, tmp) {
		struct client *c = el->data;
		/* replies are written whole, so an event never splits one */
		send_text(c, b.p, b.len);
	}
	buf_free(&b);
}

int ctrl_open(const char *path, bool json, char *err, size_t errsz)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errsz, "--ctrl %s: path too long (at most %zu bytes)", path,
			 sizeof(sun.sun_path) - 1);
		return ENAMETOOLONG;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, path);
	/* a stale socket from a crashed run is replaced; a live one (another
	 * sipterm answers on it) or any other file is not */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errsz, "--ctrl %s: exists and is not a socket", path);
			return EEXIST;
		}
		/* non-blocking: a live peer with a full backlog says EAGAIN */
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd >= 0 && (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0 ||
				errno == EAGAIN)) {
			close(fd);
			snprintf(err, errsz, "--ctrl %s: another sipterm listens there; "
				 "stop it or choose another path", path);
			return EADDRINUSE;
		}
		if (fd >= 0)
			close(fd);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errsz, "--ctrl %s: %s", path, strerror(errno));
		return errno;
	}
	old = umask(0177); /* the socket is created 0600 */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 8) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		snprintf(err, errsz, "--ctrl %s: %s", path, strerror(e));
		return e;
	}
	umask(old);
	chmod(path, 0600);
	g.fd = fd;
	g.path = xstrdup(path);
	g.json = json;
	list_init(&g.clients);
	loop_fd_add(fd, LOOP_READ, on_accept, NULL);
	ev_sink_add(on_event, NULL);
	return 0;
}

void ctrl_close(void)
{
	if (g.fd < 0)
		return;
	ev_sink_del(on_event, NULL);
	LIST_FOREACH_SAFE(&g.clients, e, tmp)
		client_free(e->data);
	loop_fd_del(g.fd);
	close(g.fd);
	unlink(g.path);
	free(g.path);
	g.fd = -1;
}
