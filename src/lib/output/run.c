/*
 * output/run.c - a run's hold on its prefix: the lock, the inputs check,
 * the sweep of what an earlier run left, shards opened and committed,
 * --resume decisions, --post, and the files written at the end; see
 * output.h.  The journal is state.c, the manifest's text manifest.c, the
 * .idx sidecars sidecar.c, problem lists problems.c.
 */
#include "config.h"
#include "output/run-priv.h"
#include "output/sidecar.h"
#include "base/fileio.h"
#include "output/post.h"
#include "base/parallel.h"
#include "base/tmpfile.h"

#include <dirent.h>
#include <math.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <nettle/sha2.h>

void tfr_output_result_release(struct tfr_output_result *res)
{
	if (!res)
		return;
	tfr_problems_free(res->skipped, res->nskipped);
	free(res->manifest);
	memset(res, 0, sizeof(*res));
}

/* --- the run: lock, state, clean-up ----------------------------------- */

/* PREFIX + suffix, or PREFIX.part-I-of-N + suffix for a part. */
static char *side_name(const struct tfr_output_run *run, const char *suffix)
{
	size_t n = strlen(run->prefix) + strlen(suffix) + 40;
	char *p = malloc(n);

	if (!p)
		return NULL;
	if (run->o.part_n > 1)
		snprintf(p, n, "%s.part-%05u-of-%05u%s", run->prefix, run->o.part_i,
			 run->o.part_n, suffix);
	else
		snprintf(p, n, "%s%s", run->prefix, suffix);
	return p;
}

static int digits5(const char *p)
{
	int i;

	for (i = 0; i < 5; i++)
		if (p[i] < '0' || p[i] > '9')
			return 0;
	return 1;
}

/*
 * Is name (a directory entry) an output of the prefix whose base name is
 * base?  2 for a shard or its index (*s, *n, *comp filled), 1 for a side
 * file (manifest, part manifest, labels, state, lock), 0 for anything
 * else.  Exact patterns, so that prefix "x" never claims "x2-..." or
 * "x.v2.json".
 */
static int family(const char *base, const char *name, uint32_t *s, uint32_t *n,
		  enum tfr_compression *comp)
{
	static const char *const side[] = { ".json", ".labels.txt", "-labels.txt",
					    ".state.json", ".lock", NULL };
	static const char *const partside[] = { ".json", ".state.json", ".lock", NULL };
	size_t bl = strlen(base);
	const char *p;
	int i;

	if (strncmp(name, base, bl) != 0)
		return 0;
	p = name + bl;
	for (i = 0; side[i]; i++)
		if (!strcmp(p, side[i]))
			return 1;
	if ((!strncmp(p, ".part-", 6) || !strncmp(p, "-part-", 6)) && digits5(p + 6) &&
	    !strncmp(p + 11, "-of-", 4) && digits5(p + 15)) {
		for (i = 0; partside[i]; i++)
			if (!strcmp(p + 20, partside[i]))
				return 1;
		return 0;
	}
	if (p[0] != '-' || !digits5(p + 1) || strncmp(p + 6, "-of-", 4) ||
	    !digits5(p + 10) || strncmp(p + 15, ".tfrecord", 9))
		return 0;
	p += 24;
	*comp = TFR_COMP_NONE;
	if (!strncmp(p, ".gz", 3)) {
		*comp = TFR_COMP_GZIP;
		p += 3;
	} else if (!strncmp(p, ".zlib", 5)) {
		*comp = TFR_COMP_ZLIB;
		p += 5;
	}
	if (*p && strcmp(p, ".idx"))
		return 0;
	*s = (uint32_t)strtoul(name + bl + 1, NULL, 10);
	*n = (uint32_t)strtoul(name + bl + 11, NULL, 10);
	return 2;
}

/* flock(2) on the lock file.  The file is unlinked by the holder when it
 * finishes, so after locking check that the name still leads to the
 * inode locked; otherwise another run has replaced it: try again. */
static int take_lock(struct tfr_output_run *run, struct tfr_error *err)
{
	char host[256] = "";
	char line[320];
	int tries;

	gethostname(host, sizeof(host) - 1);
	for (tries = 0; tries < 20; tries++) {
		struct stat a, b;
		int fd = open(run->lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

		if (fd < 0)
			return tfr_error_sys(err, errno, "cannot create lock '%s'", run->lock_path);
		if (flock(fd, LOCK_EX | LOCK_NB)) {
			int e = errno;
			ssize_t k = e == EWOULDBLOCK ? read(fd, line, sizeof(line) - 1) : -1;

			close(fd);
			if (e != EWOULDBLOCK)
				return tfr_error_sys(err, e, "cannot lock '%s'", run->lock_path);
			line[k > 0 ? k : 0] = '\0';
			line[strcspn(line, "\n")] = '\0';
			return tfr_error_set(err, TFR_ERR_IO,
					     "'%s' is locked by another run (%s); wait for it to finish",
					     run->lock_path, line[0] ? line : "process unknown");
		}
		if (fstat(fd, &a) == 0 && stat(run->lock_path, &b) == 0 &&
		    a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
			int n = snprintf(line, sizeof(line), "process %ld on %s\n",
					 (long)getpid(), host);

			if (ftruncate(fd, 0) || tfr_write_all(fd, line, (size_t)n)) {
				int e = errno;

				close(fd);
				return tfr_error_sys(err, e, "cannot write lock '%s'", run->lock_path);
			}
			run->lock_fd = fd;
			return TFR_OK;
		}
		close(fd);
	}
	return tfr_error_set(err, TFR_ERR_IO, "cannot lock '%s': it keeps being replaced",
			     run->lock_path);
}

struct devino {
	dev_t dev;
	ino_t ino;
	size_t input;
};

static int cmp_devino(const void *a, const void *b)
{
	const struct devino *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return 0;
}

/* Refuse inputs that are output files of this prefix: the run would
 * remove or replace them before (or while) reading them. */
static int check_inputs(struct tfr_output_run *run, struct tfr_error *err)
{
	struct devino *in;
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;
	int rc = TFR_OK;

	if (!run->o.ninputs)
		return TFR_OK;
	in = calloc(run->o.ninputs, sizeof(*in));
	if (!in)
		return tfr_orun_nomem(err);
	for (i = 0; i < run->o.ninputs; i++) {
		struct stat st;

		if (stat(run->o.inputs[i], &st) == 0) {
			in[n].dev = st.st_dev;
			in[n].ino = st.st_ino;
			in[n].input = i;
			n++;
		}
	}
	qsort(in, n, sizeof(*in), cmp_devino);
	d = opendir(run->dir);
	while (d && !rc && (de = readdir(d))) {
		struct devino key, *hit;
		struct stat st;
		enum tfr_compression c;
		uint32_t s, m;
		char *path;

		if (!family(run->base, de->d_name, &s, &m, &c))
			continue;
		path = tfr_path_join(run->dir, de->d_name);
		if (!path) {
			rc = tfr_orun_nomem(err);
			break;
		}
		if (stat(path, &st) == 0) {
			key.dev = st.st_dev;
			key.ino = st.st_ino;
			hit = bsearch(&key, in, n, sizeof(*in), cmp_devino);
			if (hit)
				rc = tfr_error_set(err, TFR_ERR_INVALID,
						   "input '%s' is '%s', an output file of prefix '%s'; "
						   "write to another prefix and rename afterwards",
						   run->o.inputs[hit->input], path, run->prefix);
		}
		free(path);
	}
	if (d)
		closedir(d);
	free(in);
	return rc;
}

static int remove_file(const char *path, struct tfr_error *err)
{
	if (unlink(path) && errno != ENOENT)
		return tfr_error_sys(err, errno, "cannot remove '%s'", path);
	return TFR_OK;
}


/* A --post command ended (post.h; called with the post object's lock
 * held, never with run->mu held by this thread).  Success is appended
 * to the state at once, so that a killed run keeps what was done. */
static void post_done(void *ctx, uint32_t s, const char *path, int status)
{
	struct tfr_output_run *run = ctx;
	char line[160];
	int n;

	(void)path;
	if (status != 0)
		return;
	n = snprintf(line, sizeof(line), "{\"shard\": %u, \"key\": \"%s\", \"post\": \"ok\"}\n",
		     s, run->key);
	pthread_mutex_lock(&run->mu);
	run->post_ok[s - run->s0] = 1;
	/* A failed append only costs a re-run of the command by --resume. */
	if (tfr_write_all(run->state_fd, line, (size_t)n) == 0 && !run->o.no_fsync)
		(void)fdatasync(run->state_fd);
	pthread_mutex_unlock(&run->mu);
}

static int post_start(struct tfr_output_run *run, uint32_t s, struct tfr_error *err)
{
	char *path;
	int rc;

	if (!run->post)
		return TFR_OK;
	path = tfr_orun_shard_name(run, s);
	if (!path)
		return tfr_orun_nomem(err);
	rc = tfr_post_start(run->post, s, path, err);
	free(path);
	return rc;
}

int tfr_output_run_new(struct tfr_output_run **runp,
		       const struct tfr_output_run_opts *o,
		       struct tfr_error *err)
{
	struct tfr_output_run *run = calloc(1, sizeof(*run));
	const char *slash;
	int rc;

	*runp = NULL;
	if (!run)
		return tfr_orun_nomem(err);
	run->o = *o;
	run->lock_fd = run->state_fd = -1;
	pthread_mutex_init(&run->mu, NULL);
	sha256_init(&run->key_ctx);
	run->prefix = strdup(o->prefix);
	slash = strrchr(o->prefix, '/');
	run->dir = slash ? (slash == o->prefix ? strdup("/")
					       : strndup(o->prefix, (size_t)(slash - o->prefix)))
			 : strdup(".");
	run->base = strdup(slash ? slash + 1 : o->prefix);
	if (!run->prefix || !run->dir || !run->base) {
		tfr_output_run_free(run, 0);
		return tfr_orun_nomem(err);
	}
	run->lock_path = side_name(run, ".lock");
	run->state_path = side_name(run, ".state.json");
	run->manifest_path = tfr_output_manifest_name(o->prefix, o->part_i, o->part_n);
	if (!run->lock_path || !run->state_path || !run->manifest_path) {
		tfr_output_run_free(run, 0);
		return tfr_orun_nomem(err);
	}
	rc = take_lock(run, err);
	if (!rc)
		rc = check_inputs(run, err);
	if (!rc && o->post)
		rc = tfr_post_new(&run->post, o->post, o->post_jobs ? o->post_jobs : 1,
				  post_done, run, err);
	/* From here until the new manifest is written, none describes
	 * shards that may be replaced. */
	if (!rc)
		rc = remove_file(run->manifest_path, err);
	if (rc) {
		tfr_output_run_free(run, 0);
		return rc;
	}
	*runp = run;
	return TFR_OK;
}

void tfr_output_run_key_add(struct tfr_output_run *run, const void *p, size_t n)
{
	sha256_update(&run->key_ctx, n, p);
}

void tfr_output_run_key_file(struct tfr_output_run *run, const char *path)
{
	struct stat st;
	uint64_t v[5] = { 0, 0, 0, 0, 0 };

	tfr_output_run_key_add(run, path, strlen(path) + 1);
	if (stat(path, &st) == 0) {
		v[0] = (uint64_t)st.st_dev;
		v[1] = (uint64_t)st.st_ino;
		v[2] = (uint64_t)st.st_size;
		v[3] = (uint64_t)st.st_mtim.tv_sec;
		v[4] = (uint64_t)st.st_mtim.tv_nsec;
	}
	tfr_output_run_key_add(run, v, sizeof(v));
}

int tfr_output_run_key_options(struct tfr_output_run *run,
			       const struct tfr_option *opt, size_t n,
			       struct tfr_error *err)
{
	struct tfr_buf b;
	int rc;

	tfr_buf_init(&b, 0);
	rc = tfr_output_options_json(&b, opt, n);
	if (!rc)
		tfr_output_run_key_add(run, b.data, b.len);
	tfr_buf_release(&b);
	return rc ? tfr_orun_nomem(err) : TFR_OK;
}

static int pid_dead(long pid)
{
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int mine(const struct tfr_output_run *run, uint32_t s, uint32_t n)
{
	return run->o.part_n == 1 || (n == run->nshards && s >= run->s0 && s < run->s1);
}

/*
 * One pass over the directory: temporary files of dead runs of this
 * prefix go, and so do (without --resume) the shards this run is about
 * to write, or (with it) shards of another layout.  An unpartitioned run
 * owns every shard of the prefix, and the manifests and states of parts;
 * a part only its own shards.
 */
static int sweep(struct tfr_output_run *run, struct tfr_error *err)
{
	struct dirent *de;
	DIR *d = opendir(run->dir);
	int rc = TFR_OK;

	if (!d)
		return tfr_error_sys(err, errno, "cannot read directory '%s'", run->dir);
	while (!rc && (de = readdir(d))) {
		enum tfr_compression c;
		uint32_t s, n;
		char *final = NULL, *path;
		long pid;
		int kind, drop = 0;

		if (tfr_tmpfile_parse(de->d_name, &final, &pid)) {
			kind = family(run->base, final, &s, &n, &c);
			drop = kind && (pid_dead(pid) || (kind == 2 && mine(run, s, n)));
			free(final);
		} else {
			size_t bl = strlen(run->base), l = strlen(de->d_name);

			kind = family(run->base, de->d_name, &s, &n, &c);
			if (kind == 2 && mine(run, s, n))
				drop = !run->o.resume || n != run->nshards || c != run->comp;
			/* A whole run replaces a split one: the parts' manifests
			 * and states describe shards that go. */
			if (kind == 1 && run->o.part_n == 1 && l > bl + 6 &&
			    (!strncmp(de->d_name + bl, ".part-", 6) ||
			     !strncmp(de->d_name + bl, "-part-", 6)) &&
			    !strcmp(de->d_name + l - 5, ".json"))
				drop = 1;
		}
		if (!drop)
			continue;
		path = tfr_path_join(run->dir, de->d_name);
		rc = path ? remove_file(path, err) : tfr_orun_nomem(err);
		free(path);
	}
	closedir(d);
	return rc;
}

int tfr_output_run_plan(struct tfr_output_run *run, const struct tfr_plan *plan,
			uint32_t *s0p, uint32_t *s1p, struct tfr_error *err)
{
	struct tfr_buf keep;
	unsigned char key[32];
	uint32_t v[2], s0, s1, s;
	int rc;

	tfr_plan_part(plan, run->o.part_i, run->o.part_n, &s0, &s1);
	*s0p = s0;
	*s1p = s1;
	run->nshards = plan->nshards;
	run->s0 = s0;
	run->s1 = s1;
	run->comp = run->o.compression;
	v[0] = run->nshards;
	v[1] = (uint32_t)run->comp;
	run->ticker.fn = run->o.progress;
	run->ticker.ctx = run->o.progress_ctx;
	run->ticker.total = plan->first[s1] - plan->first[s0];
	run->first_lo = plan->first[s0];
	run->first_hi = plan->first[s1];
	run->sh = calloc((size_t)(s1 - s0) + 1, sizeof(*run->sh));
	if (!run->sh)
		return tfr_orun_nomem(err);
	for (s = s0; s < s1; s++)
		run->sh[s - s0].expect = plan->first[s + 1] - plan->first[s];
	tfr_output_run_key_add(run, run->o.command, strlen(run->o.command) + 1);
	tfr_output_run_key_add(run, v, sizeof(v));
	sha256_digest(&run->key_ctx, 32, key);
	tfr_hex32(key, run->key);
	run->prev = calloc((size_t)(s1 - s0) + 1, sizeof(*run->prev));
	run->committed = calloc((size_t)(s1 - s0) + 1, 1);
	run->lines = calloc((size_t)(s1 - s0) + 1, sizeof(char *));
	run->post_ok = calloc((size_t)(s1 - s0) + 1, 1);
	if (!run->prev || !run->committed || !run->lines || !run->post_ok)
		return tfr_orun_nomem(err);
	rc = sweep(run, err);
	if (rc)
		return rc;
	/* The state keeps only lines that can still be used. */
	tfr_buf_init(&keep, 0);
	if (run->o.resume)
		rc = tfr_orun_state_read(run, &keep, err);
	if (!rc)
		rc = tfr_file_write_atomic(run->state_path, keep.data ? (char *)keep.data : "",
					   keep.len, !run->o.no_fsync, err);
	tfr_buf_release(&keep);
	if (rc)
		return rc;
	run->state_fd = open(run->state_path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (run->state_fd < 0)
		return tfr_error_sys(err, errno, "cannot open '%s'", run->state_path);
	return TFR_OK;
}

char *tfr_orun_shard_name(const struct tfr_output_run *run, uint32_t s)
{
	return tfr_shard_name(run->prefix, s, run->nshards, run->comp);
}

int tfr_output_run_resumed(struct tfr_output_run *run, uint32_t s,
			   uint64_t counts[TFR_OUTPUT_NCOUNTS], struct tfr_error *err)
{
	const struct prev_shard *p = &run->prev[s - run->s0];
	struct shard_done *d = &run->sh[s - run->s0];
	struct tfr_problem *skips = NULL;
	size_t nskips = 0;
	unsigned char got[32];
	uint64_t size;
	char *path = NULL, *line;
	int rc;

	if (!run->o.resume || !p->have)
		return 0;
	rc = tfr_orun_state_skips(p->skipped, &skips, &nskips);
	if (rc < 0)
		return tfr_orun_nomem(err);
	if (rc || p->records + nskips != d->expect)
		goto no;
	path = tfr_orun_shard_name(run, s);
	if (!path) {
		tfr_problems_free(skips, nskips);
		return tfr_orun_nomem(err);
	}
	if (tfr_file_sha256(path, got, &size, NULL) || size != p->bytes ||
	    memcmp(got, p->sha, 32))
		goto no;
	/* A kept shard gets its index again: the old one may be of
	 * another run. */
	rc = run->o.index ? tfr_sidecar_write(path, NULL, run->o.no_fsync, NULL, err) : TFR_OK;
	line = rc ? NULL : strdup(p->line);
	if (!rc && !line)
		rc = tfr_orun_nomem(err);
	free(path);
	if (rc) {
		tfr_problems_free(skips, nskips);
		return rc;
	}
	d->records = p->records;
	d->bytes = p->bytes;
	memcpy(d->sha, p->sha, 32);
	if (counts)
		memcpy(counts, p->counts, sizeof(p->counts));
	d->skips = skips;
	d->nskips = nskips;
	d->resumed = 1;
	pthread_mutex_lock(&run->mu);
	free(run->lines[s - run->s0]);
	run->lines[s - run->s0] = line;
	if (p->post_ok)
		run->post_ok[s - run->s0] = 1;
	pthread_mutex_unlock(&run->mu);
	tfr_output_run_tick(run, d->expect);
	/* --resume: the command again only where it never succeeded. */
	if (!p->post_ok) {
		rc = post_start(run, s, err);
		if (rc)
			return rc;
	}
	return 1;
no:
	free(path);
	tfr_problems_free(skips, nskips);
	return 0;
}

int tfr_output_run_open(struct tfr_output_run *run, uint32_t s,
			struct tfr_writer **w, struct tfr_error *err)
{
	struct tfr_writer_opts wo = { .compression = run->comp,
				      .level = run->o.level,
				      .no_fsync = run->o.no_fsync };
	char *path = tfr_orun_shard_name(run, s);
	int rc = TFR_OK;

	if (!path)
		return tfr_orun_nomem(err);
	if (run->o.index)
		rc = tfr_sidecar_hook(&wo.hook, path, run->o.no_fsync, err);
	if (!rc)
		rc = tfr_writer_open(w, path, &wo, err); /* copies the path, owns the hook */
	free(path);
	return rc;
}

void tfr_output_run_tick(struct tfr_output_run *run, uint64_t n)
{
	tfr_ticker_add(&run->ticker, n);
}

int tfr_output_run_problem(struct tfr_output_run *run, uint64_t at,
			   const char *file, uint64_t record, uint64_t offset,
			   uint64_t length, const char *reason, struct tfr_error *err)
{
	int rc;

	pthread_mutex_lock(&run->mu);
	rc = tfr_problems_push(&run->extra, file, record, offset, length, reason);
	if (!rc) {
		uint64_t *p = tfr_grow_array(run->extra_at, &run->extra_cap, run->extra.n,
					     sizeof(*p));

		if (p) {
			run->extra_at = p;
		} else {
			run->extra.n--;
			free(run->extra.v[run->extra.n].file);
			free(run->extra.v[run->extra.n].reason);
			rc = TFR_ERR_NOMEM;
		}
	}
	if (!rc)
		run->extra_at[run->extra.n - 1] = at;
	pthread_mutex_unlock(&run->mu);
	return rc ? tfr_orun_nomem(err) : TFR_OK;
}

/* Does this part list a problem found at plan position at? */
static int part_lists(const struct tfr_output_run *run, uint64_t at)
{
	if (at == TFR_NO_POS || run->o.part_n == 1)
		return 1;
	if (at >= run->first_lo && at < run->first_hi)
		return 1;
	return at >= run->first_hi && run->s1 == run->nshards;
}

int tfr_output_run_commit(struct tfr_output_run *run, uint32_t s,
			  struct tfr_writer *w, const struct tfr_problem *skips,
			  size_t nskips, const uint64_t counts[TFR_OUTPUT_NCOUNTS],
			  struct tfr_error *err)
{
	static const uint64_t zeros[TFR_OUTPUT_NCOUNTS];
	struct shard_done *d = &run->sh[s - run->s0];
	struct tfr_problems copy = { NULL, 0, 0 };
	struct tfr_buf b;
	size_t i;
	int rc;

	d->records = tfr_writer_records(w);
	rc = tfr_writer_commit(w, d->sha, &d->bytes, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&run->mu);
	run->committed[s - run->s0] = 1;
	pthread_mutex_unlock(&run->mu);
	for (i = 0; i < nskips && !rc; i++)
		rc = tfr_problems_push(&copy, skips[i].file, skips[i].record,
				       skips[i].offset, skips[i].length, skips[i].reason);
	if (rc) {
		tfr_problems_release(&copy);
		return tfr_orun_nomem(err);
	}
	d->skips = copy.v;
	d->nskips = copy.n;
	/* From here on the shard is under its final name. */
	tfr_buf_init(&b, 0);
	if (tfr_orun_state_line(&b, run, s, counts ? counts : zeros, skips, nskips)) {
		tfr_buf_release(&b);
		return tfr_orun_nomem(err);
	}
	pthread_mutex_lock(&run->mu);
	free(run->lines[s - run->s0]);
	run->lines[s - run->s0] = strndup((char *)b.data, b.len - 1);
	if (!run->lines[s - run->s0])
		rc = tfr_orun_nomem(err);
	/* One write per line with O_APPEND: lines never interleave, and a
	 * kill leaves at most a cut last line, which is ignored. */
	if (!rc && (tfr_write_all(run->state_fd, b.data, b.len) ||
		    (!run->o.no_fsync && fdatasync(run->state_fd))))
		rc = tfr_error_sys(err, errno, "cannot write '%s'", run->state_path);
	pthread_mutex_unlock(&run->mu);
	tfr_buf_release(&b);
	/* Complete and under its final name: --post may take it. */
	return rc ? rc : post_start(run, s, err);
}

int tfr_output_run_finish(struct tfr_output_run *run, const struct tfr_manifest *m,
			  struct tfr_output_result *res, struct tfr_error *err)
{
	struct tfr_problems all = { NULL, 0, 0 };
	struct tfr_error post_err;
	struct tfr_buf b;
	uint32_t s;
	size_t i;
	int rc = TFR_OK, post_rc = TFR_OK;

	memset(res, 0, sizeof(*res));
	/* Every --post command ends before the state is written in order. */
	if (run->post) {
		const struct tfr_post_result *pr;
		size_t npr;

		post_rc = tfr_post_wait(run->post, &pr, &npr, &post_err);
	}
	tfr_ticker_flush(&run->ticker);
	res->nshards = run->nshards;
	res->shard_lo = run->s0;
	res->shard_hi = run->s1;
	/* Skipped inputs in output order: each shard's, then the rest. */
	for (s = run->s0; s < run->s1 && !rc; s++) {
		const struct shard_done *d = &run->sh[s - run->s0];

		res->records += d->records;
		res->resumed += (uint32_t)d->resumed;
		for (i = 0; i < d->nskips && !rc; i++)
			rc = tfr_problems_push(&all, d->skips[i].file, d->skips[i].record,
					       d->skips[i].offset, d->skips[i].length,
					       d->skips[i].reason);
	}
	for (i = 0; i < run->extra.n && !rc; i++)
		if (part_lists(run, run->extra_at[i]))
			rc = tfr_problems_push(&all, run->extra.v[i].file, run->extra.v[i].record,
				       run->extra.v[i].offset, run->extra.v[i].length,
				       run->extra.v[i].reason);
	res->skipped = all.v;
	res->nskipped = all.n;
	res->manifest = strdup(run->manifest_path);
	if (rc || !res->manifest) {
		tfr_output_result_release(res);
		return tfr_orun_nomem(err);
	}
	rc = tfr_orun_state_write(run, err);
	if (!rc)
		rc = tfr_orun_labels_write(run, m, err);
	if (rc) {
		tfr_output_result_release(res);
		return rc;
	}
	tfr_buf_init(&b, 0);
	rc = tfr_orun_manifest_text(run, m, res, &b)
		? tfr_orun_nomem(err)
		: tfr_file_write_atomic(run->manifest_path, b.data, b.len, !run->o.no_fsync, err);
	tfr_buf_release(&b);
	if (!rc && post_rc) {
		/* The shards, state and manifest are whole: only a command
		 * failed.  Keep everything for --resume to finish the posts. */
		run->keep = 1;
		*err = post_err;
		rc = post_rc;
	}
	if (rc)
		tfr_output_result_release(res);
	return rc;
}

int tfr_output_run_end(struct tfr_output_run *run, int status,
		       const struct tfr_manifest *m, struct tfr_output_result *res,
		       struct tfr_error *err)
{
	if (run && status == TFR_OK)
		status = tfr_output_run_finish(run, m, res, err);
	tfr_output_run_free(run, status != TFR_OK);
	return status;
}

void tfr_output_run_free(struct tfr_output_run *run, int failed)
{
	uint32_t s;

	if (!run)
		return;
	tfr_post_free(run->post); /* waits for commands still running */
	run->post = NULL;
	if (failed && !run->o.resume && !run->keep && run->committed) {
		for (s = run->s0; s < run->s1; s++) {
			char *path, *idx;

			if (!run->committed[s - run->s0])
				continue;
			path = tfr_orun_shard_name(run, s);
			idx = path ? tfr_sidecar_name(path) : NULL;
			if (path)
				unlink(path);
			if (idx)
				unlink(idx);
			free(idx);
			free(path);
		}
		unlink(run->state_path);
	}
	if (run->prev)
		for (s = 0; s < run->s1 - run->s0; s++) {
			free(run->prev[s].skipped);
			free(run->prev[s].line);
		}
	if (run->lines)
		for (s = 0; s < run->s1 - run->s0; s++)
			free(run->lines[s]);
	if (run->sh)
		for (s = 0; s < run->s1 - run->s0; s++)
			tfr_problems_free(run->sh[s].skips, run->sh[s].nskips);
	free(run->sh);
	tfr_problems_release(&run->extra);
	free(run->extra_at);
	free(run->lines);
	free(run->prev);
	free(run->committed);
	free(run->post_ok);
	if (run->state_fd >= 0)
		close(run->state_fd);
	if (run->lock_fd >= 0) {
		/* Unlink while still holding it; see take_lock. */
		unlink(run->lock_path);
		close(run->lock_fd);
	}
	pthread_mutex_destroy(&run->mu);
	free(run->lock_path);
	free(run->state_path);
	free(run->manifest_path);
	free(run->prefix);
	free(run->dir);
	free(run->base);
	free(run);
}
