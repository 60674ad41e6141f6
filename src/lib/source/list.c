/*
 * list.c - a list file of "PATH [LABEL]" lines (--list; "-" is stdin).
 *
 * Blank lines and lines starting with '#' are skipped.  The label is the
 * last field, after the last tab or else the last space, so paths may
 * hold spaces when a label follows.  Relative paths are relative to the
 * list's folder.  Items keep the order of the lines; the item's name is
 * the path as written (it becomes image/filename).  One line is held at
 * a time.
 */
#include "config.h"
#include "source/kinds.h"
#include "source/listing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct list {
	char *dir;  /* the list's folder with its slash, or "" */
};

static int list_open(struct tfr_source *src, struct tfr_error *err)
{
	struct list *l = calloc(1, sizeof(*l));
	const char *slash = strrchr(src->path, '/');

	if (!l)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	src->priv = l;
	if (strcmp(src->path, "-") && slash)
		l->dir = strndup(src->path, (size_t)(slash - src->path + 1));
	else
		l->dir = strdup("");
	if (!l->dir)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return TFR_OK;
}

static void list_close(struct tfr_source *src)
{
	struct list *l = src->priv;

	if (l)
		free(l->dir);
	free(l);
}

static int list_list(struct tfr_source *src, struct tfr_dataset *ds,
		     struct tfr_error *err)
{
	int is_stdin = !strcmp(src->path, "-");
	FILE *f = is_stdin ? stdin : fopen(src->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = TFR_OK;

	if (!f)
		return tfr_error_sys(err, errno, "cannot open '%s'", src->path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *p = line, *label = NULL, *sep;
		const char *cls[1];

		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		sep = strrchr(p, '\t');
		if (!sep)
			sep = strrchr(p, ' ');
		if (sep) {
			*sep = '\0';
			label = sep + 1;
			while (*label == ' ' || *label == '\t')
				label++;
			if (!*label)
				label = NULL;
		}
		cls[0] = label;
		{
			struct tfr_item_desc it = { p, 0, cls, label ? 1 : 0, 0, TFR_NO_EXTRA };

			if ((rc = tfr_dataset_add(ds, &it, err)))
				break;
		}
	}
	if (!rc && ferror(f))
		rc = tfr_error_sys(err, errno, "cannot read '%s'", src->path);
	free(line);
	if (!is_stdin)
		fclose(f);
	return rc;
}

static int list_where(const struct tfr_source *src, const char *name,
		      struct tfr_buf *out)
{
	const struct list *l = src->priv;

	return tfr_source_join(out, name[0] == '/' ? "" : l->dir, name);
}

const struct tfr_source_ops tfr_source_list = {
	.name = "list",
	.open = list_open,
	.list = list_list,
	.read = tfr_source_read_path,
	.where = list_where,
	.close = list_close,
};
