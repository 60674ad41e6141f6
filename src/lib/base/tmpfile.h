/*
 * tmpfile.h - registry of temporary output files.
 *
 * Every output is written under a temporary name in its final directory
 * and renamed when complete (see record.h).  While a temporary name
 * exists it is registered here, so that a signal handler can remove all
 * of them with tfr_tmpfile_unlink_all(), which only calls unlink() and is
 * async-signal-safe.  Registration is thread-safe.  At most
 * TFR_TMPFILE_SLOTS names are tracked; beyond that registration still
 * succeeds but the name is not removed on a signal.
 */
#ifndef TFR_TMPFILE_H
#define TFR_TMPFILE_H

#define TFR_TMPFILE_SLOTS 1024

/* Remember path (copied); returns a slot handle, or -1 when full. */
int tfr_tmpfile_register(const char *path);
/* Forget a slot (after rename or unlink); -1 is ignored. */
void tfr_tmpfile_unregister(int slot);
/* Unlink every registered name.  Async-signal-safe. */
void tfr_tmpfile_unlink_all(void);

/*
 * Make a unique temporary name next to final_path (DIR/.BASE.tmp-PID-N,
 * hidden, see tfr_tmpfile_parse), register it, and only
 * then create it for writing (O_CREAT|O_EXCL, mode 0666 before umask), so
 * that no signal can leave it behind unregistered.  On success stores the
 * malloc'd name in *tmp_path and the registry slot in *slot, and returns
 * the fd; on failure returns -1 with errno set (nothing to release).
 */
int tfr_tmpfile_create(const char *final_path, char **tmp_path, int *slot);

/*
 * A scratch file in dir that has no name at all (O_TMPFILE; where the
 * file system lacks it, mkstemp and an unlink at once), so that it goes
 * with its last descriptor however the process ends.  Returns the fd
 * (read and write), or -1 with errno set.
 */
int tfr_tmpfile_unnamed(const char *dir);

/*
 * If name (a directory entry, no '/') is one of these temporary names,
 * store the final base name it stands for (malloc'd) in *final and the
 * pid of the process that made it in *pid, and return 1; else 0 (also
 * when out of memory).
 */
int tfr_tmpfile_parse(const char *name, char **final, long *pid);

#endif
