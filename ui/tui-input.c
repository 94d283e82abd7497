/* ui/tui-input.c: GNU readline on the TUI's bottom line, through its
 * callback interface: the loop reads stdin, hands each byte to
 * rl_callback_read_char() (via rl_getc_function), and readline's
 * redisplay draws into curses instead of the terminal.  Readline keeps
 * its keymaps (Emacs or vi from ~/.inputrc), history
 * ($XDG_DATA_HOME/sipterm/history) and completion (commands, call ids,
 * accounts, buddies, chat peers, recent peers); the hotkeys are readline
 * bindings on function keys, so they never take a key that types text.
 * Typing in a chat window tells the peer (RFC 3994): "active" while the
 * line holds text, "idle" once it is emptied or after COMPOSE_IDLE_MS
 * without a key. */
#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <term.h>
#include <unistd.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "call.h"
#include "fsutil.h"
#include "calllog.h"
#include "im.h"
#include "loop.h"
#include "presence.h"
#include "tmr.h"
#include "ua.h"
#include "ui/app.h"
#include "ui/cmd.h"
#include "ui/tui.h"
#include "xmalloc.h"

#define PROMPT "sipterm> "
#define COMPOSE_IDLE_MS 15000   /* RFC 3994 3.2: idle after 15 s without typing */

static struct {
	bool on;
	int input;              /* the byte readline reads next */
	bool input_avail;
	char hist[1100];
	char *composing;        /* the peer told "active", until told "idle" */
	struct tmr t_compose;   /* "idle" after COMPOSE_IDLE_MS without a key */
} g;

/* ------------------------------------------------------------------ */
/* commands typed at the prompt */

struct tui_cmd {
	struct cmd_ctx ctx;
	char *line;
};

static void cmd_out(struct cmd_ctx *ctx, bool ok, const char *line)
{
	(void)ctx;
	tui_console(ok ? TUI_LINE_OUT : TUI_LINE_ERR, line);
	if (!ok)
		tui_notice(true, "%s", line);
}

static void free_cmd(void *arg)
{
	struct tui_cmd *c = arg;
	free(c->line);
	free(c);
}

static void cmd_done(struct cmd_ctx *ctx, int status)
{
	if (!status)
		tui_redraw(); /* e.g. "muted" in the calls pane */
	/* after this dispatch round: cmd_run may still be on the stack */
	loop_reap(free_cmd, ctx->arg);
}

static const struct cmd_src tui_src = { cmd_out, cmd_done };

static void run_line(const char *line)
{
	struct tui_cmd *c = xcalloc(1, sizeof(*c));
	char echo[4200];

	c->line = xstrdup(line);
	c->ctx.src = &tui_src;
	c->ctx.arg = c;
	c->ctx.where = "tui";
	snprintf(echo, sizeof(echo), "> %s", line);
	tui_console(TUI_LINE_CMD, echo);
	cmd_run(&c->ctx, c->line);
}

/* In a chat window, a line is a message to the peer; "/command" runs a
 * command.  Elsewhere every line is a command. */
static void on_line(char *line)
{
	const char *peer = tui_chat_peer();

	if (!line) {
		/* Ctrl-D on an empty line */
		app_quit(0);
		return;
	}
	if (*line) {
		add_history(line);
		if (peer && line[0] == '/') {
			run_line(line + 1);
		} else if (peer) {
			uint64_t id;
			int err = im_send(ua_account_default(app.ua), peer, line, &id);
			if (err)
				tui_notice(true, "message not sent: %s", strerror(err));
		} else {
			run_line(line);
		}
	}
	free(line);
}

/* ------------------------------------------------------------------ */
/* hotkeys */

static int key_answer(int count, int key)
{
	(void)count;
	(void)key;
	run_line("answer");
	return 0;
}

static int key_hangup(int count, int key)
{
	(void)count;
	(void)key;
	run_line("hangup");
	return 0;
}

static int key_hold(int count, int key)
{
	struct call *c = call_current();
	(void)count;
	(void)key;
	run_line(c && call_on_hold(c) ? "resume" : "hold");
	return 0;
}

static int key_mute(int count, int key)
{
	struct call *c = call_current();
	(void)count;
	(void)key;
	run_line(c && call_muted(c) ? "unmute" : "mute");
	return 0;
}

/* The next live call, in the order of their ids (as the calls pane shows
 * them), after the current one, wrapping around. */
static int key_next_call(int count, int key)
{
	struct call *cur = call_current(), *next = NULL, *lowest = NULL;
	unsigned at = cur ? call_id(cur) : 0;
	(void)count;
	(void)key;
	LIST_FOREACH(call_list(), e) {
		struct call *c = e->data;
		unsigned id = call_id(c);
		if (call_state(c) == CALL_ENDED)
			continue;
		if (!lowest || id < call_id(lowest))
			lowest = c;
		if (id > at && (!next || id < call_id(next)))
			next = c;
	}
	if (!next)
		next = lowest;
	if (next && next != cur) {
		call_switch(next);
		tui_notice(false, "call %u is the current call", call_id(next));
	}
	tui_redraw();
	return 0;
}

static int key_next_tab(int count, int key)
{
	(void)count;
	(void)key;
	tui_next_tab();
	return 0;
}

static int key_ladder(int count, int key)
{
	(void)count;
	(void)key;
	tui_toggle_ladder();
	return 0;
}

static int key_quit(int count, int key)
{
	(void)count;
	(void)key;
	run_line("quit");
	return 0;
}

static int key_pgup(int count, int key)
{
	int rows = LINES > 12 ? LINES - 12 : 1;
	(void)count;
	(void)key;
	tui_scroll(rows);
	return 0;
}

static int key_pgdn(int count, int key)
{
	int rows = LINES > 12 ? LINES - 12 : 1;
	(void)count;
	(void)key;
	tui_scroll(-rows);
	return 0;
}

/* Bind a key by its terminfo name (what this terminal sends) and by the
 * sequences common terminals send, so it works under tmux and screen. */
static void bind_key(const char *capname, const char *const *fallbacks, rl_command_func_t *fn)
{
	char *seq = tigetstr((char *)capname);
	if (seq && seq != (char *)-1 && *seq)
		rl_bind_keyseq(seq, fn);
	for (; fallbacks && *fallbacks; fallbacks++)
		rl_bind_keyseq(*fallbacks, fn);
}

static void bind_keys(void)
{
	static const char *const f2[] = { "\033OQ", "\033[12~", "\033[[B", NULL };
	static const char *const f3[] = { "\033OR", "\033[13~", "\033[[C", NULL };
	static const char *const f4[] = { "\033OS", "\033[14~", "\033[[D", NULL };
	static const char *const f5[] = { "\033[15~", "\033[[E", NULL };
	static const char *const f6[] = { "\033[17~", NULL };
	static const char *const f7[] = { "\033[18~", NULL };
	static const char *const f8[] = { "\033[19~", NULL };
	static const char *const f10[] = { "\033[21~", NULL };
	static const char *const pgup[] = { "\033[5~", NULL };
	static const char *const pgdn[] = { "\033[6~", NULL };

	bind_key("kf2", f2, key_answer);
	bind_key("kf3", f3, key_hangup);
	bind_key("kf4", f4, key_hold);
	bind_key("kf5", f5, key_mute);
	bind_key("kf6", f6, key_next_call);
	bind_key("kf7", f7, key_next_tab);
	bind_key("kf8", f8, key_ladder);
	bind_key("kf10", f10, key_quit);
	bind_key("kpp", pgup, key_pgup);
	bind_key("knp", pgdn, key_pgdn);
}

/* ------------------------------------------------------------------ */
/* completion */

static char **words;
static size_t nwords;

static void add_word(const char *w)
{
	for (size_t i = 0; i < nwords; i++)
		if (!strcmp(words[i], w))
			return;
	words = xrealloc(words, (nwords + 1) * sizeof(*words));
	words[nwords++] = xstrdup(w);
}

static void clear_words(void)
{
	for (size_t i = 0; i < nwords; i++)
		free(words[i]);
	free(words);
	words = NULL;
	nwords = 0;
}

static char *word_gen(const char *text, int state)
{
	static size_t i;
	size_t n = strlen(text);
	if (!state)
		i = 0;
	while (i < nwords) {
		const char *w = words[i++];
		if (!strncmp(w, text, n))
			return xstrdup(w);
	}
	return NULL;
}

static void add_peer(const struct im_peer_info *p, void *arg)
{
	(void)arg;
	if (nwords < 400)
		add_word(p->peer);
}

/* First word: commands (also after "help" and in a chat window after
 * "/").  After it: call ids, accounts, "echo", "all", buddy names and
 * URIs, the peers with a chat history, and the peers of recent calls. */
static char **complete(const char *text, int start, int end)
{
	size_t lead = strspn(rl_line_buffer, " /");
	(void)end;
	rl_attempted_completion_over = 1;
	clear_words();
	if (start == 0 || lead == (size_t)start ||
	    (!strncmp(rl_line_buffer + lead, "help ", 5) &&
	     strspn(rl_line_buffer + lead + 5, " ") + lead + 5 == (size_t)start)) {
		for (const struct cmd_entry *c = cmd_table; c->name; c++)
			add_word(c->name);
	} else {
		struct buddy_info b;
		char id[16];
		LIST_FOREACH(call_list(), e) {
			struct call *c = e->data;
			if (call_state(c) == CALL_ENDED)
				continue;
			snprintf(id, sizeof(id), "%u", call_id(c));
			add_word(id);
		}
		LIST_FOREACH(ua_accounts(app.ua), e) {
			struct account *a = e->data;
			add_word(a->name);
		}
		add_word("echo");
		add_word("all");
		for (size_t i = 0; presence_buddy_get(i, &b); i++) {
			add_word(b.name);
			add_word(b.uri);
		}
		im_peers(add_peer, NULL);
		for (size_t i = calllog_count(); i-- > 0 && nwords < 400;)
			add_word(calllog_get(i)->peer);
	}
	return rl_completion_matches(text, word_gen);
}

/* ------------------------------------------------------------------ */
/* readline <-> curses */

static int getc_hook(FILE *f)
{
	(void)f;
	g.input_avail = false;
	return g.input;
}

static int input_avail_hook(void)
{
	return g.input_avail;
}

/* Draw the prompt and the line, keeping the cursor in view. */
void tui_input_draw(void)
{
	int rows, cols, y, plen = (int)strlen(PROMPT), pos, start = 0, w;
	const char *line = rl_line_buffer ? rl_line_buffer : "";
	size_t point = (size_t)(rl_point > 0 ? rl_point : 0);
	char before[4096];
	wchar_t wb[4096];

	if (!g.on)
		return;
	getmaxyx(stdscr, rows, cols);
	y = rows - 1;
	move(y, 0);
	clrtoeol();
	attron(A_BOLD);
	addstr(PROMPT);
	attroff(A_BOLD);
	/* the cursor column: display width of the text before the point */
	snprintf(before, sizeof(before), "%.*s", (int)point, line);
	pos = mbstowcs(wb, before, 4096) == (size_t)-1 ? (int)point : wcswidth(wb, 4096);
	if (pos < 0)
		pos = (int)point;
	w = cols - plen - 1;
	if (w < 1)
		w = 1;
	if (pos > w)
		start = pos - w;
	/* draw the visible part (byte offsets approximate columns for ASCII;
	 * wide characters are cut by curses at the edge) */
	{
		const char *s = line;
		int skipped = 0;
		while (*s && skipped < start) {
			int n = mblen(s, MB_CUR_MAX);
			s += n > 0 ? n : 1;
			skipped++;
		}
		for (const char *p = s; *p && (int)(p - s) < 4 * w; p++) {
			unsigned char ch = (unsigned char)*p;
			if (ch < 0x20 || ch == 0x7f)
				addch('?');
			else
				addnstr(p, 1);
		}
	}
	move(y, plen + pos - start);
	wnoutrefresh(stdscr);
}

static void redisplay(void)
{
	tui_input_draw();
	doupdate();
}

/* Tell the peer we stopped typing. */
static void compose_idle(void *arg)
{
	(void)arg;
	tmr_cancel(&g.t_compose);
	if (!g.composing)
		return;
	im_compose(ua_account_default(app.ua), g.composing, false);
	free(g.composing);
	g.composing = NULL;
}

/* After each key: text on the line of a chat window is a message being
 * written (RFC 3994 "active", rate-limited in im); an emptied line, a
 * command, or another window ends it ("idle"), as do 15 s without a key. */
static void compose_update(void)
{
	const char *peer = tui_chat_peer();
	bool typing = peer && rl_line_buffer && rl_line_buffer[0] && rl_line_buffer[0] != '/';

	if (g.composing && (!typing || strcmp(g.composing, peer)))
		compose_idle(NULL);
	if (!typing)
		return;
	im_compose(ua_account_default(app.ua), peer, true);
	if (!g.composing)
		g.composing = xstrdup(peer);
	tmr_start(&g.t_compose, COMPOSE_IDLE_MS, compose_idle, NULL);
}

static void on_stdin(int fd, int events, void *arg)
{
	unsigned char buf[256];
	ssize_t n;
	(void)events;
	(void)arg;

	n = read(fd, buf, sizeof(buf));
	if (n <= 0) {
		if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			loop_fd_del(fd);
			app_quit(0);
		}
		return;
	}
	for (ssize_t i = 0; i < n && g.on; i++) {
		g.input = buf[i];
		g.input_avail = true;
		rl_callback_read_char();
	}
	if (g.on)
		compose_update();
}

void tui_input_resize(void)
{
	rl_resize_terminal();
}

int tui_input_start(void)
{
	char dir[1024];

	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = NULL;
	rl_deprep_term_function = NULL;
	rl_getc_function = getc_hook;
	rl_input_available_hook = input_avail_hook;
	rl_redisplay_function = redisplay;
	rl_attempted_completion_function = complete;
	/* URIs complete whole: no break at '@' or ':' */
	rl_completer_word_break_characters = (char *)" \t\n\"'";
	rl_readline_name = "sipterm";
	rl_outstream = fopen("/dev/null", "w");
	if (fs_data_dir(dir, sizeof(dir), NULL) == 0 && fs_mkdir_p(dir, 0700) == 0) {
		snprintf(g.hist, sizeof(g.hist), "%s/history", dir);
		read_history(g.hist);
	}
	stifle_history(1000);
	tmr_init(&g.t_compose);
	rl_callback_handler_install(PROMPT, on_line);
	bind_keys();
	g.on = true;
	loop_fd_add(STDIN_FILENO, LOOP_READ, on_stdin, NULL);
	return 0;
}

void tui_input_stop(void)
{
	if (!g.on)
		return;
	g.on = false;
	loop_fd_del(STDIN_FILENO);
	tmr_cancel(&g.t_compose);
	free(g.composing);
	g.composing = NULL;
	rl_callback_handler_remove();
	if (g.hist[0] && write_history(g.hist) == 0)
		chmod(g.hist, 0600);
	clear_words();
	if (rl_outstream && rl_outstream != stdout) {
		fclose(rl_outstream);
		rl_outstream = NULL;
	}
}
