/* dl.h: libraries loaded at first use, through typed function tables.
 *
 * PortAudio (with ALSA and JACK behind it), libxml2 and libcrypto are not
 * linked into sipterm: an idle sipterm that never opens a sound card, reads
 * a presence document or answers a digest challenge would otherwise pay
 * for every page their loading touches (about 5 MB of its 8 MB resident,
 * measured by `make bench`).  Each user keeps one table of function
 * pointers whose types come from the library's own header, so the compiler
 * checks every call as if the library were linked:
 *
 *   static struct pa_fns {
 *       __typeof__(Pa_Initialize) *Initialize;
 *       ...
 *   } pa;
 *   static const struct dl_sym pa_syms[] = {
 *       DL_SYM(struct pa_fns, Initialize, "Pa_Initialize"), ...
 *   };
 *   static struct dl_lib pa_lib = DL_LIB(PORTAUDIO_SONAME, "sound cards", pa_syms, &pa);
 *   ...
 *   if (dl_load(&pa_lib) == 0)
 *       e = pa.Initialize();
 *
 * (the users build both lists from one X-macro list of names).
 *
 * dl_load opens the soname configure recorded (RTLD_LAZY | RTLD_LOCAL: the
 * library's own symbols stay out of the global scope) and fills the table;
 * a library that cannot be opened, or lacks a symbol, is closed again
 * (the table must not be used: dl_load did not return 0), says why in one
 * log line (once per library) and in dl_error(), and is tried again on the
 * next call.  A loaded library is never unloaded.  Engine thread only (a
 * table filled before a thread is created may be read by that thread). */
#ifndef SIPTERM_DL_H
#define SIPTERM_DL_H

#include <stdbool.h>
#include <stddef.h>

struct dl_sym {
	const char *name;    /* as the library exports it: "Pa_Initialize" */
	size_t off;          /* where its pointer goes in the table */
};

struct dl_lib {
	const char *soname;  /* "libportaudio.so.2": configure's *_SONAME */
	const char *use;     /* what needs it, for the log: "sound cards" */
	const struct dl_sym *syms;
	size_t nsyms;
	void *fns;           /* the typed table the symbols fill */
	void *handle;        /* non-NULL once every symbol was found */
	bool warned;
	char err[256];       /* why the last dl_load failed */
};

#define DL_SYM(type, member, name) { (name), offsetof(type, member) }
#define DL_LIB(soname, use, syms, fns) \
	{ (soname), (use), (syms), sizeof(syms) / sizeof((syms)[0]), (fns), NULL, false, "" }

/* 0 when the table is filled (at once after the first success); ENOENT
 * when the library cannot be opened, ENOSYS when it lacks a symbol. */
int dl_load(struct dl_lib *l);
/* Why the last dl_load failed: "cannot load libxml2.so.2 (needed for
 * presence documents): ..."; "" after a success. */
const char *dl_error(const struct dl_lib *l);
/* The library's handle for symbols outside the table (NULL before
 * dl_load succeeded): dlsym on it also searches its dependencies. */
void *dl_handle(const struct dl_lib *l);

#endif
