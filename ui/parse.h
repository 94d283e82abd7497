/* ui/parse.h: the --parse diagnostic. */
#ifndef SIPTERM_UI_PARSE_H
#define SIPTERM_UI_PARSE_H

int parse_files(int argc, char **argv);

#endif
