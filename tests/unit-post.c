/* unit-post.c - post commands: quoting of {} and of odd paths, exit
 * statuses and signals, results in id order, the done callback, and the
 * bound on concurrent commands. */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "lib/output/post.h"

static int ndone, ok_done;

static void done(void *ctx, uint32_t id, const char *path, int status)
{
	(void)ctx;
	(void)path;
	ndone++;
	if (status == 0)
		ok_done++;
	(void)id;
}

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

int main(void)
{
	char dir[] = "/tmp/unit-post.XXXXXX", cmd[512], path[512], *line;
	const struct tfr_post_result *res;
	struct tfr_post *p;
	struct tfr_error err;
	size_t n;
	int i, rc;

	if (!mkdtemp(dir))
		tap_skip_all("no temporary directory");

	line = tfr_post_command("cp {} /x/", "a b");
	ok(line && !strcmp(line, "cp 'a b' /x/"), "{} becomes the quoted path");
	free(line);
	line = tfr_post_command("echo {} {}", "it's");
	ok(line && !strcmp(line, "echo 'it'\\''s' 'it'\\''s'"), "every {}, quotes escaped");
	free(line);
	line = tfr_post_command("gsutil cp", "s-1.tfrecord");
	ok(line && !strcmp(line, "gsutil cp 's-1.tfrecord'"), "no {}: the path is appended");
	free(line);
	ok(tfr_post_new(&p, "", 1, NULL, NULL, &err) == TFR_ERR_INVALID, "an empty command is refused");
	ok(tfr_post_new(&p, "true", 0, NULL, NULL, &err) == TFR_ERR_INVALID, "0 jobs is refused");

	/* Each command records its path in a file named after it; odd names. */
	snprintf(cmd, sizeof(cmd), "echo {} >> %s/log", dir);
	ok(tfr_post_new(&p, cmd, 2, done, NULL, &err) == 0, "new");
	for (i = 5; i >= 0; i--) {
		snprintf(path, sizeof(path), "%s/sh'ard $x %d", dir, i);
		ok(tfr_post_start(p, (uint32_t)i, path, &err) == 0, "start %d", i);
	}
	rc = tfr_post_wait(p, &res, &n, &err);
	ok(rc == 0 && n == 6, "all six succeeded");
	for (i = 0; i < 6 && res[i].id == (uint32_t)i && res[i].status == 0; i++)
		;
	ok(i == 6, "results in id order, status 0");
	ok(ndone == 6 && ok_done == 6, "the callback saw every one");
	snprintf(path, sizeof(path), "%s/log", dir);
	ok(strstr(slurp(path), "sh'ard $x 3") != NULL, "the path reached the command unchanged");
	tfr_post_free(p);

	/* Failures: exit status and a signal; the first by id is named. */
	ok(tfr_post_new(&p, "case {} in *1) exit 3;; *2) kill -9 $$;; esac", 3, NULL, NULL, &err) == 0,
	   "new");
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "f%d", i);
		tfr_post_start(p, (uint32_t)i, path, &err);
	}
	rc = tfr_post_wait(p, &res, &n, &err);
	ok(rc == TFR_ERR_FORMAT, "a failing command fails the wait");
	ok(strstr(err.msg, "'f1' exited with status 3") && strstr(err.msg, "2 of 4 failed"),
	   "naming the first failed file and the count: %s", err.msg);
	ok(res[1].status == 3 && res[2].status == 128 + 9 && res[0].status == 0 && res[3].status == 0,
	   "exit status and 128 + signal");
	tfr_post_free(p);

	/* At most `jobs` at once: each command takes a slot directory with
	 * mkdir (atomic) among 2; a third at once would find none free. */
	snprintf(cmd, sizeof(cmd),
		 "for s in a b; do if mkdir %s/slot.$s 2>/dev/null; then sleep 0.05; rmdir %s/slot.$s; exit 0; fi; done; "
		 "touch %s/overrun; exit 1", dir, dir, dir);
	ok(tfr_post_new(&p, cmd, 2, NULL, NULL, &err) == 0, "new");
	for (i = 0; i < 8; i++)
		tfr_post_start(p, (uint32_t)i, "x", &err);
	rc = tfr_post_wait(p, &res, &n, &err);
	snprintf(path, sizeof(path), "%s/overrun", dir);
	ok(rc == 0 && access(path, F_OK) != 0, "never more than 2 commands at once");
	tfr_post_free(p);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
