/* post.c - commands on finished output files; see post.h. */
#include "config.h"
#include "output/post.h"
#include "base/buf.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct slot {
	pid_t pid;      /* 0: free */
	size_t result;  /* index into results */
};

struct tfr_post {
	pthread_mutex_t mu;
	char *cmd;
	unsigned jobs, running;
	struct slot *slots;
	struct tfr_post_result *results;
	size_t nresults, cap;
	tfr_post_done_fn done;
	void *ctx;
};

/* Append s to the string at *out (len *n), growing it; -1 on ENOMEM. */
static int put(char **out, size_t *n, size_t *cap, const char *s, size_t len)
{
	if (*n + len + 1 > *cap) {
		size_t ncap = (*n + len + 1) * 2;
		char *p = realloc(*out, ncap);

		if (!p)
			return -1;
		*out = p;
		*cap = ncap;
	}
	memcpy(*out + *n, s, len);
	*n += len;
	(*out)[*n] = '\0';
	return 0;
}

/* path in single quotes, each ' as '\'' */
static int put_quoted(char **out, size_t *n, size_t *cap, const char *path)
{
	const char *s;
	int rc = put(out, n, cap, "'", 1);

	for (s = path; !rc && *s; s++)
		rc = *s == '\'' ? put(out, n, cap, "'\\''", 4) : put(out, n, cap, s, 1);
	return rc ? rc : put(out, n, cap, "'", 1);
}

char *tfr_post_command(const char *cmd, const char *path)
{
	char *out = NULL;
	size_t n = 0, cap = 0;
	const char *s = cmd, *hit;
	int rc = 0, used = 0;

	while (!rc && (hit = strstr(s, "{}"))) {
		rc = put(&out, &n, &cap, s, (size_t)(hit - s));
		if (!rc)
			rc = put_quoted(&out, &n, &cap, path);
		s = hit + 2;
		used = 1;
	}
	if (!rc)
		rc = put(&out, &n, &cap, s, strlen(s));
	if (!rc && !used) {
		rc = put(&out, &n, &cap, " ", 1);
		if (!rc)
			rc = put_quoted(&out, &n, &cap, path);
	}
	if (rc) {
		free(out);
		return NULL;
	}
	return out;
}

int tfr_post_new(struct tfr_post **pp, const char *cmd, unsigned jobs,
		 tfr_post_done_fn done, void *ctx, struct tfr_error *err)
{
	struct tfr_post *p;

	*pp = NULL;
	if (!cmd || !*cmd || jobs < 1)
		return tfr_error_set(err, TFR_ERR_INVALID, "empty post command or no jobs");
	p = calloc(1, sizeof(*p));
	if (!p)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	p->cmd = strdup(cmd);
	p->slots = calloc(jobs, sizeof(*p->slots));
	if (!p->cmd || !p->slots) {
		free(p->cmd);
		free(p->slots);
		free(p);
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&p->mu, NULL);
	p->jobs = jobs;
	p->done = done;
	p->ctx = ctx;
	*pp = p;
	return TFR_OK;
}

static void finish(struct tfr_post *p, size_t r, int status)
{
	p->results[r].status = status;
	if (p->done)
		p->done(p->ctx, p->results[r].id, p->results[r].path, status);
}

/* Reap ended commands (mutex held); block in waitpid on the oldest slot
 * when block is set and nothing has ended.  Returns how many were reaped. */
static unsigned reap(struct tfr_post *p, int block)
{
	unsigned k, got = 0;

	for (k = 0; k < p->jobs; k++) {
		int ws;
		pid_t w;

		if (!p->slots[k].pid)
			continue;
		do
			w = waitpid(p->slots[k].pid, &ws, WNOHANG);
		while (w < 0 && errno == EINTR);
		if (w == 0)
			continue;
		finish(p, p->slots[k].result,
		       w < 0 ? -1 : WIFEXITED(ws) ? WEXITSTATUS(ws) :
		       WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : -1);
		p->slots[k].pid = 0;
		p->running--;
		got++;
	}
	if (!got && block && p->running) {
		/* Poll: waitpid cannot wait for "any of these pids" without
		 * reaping other children, so sleep briefly and look again. */
		struct timespec ts = { 0, 5 * 1000 * 1000 };

		pthread_mutex_unlock(&p->mu);
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&p->mu);
	}
	return got;
}

int tfr_post_start(struct tfr_post *p, uint32_t id, const char *path,
		   struct tfr_error *err)
{
	char *line = tfr_post_command(p->cmd, path);
	char *argv[4];
	size_t r;
	unsigned k;
	pid_t pid;
	int rc = TFR_OK, e;

	if (!line)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&p->mu);
	{
		struct tfr_post_result *n = tfr_grow_array(p->results, &p->cap, p->nresults + 1,
							   sizeof(*n));

		if (!n) {
			rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
			goto out;
		}
		p->results = n;
	}
	r = p->nresults;
	p->results[r].id = id;
	p->results[r].status = -1;
	p->results[r].path = strdup(path);
	if (!p->results[r].path) {
		rc = tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		goto out;
	}
	p->nresults++;
	reap(p, 0);
	while (p->running == p->jobs)
		reap(p, 1);
	for (k = 0; p->slots[k].pid; k++)
		;
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = line;
	argv[3] = NULL;
	e = posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
	if (e) {
		finish(p, r, -1);
		rc = tfr_error_sys(err, e, "cannot start the post command for '%s'", path);
		goto out;
	}
	p->slots[k].pid = pid;
	p->slots[k].result = r;
	p->running++;
out:
	pthread_mutex_unlock(&p->mu);
	free(line);
	return rc;
}

static int by_id(const void *a, const void *b)
{
	const struct tfr_post_result *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

int tfr_post_wait(struct tfr_post *p, const struct tfr_post_result **res,
		  size_t *n, struct tfr_error *err)
{
	size_t i, failed = 0, first = 0;

	pthread_mutex_lock(&p->mu);
	while (p->running)
		reap(p, 1);
	if (p->nresults) /* qsort takes no NULL, even for 0 */
		qsort(p->results, p->nresults, sizeof(*p->results), by_id);
	for (i = 0; i < p->nresults; i++)
		if (p->results[i].status != 0 && !failed++)
			first = i;
	*res = p->results;
	*n = p->nresults;
	pthread_mutex_unlock(&p->mu);
	if (!failed)
		return TFR_OK;
	if (p->results[first].status < 0)
		return tfr_error_set(err, TFR_ERR_FORMAT,
				     "post command for '%s' could not be started (%zu of %zu failed)",
				     p->results[first].path, failed, p->nresults);
	return tfr_error_set(err, TFR_ERR_FORMAT, "post command for '%s' %s %d (%zu of %zu failed)",
			     p->results[first].path,
			     p->results[first].status > 128 ? "was killed by signal" : "exited with status",
			     p->results[first].status > 128 ? p->results[first].status - 128
							    : p->results[first].status,
			     failed, p->nresults);
}

void tfr_post_free(struct tfr_post *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	while (p->running)
		reap(p, 1);
	pthread_mutex_unlock(&p->mu);
	pthread_mutex_destroy(&p->mu);
	for (i = 0; i < p->nresults; i++)
		free(p->results[i].path);
	free(p->results);
	free(p->slots);
	free(p->cmd);
	free(p);
}
