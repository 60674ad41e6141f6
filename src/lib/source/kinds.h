/*
 * kinds.h - the kinds of input source, one per file in this folder.
 * Only the table in source.c names them; add a kind by adding its file
 * and one line here and in the table.
 */
#ifndef TFR_SOURCE_KINDS_H
#define TFR_SOURCE_KINDS_H

#include "source/source.h"

extern const struct tfr_source_ops tfr_source_dir;      /* dir.c */
extern const struct tfr_source_ops tfr_source_file;     /* dir.c */
extern const struct tfr_source_ops tfr_source_list;     /* list.c */
extern const struct tfr_source_ops tfr_source_archive;  /* archive.c */
extern const struct tfr_source_ops tfr_source_tfrecord; /* tfrecord.c */
extern const struct tfr_source_ops tfr_source_csv;      /* table.c */
extern const struct tfr_source_ops tfr_source_annotations; /* annotated.c */

/* read() for kinds whose items are files: ops->where gives the path.
 * The path is rebuilt for each read: a few bytes of copying, against
 * keeping every item's full path in the listing. */
int tfr_source_read_path(const struct tfr_source *src, struct tfr_source_cursor **cur,
			 const char *name, uint64_t loc, struct tfr_buf *out,
			 struct tfr_error *err);

/* Whether a member or file name has an image extension (.jpg, .jpeg,
 * .jpe, .jfif, .png; any case).  Folders and archives pass over other
 * names; the format itself is sniffed from the bytes later. */
int tfr_source_image_name(const char *name);

/* where() for items inside an input: path, sep, name ("a.tar" ":"
 * "x.jpg"), NUL-terminated. */
int tfr_source_where_in(struct tfr_buf *out, const char *path, const char *sep,
			const char *name);

/* identity() for items inside the INPUT (archive members, TFRecord
 * records) or whose features come from it (label table rows): the
 * INPUT's identity (tfr_source.ident) and the locator.  The name is
 * keyed beside it. */
int tfr_source_identity_in(const struct tfr_source *src, const char *name,
			   uint64_t loc, uint64_t extra, struct tfr_buf *out);

#endif
