/* ui/main.c: sipterm's entry point: options, then the chosen front end. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ui/parse.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: sipterm [options]\n"
		"       sipterm --parse FILE...\n"
		"\n"
		"  -h, --help           show this help and exit\n"
		"  -V, --version        show the version and exit\n"
		"      --parse FILE...  parse raw SIP messages and report each one\n"
		"\n"
		"See sipterm(1) for everything else.\n");
}

int main(int argc, char **argv)
{
	enum { OPT_PARSE = 256 };
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "parse", no_argument, NULL, OPT_PARSE },
		{ NULL, 0, NULL, 0 },
	};
	bool parse = false;
	int c;

	while ((c = getopt_long(argc, argv, "hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("sipterm %s\n", PACKAGE_VERSION);
			return 0;
		case OPT_PARSE:
			parse = true;
			break;
		default:
			fprintf(stderr, "sipterm: try 'sipterm --help'\n");
			return 2;
		}
	}
	if (parse) {
		if (optind >= argc) {
			fprintf(stderr, "sipterm: --parse needs at least one FILE\n");
			return 2;
		}
		return parse_files(argc - optind, argv + optind);
	}
	usage(stderr);
	return 2;
}
