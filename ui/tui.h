/* ui/tui.h: the full-screen terminal user interface (ncursesw) with a GNU
 * readline command line, fed from the select() loop. */
#ifndef SIPTERM_UI_TUI_H
#define SIPTERM_UI_TUI_H

#include <stdbool.h>
#include <stddef.h>

int tui_start(char *err, size_t errsz);
void tui_stop(void);
bool tui_active(void);
bool tui_utf8(void);
void tui_console(int kind, const char *text);

/* tui-input.c */
int tui_input_start(void);
void tui_input_stop(void);
void tui_input_draw(void);
void tui_input_resize(void);

/* the panes (tui.c) */
void tui_redraw(void);
void tui_next_tab(void);
void tui_scroll(int n);
void tui_toggle_ladder(void);
const char *tui_chat_peer(void);
void tui_chat_show(const char *peer);
void tui_notice(bool error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* SIP trace store and ladder (tui-trace.c) */
struct trace_msg;
void tui_trace_add(bool out, const char *proto, const char *peer, const char *msg, size_t len);
void tui_trace_free(void);
int tui_trace_draw(void *win, int rows, int cols, int scroll, bool ladder, const char *callid,
		   bool color);

enum {
	TUI_LINE_LOG_ERROR = 1,
	TUI_LINE_LOG_WARN,
	TUI_LINE_LOG_INFO,
	TUI_LINE_LOG_DEBUG,
	TUI_LINE_CMD,
	TUI_LINE_OUT,
	TUI_LINE_ERR,
	TUI_LINE_EVENT,
};

#endif
