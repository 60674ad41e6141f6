/*
 * cli.h - what every subcommand shares.
 *
 * To add a command: write cmd-NAME.c with an int cmd_NAME(int, char **),
 * declare it here, add one line to the table in tfrec.c, write
 * man/tfrec-NAME.1 and add both to Makefile.am.
 *
 * Exit codes: 0 success, 1 failure, 2 usage error.
 */
#ifndef TFR_CLI_H
#define TFR_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "lib/output/output.h"
#include "lib/pipeline/plan.h"
#include "lib/base/status.h"

#define EXIT_USAGE 2

int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_shard(int argc, char **argv);
int cmd_manifest(int argc, char **argv);
int cmd_duplicates(int argc, char **argv);

/* "tfrec: " + message + newline on stderr. */
/* Print a usage text to stdout, with @FORMATS@ and @STORE@ replaced by
 * the codec table's lists (tfr_image_format_list()). */
void cli_put_usage(const char *usage);

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library's message for err. */
void cli_error_lib(const struct tfr_error *err);
/* The flag that sets enum tfr_setting s ("--max-file"), or NULL. */
const char *cli_setting_flag(int s);
/* Usage error for command cmd; returns EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a decimal unsigned integer; 0 on success, -1 if malformed. */
int cli_parse_u64(const char *s, uint64_t *out);
/* Parse a size such as 4096, 64K, 256M, 2G (powers of 1024). */
int cli_parse_size(const char *s, uint64_t *out);
/* Parse "I/N" with 1 <= I <= N. */
int cli_parse_part(const char *s, unsigned *i, unsigned *n);

/*
 * The sharding options convert and shard share: opt is "shards",
 * "records-per-shard" or "shard-size".  Fills *plan and records the
 * choice for the manifest in *name (JSON key) and *value; counts choices
 * in *seen.  Returns 0, or prints a usage error and returns EXIT_USAGE.
 */
struct tfr_plan_opts;
int cli_parse_sharding(const char *cmd, const char *opt, const char *arg,
		       struct tfr_plan_opts *plan, const char **name,
		       uint64_t *value, int *seen);

/* The one-line summary of a convert or shard run, on stderr. */
void cli_report(uint64_t records, uint64_t of, uint32_t lo, uint32_t hi,
		uint32_t nshards, const char *extra, const char *manifest);

/*
 * The output options convert and shard share, parsed in one place so that
 * both commands spell, check and word them alike.  A command lists
 * CLI_OUTPUT_LONGOPTS in its option table, starts its own option values at
 * CLI_OPT_END, and offers every getopt result to cli_output_option() before
 * its own switch.  It copies the fields it uses into its library options
 * afterwards; a field whose option it does not list keeps its default.
 */
enum {
	CLI_OPT_SHARDS = 256, CLI_OPT_RPS, CLI_OPT_SHARD_SIZE, CLI_OPT_SHUFFLE,
	CLI_OPT_COMPRESSION, CLI_OPT_INDEX, CLI_OPT_PART, CLI_OPT_RESUME,
	CLI_OPT_NO_FSYNC, CLI_OPT_POST, CLI_OPT_POST_JOBS,
	CLI_OPT_END
};

/* --resume is left out: only convert offers it, listing it itself. */
#define CLI_OUTPUT_LONGOPTS \
	{ "output", required_argument, NULL, 'o' }, \
	{ "shards", required_argument, NULL, CLI_OPT_SHARDS }, \
	{ "records-per-shard", required_argument, NULL, CLI_OPT_RPS }, \
	{ "shard-size", required_argument, NULL, CLI_OPT_SHARD_SIZE }, \
	{ "shuffle", no_argument, NULL, CLI_OPT_SHUFFLE }, \
	{ "compression", required_argument, NULL, CLI_OPT_COMPRESSION }, \
	{ "index", no_argument, NULL, CLI_OPT_INDEX }, \
	{ "part", required_argument, NULL, CLI_OPT_PART }, \
	{ "no-fsync", no_argument, NULL, CLI_OPT_NO_FSYNC }, \
	{ "post", required_argument, NULL, CLI_OPT_POST }, \
	{ "post-jobs", required_argument, NULL, CLI_OPT_POST_JOBS }, \
	{ "jobs", required_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "help", no_argument, NULL, 'h' }

/* Help lines both commands print word for word. */
#define CLI_HELP_SHARDING \
"      --shards N          exactly N shards\n" \
"      --records-per-shard K\n" \
"      --shard-size SIZE   at most SIZE bytes each (default 256M)\n"
#define CLI_HELP_POST \
"      --post CMD          run CMD on each shard once it is complete ({} is its\n" \
"                          path); a failing CMD fails the run, naming the shard\n" \
"      --post-jobs N       at most N --post commands at once (default 2)\n"
#define CLI_HELP_TAIL \
"  -j, --jobs N            worker threads (default: all cores)\n" \
"  -q, --quiet             no progress bar and no summary\n" \
"  -h, --help              show this help\n" \
"\n" \
"Output bytes are identical for every -j and every --part split.\n" \
"Exit status: 0 on success, 1 on failure, 2 on usage errors.\n"

struct cli_output_opts {
	/* -o, --compression, --index, --part (default 1/1), --resume,
	 * --no-fsync, --post and --post-jobs (default 2), as the library
	 * takes them; prefix is NULL until -o is given */
	struct tfr_output_run_opts run;
	struct tfr_plan_opts plan;	/* default: at most 256M a shard */
	const char *sharding;		/* the manifest's key for plan */
	uint64_t shard_value;		/* and its value */
	int nsharding;			/* sharding options seen */
	int shuffle, quiet;
	int threads;			/* 0: all cores */
	int status;			/* see cli_output_getopt */
};

/* Set the defaults above. */
void cli_output_opts_init(struct cli_output_opts *out);

/*
 * getopt_long over argv that takes the shared output options itself, -h
 * (printing usage) and '?' (an unknown option or a missing argument,
 * which getopt has already named; a usage error naming cmd).  Returns the
 * next option that is the command's own (> 0), 0 at the end of the
 * options, or -1 when the command is to return out->status now (0 or 1
 * after -h, EXIT_USAGE after a usage error).
 */
struct option;
int cli_output_getopt(const char *cmd, const char *usage, int argc, char **argv,
		      const char *shortopts, const struct option *longopts,
		      struct cli_output_opts *out);

/*
 * After the loop, with its last cli_output_getopt result c: at the end of
 * the options require -o (else a usage error naming cmd) and hand the run
 * options, the plan, the shuffle flag and the thread count over to the
 * command's library options.  Returns -1 to go on, or the exit status the
 * command is to return now.
 */
int cli_output_finish(const char *cmd, int c, struct cli_output_opts *out,
		      struct tfr_output_run_opts *run, struct tfr_plan_opts *plan,
		      int *shuffle, int *threads);

struct tfr_output_result;
struct progress;
/* A progress bar for run on stderr (progress.h), unless quiet or stderr
 * is not a terminal; unit names what is counted. */
void cli_output_progress(struct progress *prog, const char *unit, int quiet,
			 struct tfr_output_run_opts *run);
/* After the library call that returned rc: end the bar, then print err's
 * message (rc != 0) or report the run (cli_report_result).  Returns the
 * exit status, 0 or 1; the caller still releases its result. */
int cli_output_report(int rc, struct progress *prog, const struct tfr_error *err,
		      const struct tfr_output_result *res, uint64_t of, int quiet);
/* A finished run on stderr: each skipped input (a damaged span, or an
 * item), then unless quiet the summary (of: records offered, or
 * UINT64_MAX). */
void cli_report_result(const struct tfr_output_result *res, uint64_t of, int quiet);

/* Flush and check stdout; on error prints a message.  Returns 0 or 1. */
int cli_close_stdout(void);

/* Check that an output prefix has a name (else prints a usage error and
 * returns EXIT_USAGE) and that its directory part exists and is a
 * writable directory (else prints the error and returns 1).  Returns 0
 * when all is well. */
int cli_check_output_dir(const char *prefix);
/* The folder of an output prefix ("." when it has none), malloc'd; NULL
 * when out of memory. */
char *cli_output_dir(const char *prefix);

/* Install SIGINT/SIGTERM/SIGHUP handlers that remove temporary files. */
void cli_install_signals(void);

#endif
