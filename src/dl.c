/* dl.c: dlopen/dlsym behind typed tables (see dl.h). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dl.h"
#include "log.h"

#define LOG_MOD "dl"

static int fail(struct dl_lib *l, int err, const char *why)
{
	snprintf(l->err, sizeof(l->err), "cannot load %s (needed for %s): %s", l->soname,
		 l->use, why ? why : "unknown error");
	if (!l->warned) {
		l->warned = true;
		log_w("%s", l->err);
	}
	return err;
}

int dl_load(struct dl_lib *l)
{
	void *h, *sym;

	if (l->handle)
		return 0;
	dlerror();
	h = dlopen(l->soname, RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return fail(l, ENOENT, dlerror());
	for (size_t i = 0; i < l->nsyms; i++) {
		dlerror();
		sym = dlsym(h, l->syms[i].name);
		if (!sym) {
			char why[160];
			snprintf(why, sizeof(why), "it has no %s", l->syms[i].name);
			dlclose(h);
			return fail(l, ENOSYS, why);
		}
		/* POSIX: a function pointer survives a round trip through void * */
		memcpy((char *)l->fns + l->syms[i].off, &sym, sizeof(sym));
	}
	l->handle = h;
	l->err[0] = '\0';
	log_d("loaded %s for %s", l->soname, l->use);
	return 0;
}

const char *dl_error(const struct dl_lib *l)
{
	return l->err;
}

void *dl_handle(const struct dl_lib *l)
{
	return l->handle;
}
