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

#include "lib/status.h"

#define EXIT_USAGE 2

int cmd_inspect(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_index(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_shard(int argc, char **argv);
int cmd_manifest(int argc, char **argv);

/* "tfrec: " + message + newline on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the library's message for err. */
void cli_error_lib(const struct tfr_error *err);
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

struct tfr_output_result;
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

/* Install SIGINT/SIGTERM/SIGHUP handlers that remove temporary files. */
void cli_install_signals(void);

#endif
