/* ui/script.h: commands run one after another from -e options, a script
 * file or standard input; a command that waits holds the next ones back.
 * The first failing command stops the script with its exit status. */
#ifndef SIPTERM_UI_SCRIPT_H
#define SIPTERM_UI_SCRIPT_H

#include <stdbool.h>

struct script;

/* status: 0 when every command succeeded, else the failing one's. */
typedef void (script_done_h)(struct script *s, int status, bool eof, void *arg);

struct script *script_new(const char *name, script_done_h *h, void *arg);
void script_add(struct script *s, const char *line);
int script_read_file(struct script *s, const char *path);
int script_follow_fd(struct script *s, int fd);
void script_start(struct script *s);
void script_free(struct script *s);

#endif
