/* cli.c - shared command-line helpers; see cli.h. */
#include "config.h"
#include "cli.h"
#include "progress.h"
#include "lib/pipeline/plan.h"
#include "lib/base/fileio.h"
#include "lib/output/output.h"
#include "lib/base/tmpfile.h"
#include "lib/image/image.h"

#include <getopt.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lists that a usage text names as @FORMATS@ or @STORE@ come from the
 * codec table (image.h), so that a new codec needs no edit here. */
void cli_put_usage(const char *usage)
{
	static const struct { const char *mark; enum tfr_image_list what; } marks[] = {
		{ "@FORMATS@", TFR_LIST_LONG },
		{ "@STORE@", TFR_LIST_STORE },
	};
	const char *p = usage;

	while (*p) {
		const char *at = strchr(p, '@');
		size_t i;

		if (!at) {
			fputs(p, stdout);
			break;
		}
		fwrite(p, 1, (size_t)(at - p), stdout);
		for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
			if (!strncmp(at, marks[i].mark, strlen(marks[i].mark)))
				break;
		if (i == sizeof(marks) / sizeof(marks[0])) {
			fputc('@', stdout);
			p = at + 1;
			continue;
		}
		{
			char list[256];

			tfr_image_format_list(marks[i].what, list, sizeof(list));
			fputs(list, stdout);
		}
		p = at + strlen(marks[i].mark);
	}
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("tfrec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *cli_setting_flag(int setting)
{
	switch (setting) {
	case TFR_SETTING_MAX_FILE: return "--max-file";
	case TFR_SETTING_MAX_PIXELS: return "--max-pixels";
	case TFR_SETTING_IMAGE_KEY: return "--image-key";
	case TFR_SETTING_ANNOTATION_FORMAT: return "--annotation-format";
	case TFR_SETTING_PART: return "--part";
	case TFR_SETTING_NORMALIZE: return "--normalize";
	case TFR_SETTING_DTYPE: return "--dtype";
	}
	return NULL;
}

/* "tfrec: 'subject': reason (see --flag)" from the error's fields; the
 * library never spells a flag, so the hint is made here. */
void cli_error_lib(const struct tfr_error *err)
{
	const char *why = err->msg[0] ? err->msg : tfr_status_str(err->status);
	const char *flag = cli_setting_flag(err->setting);
	char hint[48] = "";

	if (flag)
		snprintf(hint, sizeof(hint), " (see %s)", flag);
	if (err->subject[0])
		cli_error("'%s': %s%s", err->subject, why, hint);
	else
		cli_error("%s%s", why, hint);
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("tfrec: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tfrec %s%s--help' for more information.\n",
		cmd ? cmd : "", cmd ? " " : "");
	return EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	default: return -1;
	}
	if (*end) {
		end++;
		if (*end == 'i')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
		if (*end)
			return -1;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_part(const char *s, unsigned *i, unsigned *n)
{
	const char *slash = strchr(s, '/');
	char left[32];
	uint64_t a, b;

	if (!slash || (size_t)(slash - s) >= sizeof(left))
		return -1;
	memcpy(left, s, (size_t)(slash - s));
	left[slash - s] = '\0';
	if (cli_parse_u64(left, &a) || cli_parse_u64(slash + 1, &b))
		return -1;
	if (b < 1 || b > 1000000 || a < 1 || a > b)
		return -1;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
}

int cli_parse_sharding(const char *cmd, const char *opt, const char *arg,
		       struct tfr_plan_opts *plan, const char **name,
		       uint64_t *value, int *seen)
{
	int bytes = !strcmp(opt, "shard-size");
	uint64_t v;

	if (bytes ? cli_parse_size(arg, &v) : cli_parse_u64(arg, &v))
		return cli_usage(cmd, "invalid --%s '%s'", opt, arg);
	if (v < 1)
		return cli_usage(cmd, "--%s takes a positive value", opt);
	if (!strcmp(opt, "shards") && v > TFR_MAX_SHARDS)
		return cli_usage(cmd, "--shards %s: at most %u (five-digit names)", arg,
				 TFR_MAX_SHARDS);
	if (++*seen > 1)
		return cli_usage(cmd, "give only one of --shards, --records-per-shard and --shard-size");
	plan->mode = bytes ? TFR_PLAN_BYTES : !strcmp(opt, "shards") ? TFR_PLAN_SHARDS
								       : TFR_PLAN_RECORDS;
	plan->value = v;
	*name = bytes ? "shard_size" : !strcmp(opt, "shards") ? "shards" : "records_per_shard";
	*value = v;
	return 0;
}

void cli_report(uint64_t records, uint64_t of, uint32_t lo, uint32_t hi,
		uint32_t nshards, const char *extra, const char *manifest)
{
	fprintf(stderr, "tfrec: wrote %llu", (unsigned long long)records);
	if (of != UINT64_MAX)
		fprintf(stderr, " of %llu", (unsigned long long)of);
	fprintf(stderr, " records");
	if (hi - lo == nshards)
		fprintf(stderr, " in %u shard%s", nshards, nshards == 1 ? "" : "s");
	else
		fprintf(stderr, " in shards %u..%u of %u", lo, hi ? hi - 1 : 0, nshards);
	fprintf(stderr, "%s; manifest '%s'\n", extra ? extra : "", manifest);
}

void cli_report_result(const struct tfr_output_result *res, uint64_t of, int quiet)
{
	char extra[128] = "";
	size_t k, spans = 0;

	for (k = 0; k < res->nskipped; k++) {
		const struct tfr_problem *p = &res->skipped[k];

		if (p->offset != TFR_NO_POS) {
			cli_error("skipped %" PRIu64 " bytes at offset %" PRIu64 " of '%s': %s",
				  p->length, p->offset, p->file, p->reason);
			spans++;
		} else {
			cli_error("skipped '%s': %s", p->file, p->reason);
		}
	}
	if (quiet)
		return;
	if (res->resumed)
		snprintf(extra, sizeof(extra), " (%u kept by --resume)", res->resumed);
	if (res->nskipped)
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), ", skipped %zu%s",
			 res->nskipped, spans == res->nskipped ? " damaged spans" : "");
	cli_report(res->records, of, res->shard_lo, res->shard_hi, res->nshards, extra,
		   res->manifest);
}

int cli_close_stdout(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !bad) {
		bad = 1;
		e = errno;
	}
	if (bad) {
		fprintf(stderr, "tfrec: cannot write standard output: %s\n",
			strerror(e ? e : EIO));
		return 1;
	}
	return 0;
}

char *cli_output_dir(const char *prefix)
{
	const char *slash = strrchr(prefix, '/');

	if (!slash)
		return strdup(".");
	if (slash == prefix)
		return strdup("/");
	return strndup(prefix, (size_t)(slash - prefix));
}

int cli_check_output_dir(const char *prefix)
{
	const char *slash = strrchr(prefix, '/');
	char *dir;
	struct stat st;
	int rc = 1;

	/* A prefix without a name would make hidden files ('-o ""' wrote
	 * "-00000-of-00001.tfrecord" and ".json" here): a usage error. */
	if (!*prefix)
		return cli_usage(NULL, "the output prefix is empty: give one, e.g. '-o data/train'");
	if (slash && !slash[1])
		return cli_usage(NULL, "output prefix '%s' ends in '/': give a name, e.g. '%sdata'",
				 prefix, prefix);
	/* Allocated, not a fixed buffer: a directory of more than 4096
	 * bytes was cut and then reported as missing.  The system says
	 * what it thinks of such a path (ENAMETOOLONG). */
	if (!(dir = cli_output_dir(prefix))) {
		cli_error("out of memory");
		return 1;
	}
	if (stat(dir, &st)) {
		struct tfr_error err;

		/* A missing folder is made, with its parents (mkdir -p), so
		 * that every example works in a fresh directory (issue 25). */
		if (errno == ENOENT) {
			tfr_error_clear(&err);
			if (tfr_mkdirs(dir, &err))
				cli_error_lib(&err);
			else
				rc = 0;
		} else
			cli_error("cannot use output directory '%s': %s", dir, strerror(errno));
	} else if (!S_ISDIR(st.st_mode)) {
		cli_error("output directory '%s' is not a directory", dir);
	} else if (access(dir, W_OK | X_OK)) {
		cli_error("cannot write in output directory '%s': %s", dir, strerror(errno));
	} else {
		rc = 0;
	}
	free(dir);
	return rc;
}

static void on_signal(int sig)
{
	tfr_tmpfile_unlink_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

void cli_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void cli_output_opts_init(struct cli_output_opts *out)
{
	memset(out, 0, sizeof(*out));
	out->plan.mode = TFR_PLAN_BYTES;
	out->plan.value = 256u << 20;
	out->sharding = "shard_size";
	out->shard_value = 256u << 20;
	out->run.part_i = out->run.part_n = 1;
	out->run.post_jobs = 2;
}

/* What output_option returns besides an exit status. */
#define OPT_OTHER (-1)	/* not a shared option: the command's own */
#define OPT_NEXT (-2)	/* taken: go on with the next option */

static int output_option(const char *cmd, const char *usage, int c, const char *arg,
			 struct cli_output_opts *out)
{
	uint64_t v;
	int k;

	switch (c) {
	case 'o': out->run.prefix = arg; return OPT_NEXT;
	case CLI_OPT_SHARDS:
	case CLI_OPT_RPS:
	case CLI_OPT_SHARD_SIZE:
		if (cli_parse_sharding(cmd, c == CLI_OPT_SHARDS ? "shards" :
				       c == CLI_OPT_RPS ? "records-per-shard" : "shard-size",
				       arg, &out->plan, &out->sharding, &out->shard_value,
				       &out->nsharding))
			return EXIT_USAGE;
		return OPT_NEXT;
	case CLI_OPT_SHUFFLE: out->shuffle = 1; return OPT_NEXT;
	case CLI_OPT_COMPRESSION:
		if ((k = tfr_compression_parse(arg)) < 0)
			return cli_usage(cmd, "invalid --compression '%s' (none, gzip or zlib)", arg);
		out->run.compression = (enum tfr_compression)k;
		return OPT_NEXT;
	case CLI_OPT_INDEX: out->run.index = 1; return OPT_NEXT;
	case CLI_OPT_PART:
		if (cli_parse_part(arg, &out->run.part_i, &out->run.part_n))
			return cli_usage(cmd, "invalid --part '%s' (want I/N, 1 <= I <= N)", arg);
		return OPT_NEXT;
	case CLI_OPT_RESUME: out->run.resume = 1; return OPT_NEXT;
	case CLI_OPT_NO_FSYNC: out->run.no_fsync = 1; return OPT_NEXT;
	case CLI_OPT_POST:
		if (!*arg)
			return cli_usage(cmd, "--post needs a command");
		out->run.post = arg;
		return OPT_NEXT;
	case CLI_OPT_POST_JOBS:
		if (cli_parse_u64(arg, &v) || v < 1 || v > 1024)
			return cli_usage(cmd, "invalid --post-jobs '%s'", arg);
		out->run.post_jobs = (unsigned)v;
		return OPT_NEXT;
	case 'j':
		if (cli_parse_u64(arg, &v) || v < 1 || v > 1024)
			return cli_usage(cmd, "invalid --jobs '%s'", arg);
		out->threads = (int)v;
		return OPT_NEXT;
	case 'q': out->quiet = 1; return OPT_NEXT;
	case 'h':
		cli_put_usage(usage);
		return cli_close_stdout();
	case '?': return cli_usage(cmd, "unknown option");
	default: return OPT_OTHER;
	}
}

int cli_output_getopt(const char *cmd, const char *usage, int argc, char **argv,
		      const char *shortopts, const struct option *longopts,
		      struct cli_output_opts *out)
{
	int c, r;

	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		r = output_option(cmd, usage, c, optarg, out);
		if (r == OPT_OTHER)
			return c;
		if (r != OPT_NEXT) {
			out->status = r;
			return -1;
		}
	}
	return 0;
}

int cli_output_finish(const char *cmd, int c, struct cli_output_opts *out,
		      struct tfr_output_run_opts *run, struct tfr_plan_opts *plan,
		      int *shuffle, int *threads)
{
	if (c < 0)
		return out->status;
	if (!out->run.prefix)
		return cli_usage(cmd, "an output prefix (-o PREFIX) is required");
	*run = out->run;
	*plan = out->plan;
	*shuffle = out->shuffle;
	*threads = out->threads;
	return -1;
}

void cli_output_progress(struct progress *prog, const char *unit, int quiet,
			 struct tfr_output_run_opts *run)
{
	progress_init(prog, unit, quiet);
	if (prog->enabled) {
		run->progress = progress_update;
		run->progress_ctx = prog;
	}
}

int cli_output_report(int rc, struct progress *prog, const struct tfr_error *err,
		      const struct tfr_output_result *res, uint64_t of, int quiet)
{
	progress_end(prog);
	if (rc) {
		cli_error_lib(err);
		return 1;
	}
	cli_report_result(res, of, quiet);
	return 0;
}
