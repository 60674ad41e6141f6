/*
 * tfrec.c - the command table and main().  main() only dispatches; each
 * command lives in cmd-NAME.c (see cli.h for how to add one).
 */
#include "config.h"
#include "cli.h"

#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {


	{ "convert", cmd_convert, "turn images into float16 Example shards" },
	{ "shard", cmd_shard, "merge, split, shuffle, recompress or salvage TFRecords" },
	{ "inspect", cmd_inspect, "show what TFRecord files hold" },
	{ "verify", cmd_verify, "check framing, CRCs, Examples and index sidecars" },
	{ "index", cmd_index, "write DALI .idx sidecars" },
	{ "manifest", cmd_manifest, "merge the part manifests of a --part I/N run" },
	{ "duplicates", cmd_duplicates, "find duplicate images, class conflicts and split leakage" },
};

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: tfrec COMMAND [OPTIONS] [ARGS]\n\ncommands:\n", f);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'tfrec COMMAND --help' for a command's options, and see tfrec(1).\n"
	      "Exit status: 0 success, 1 failure, 2 usage error.\n", f);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return cli_close_stdout();
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("tfrec %s\n", PACKAGE_VERSION);
		return cli_close_stdout();
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	return cli_usage(NULL, "'%s' is not a tfrec command", argv[1]);
}
