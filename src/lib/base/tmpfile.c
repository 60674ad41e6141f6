/* tmpfile.c - temporary output names and their cleanup; see tmpfile.h. */
#include "config.h"
#include "base/tmpfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Slots hold malloc'd strings published with atomic stores, so the
 * signal handler never sees a half-written pointer. */
static char *slots[TFR_TMPFILE_SLOTS];

int tfr_tmpfile_register(const char *path)
{
	char *copy = strdup(path);
	int i;

	if (!copy)
		return -1;
	for (i = 0; i < TFR_TMPFILE_SLOTS; i++) {
		char *expected = NULL;

		if (__atomic_compare_exchange_n(&slots[i], &expected, copy, 0,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return i;
	}
	free(copy);
	return -1;
}

void tfr_tmpfile_unregister(int slot)
{
	char *p;

	if (slot < 0 || slot >= TFR_TMPFILE_SLOTS)
		return;
	p = __atomic_exchange_n(&slots[slot], NULL, __ATOMIC_SEQ_CST);
	free(p);
}

void tfr_tmpfile_unlink_all(void)
{
	int i;

	for (i = 0; i < TFR_TMPFILE_SLOTS; i++) {
		char *p = __atomic_load_n(&slots[i], __ATOMIC_SEQ_CST);

		if (p)
			unlink(p);
	}
}

int tfr_tmpfile_create(const char *final_path, char **tmp_path, int *slot)
{
	static unsigned long counter;
	const char *base = strrchr(final_path, '/') ? strrchr(final_path, '/') + 1
						    : final_path;
	size_t n = strlen(final_path) + 64;
	char *name = malloc(n);
	int fd, tries, e;

	if (!name) {
		errno = ENOMEM;
		return -1;
	}
	for (tries = 0; tries < 100; tries++) {
		unsigned long c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

		/* Hidden (".BASE.tmp-PID-N" beside BASE) so that no glob
		 * for the outputs, such as PREFIX-*, ever matches one; the
		 * pid lets a later run tell a dead run's leftovers. */
		snprintf(name, n, "%.*s.%s.tmp-%ld-%lu", (int)(base - final_path),
			 final_path, base, (long)getpid(), c);
		/* Register first: a signal between open and register would
		 * otherwise leave the file behind. */
		*slot = tfr_tmpfile_register(name);
		fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			*tmp_path = name;
			return fd;
		}
		e = errno;
		/* Not ours (EEXIST) or not created: never unlink it. */
		tfr_tmpfile_unregister(*slot);
		errno = e;
		if (errno != EEXIST)
			break;
	}
	free(name);
	*slot = -1;
	return -1;
}

int tfr_tmpfile_parse(const char *name, char **final, long *pid)
{
	const char *t = strstr(name, ".tmp-");
	char *end;
	long p;

	if (name[0] != '.' || !t || t == name + 1)
		return 0;
	/* The last ".tmp-": a final name may itself hold ".tmp-". */
	while (strstr(t + 1, ".tmp-"))
		t = strstr(t + 1, ".tmp-");
	p = strtol(t + 5, &end, 10);
	if (end == t + 5 || *end != '-' || p <= 0)
		return 0;
	*final = strndup(name + 1, (size_t)(t - name - 1));
	if (!*final)
		return 0;
	*pid = p;
	return 1;
}

int tfr_tmpfile_unnamed(const char *dir)
{
	size_t n = strlen(dir) + 32;
	char *p;
	int fd, e;

#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL))
		return fd;
#endif
	if (!(p = malloc(n))) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(p, n, "%s/.tfrec-scratch-XXXXXX", dir);
	fd = mkstemp(p);
	e = errno;
	if (fd >= 0)
		unlink(p);
	free(p);
	errno = e;
	return fd;
}
