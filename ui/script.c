/* ui/script.c: the script runner.  Lines run in order; "file:line:" names
 * the source of every error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "event.h"
#include "fsutil.h"
#include "loop.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "ui/script.h"
#include "ui/tui.h"
#include "xmalloc.h"

#define MAX_LINE 4096

struct line {
	char *text;
	char *src;              /* the file it came from, or NULL: the script's name */
	unsigned no;
};

struct script {
	char *name;
	struct line *lines;
	size_t n, cap, next;
	unsigned lineno;
	bool started, running, stopped, eof, following;
	int fd;
	struct buf in;
	struct cmd_ctx ctx;
	char where[300];
	struct tmr kick;
	script_done_h *h;
	void *arg;
};

static void step(struct script *s);

static void kick(void *arg)
{
	step(arg);
}

static void out(struct cmd_ctx *ctx, bool ok, const char *line)
{
	struct script *s = ctx->arg;
	if (tui_active()) {
		char buf[4400];
		snprintf(buf, sizeof(buf), "%s%s%s", ok ? "" : s->where, ok ? "" : ": ", line);
		tui_console(ok ? TUI_LINE_OUT : TUI_LINE_ERR, buf);
	} else if (ok && app.json && line[0] != '[') {
		/* standard output stays one JSON value a line; a command's own
		 * JSON (help --json, an array) goes out as it is */
		struct buf b;
		buf_init(&b, 0);
		buf_puts(&b, "{\"output\":");
		ev_json_string(&b, line);
		buf_putc(&b, '}');
		printf("%s\n", buf_cstr(&b));
		fflush(stdout);
		buf_free(&b);
	} else if (ok) {
		printf("%s\n", line);
		fflush(stdout);
	} else {
		fprintf(stderr, "%s: %s\n", s->where, line);
	}
}

static void finish(struct script *s, int status)
{
	if (s->stopped)
		return;
	s->stopped = true;
	if (s->h)
		s->h(s, status, s->eof, s->arg);
}

static void done(struct cmd_ctx *ctx, int status)
{
	struct script *s = ctx->arg;
	if (status) {
		finish(s, status);
		return;
	}
	/* continue on the loop, not inside the handler that finished us */
	if (s->running)
		return;
	tmr_start(&s->kick, 0, kick, s);
}

static const struct cmd_src script_src = { out, done };

struct script *script_new(const char *name, script_done_h *h, void *arg)
{
	struct script *s = xcalloc(1, sizeof(*s));
	s->name = xstrdup(name);
	s->fd = -1;
	s->h = h;
	s->arg = arg;
	s->ctx.src = &script_src;
	s->ctx.arg = s;
	buf_init(&s->in, 1 << 20);
	tmr_init(&s->kick);
	return s;
}

static void add_line(struct script *s, const char *text, const char *src, unsigned no)
{
	if (no == 1 && !strncmp(text, "\xef\xbb\xbf", 3))
		text += 3; /* a UTF-8 byte order mark */
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->lines = xrealloc(s->lines, s->cap * sizeof(*s->lines));
	}
	s->lines[s->n].text = xstrdup(text);
	s->lines[s->n].src = src ? xstrdup(src) : NULL;
	s->lines[s->n].no = no;
	s->n++;
}

void script_add(struct script *s, const char *line)
{
	add_line(s, line, NULL, ++s->lineno);
}

int script_read_file(struct script *s, const char *path)
{
	char *text;
	size_t len;
	unsigned no = 0;
	int err = fs_read_file(path, &text, &len, 1 << 20, NULL);

	if (err)
		return err;
	for (char *p = text; p && *p;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = '\0';
		add_line(s, p, path, ++no);
		p = nl ? nl + 1 : NULL;
	}
	free(text);
	s->eof = true;
	return 0;
}

static void fd_read(int fd, int events, void *arg)
{
	struct script *s = arg;
	char tmp[4096];
	ssize_t n;
	(void)events;

	n = read(fd, tmp, sizeof(tmp));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		loop_fd_del(fd);
		s->fd = -1;
		s->eof = true;
		if (s->in.len) {
			buf_putc(&s->in, '\0');
			add_line(s, s->in.p, NULL, ++s->lineno);
			buf_reset(&s->in);
		}
	} else if (buf_append(&s->in, tmp, (size_t)n)) {
		fprintf(stderr, "%s: input line too long\n", s->name);
		finish(s, EXIT_USAGE);
		return;
	}
	for (;;) {
		char *nl = s->in.len ? memchr(s->in.p, '\n', s->in.len) : NULL;
		if (!nl)
			break;
		*nl = '\0';
		add_line(s, s->in.p, NULL, ++s->lineno);
		buf_consume(&s->in, (size_t)(nl - s->in.p) + 1);
	}
	if (s->started && !s->ctx.pending)
		step(s);
}

int script_follow_fd(struct script *s, int fd)
{
	s->fd = fd;
	s->following = true;
	return loop_fd_add(fd, LOOP_READ, fd_read, s);
}

/* Run lines until one waits, fails, or the lines run out. */
static void step(struct script *s)
{
	if (s->stopped || s->running)
		return;
	s->running = true;
	while (!s->stopped && !s->ctx.pending && s->next < s->n) {
		struct line *l = &s->lines[s->next++];
		int rc;
		snprintf(s->where, sizeof(s->where), "%s:%u", l->src ? l->src : s->name, l->no);
		s->ctx.where = s->where;
		rc = cmd_run(&s->ctx, l->text);
		if (rc && !s->ctx.pending) {
			s->running = false;
			finish(s, rc);
			return;
		}
	}
	s->running = false;
	if (!s->stopped && !s->ctx.pending && s->next >= s->n && (s->eof || !s->following))
		finish(s, 0);
}

void script_start(struct script *s)
{
	s->started = true;
	tmr_start(&s->kick, 0, kick, s);
}

void script_free(struct script *s)
{
	if (!s)
		return;
	cmd_cancel(&s->ctx);
	tmr_cancel(&s->kick);
	if (s->fd >= 0)
		loop_fd_del(s->fd);
	for (size_t i = 0; i < s->n; i++) {
		free(s->lines[i].text);
		free(s->lines[i].src);
	}
	free(s->lines);
	buf_free(&s->in);
	free(s->name);
	free(s);
}
