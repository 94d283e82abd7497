/* ui/ctrl.h: the control socket (--ctrl PATH). */
#ifndef SIPTERM_UI_CTRL_H
#define SIPTERM_UI_CTRL_H

#include <stdbool.h>
#include <stddef.h>

int ctrl_open(const char *path, bool json, char *err, size_t errsz);
void ctrl_close(void);

#endif
