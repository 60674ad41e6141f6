/*
 * archive.c - tar (plain, gzip, zstd, bzip2, xz) and zip archives,
 * through libarchive, streamed: nothing is ever unpacked to disk.
 *
 * Members are taken in the archive's own order.  A member whose name
 * ends in .tar, .tar.gz, .tgz or .tar.zst is a nested archive and is read
 * in place, one level deep (ImageNet's train tar holds one tar per
 * class).  An image's class is, in this order of preference: the text
 * of a WebDataset ".cls" member with the same key, the name of the
 * nested tar that holds it without its extension ("n01440764.tar" gives
 * "n01440764"), or the first folder of its member name ("cat/1.jpg"
 * gives "cat").  WebDataset keys are the member name up to the first dot
 * of its last part; members of one key sit next to each other, so only
 * one key group is held at a time.
 *
 * Finding an item again (source.h's locator): in a plain tar (and in a
 * plain tar nested in one) each image member's header offset in the file
 * is its locator, and read() opens a tar reader at that offset with
 * pread: any order, any thread, no second pass.  In compressed tars and
 * in zips no offset can be seeked to, so the locator is the member's
 * ordinal and read() makes a second pass: each thread's cursor streams
 * the archive forward and starts again from the top only when asked for
 * an earlier member.  Runs in listing order stream each archive about
 * once per worker.  Reads in any other order (--shuffle) would rescan
 * it for nearly every item, so with tfr_source_opts.spool_dir the
 * listing copies such members into a spool, an unnamed plain tar, and
 * hands out header offsets in it instead (see "the spool" below).
 *
 * Hostile members: absolute names and names with a ".." part are
 * problems (they would name files outside any folder), links and
 * devices are passed over (counted as ignored) and never followed, a
 * member larger than max_file is refused while it is read (so a zip
 * bomb costs at most max_file bytes), and a truncated or corrupt archive
 * is a problem at its byte offset.
 */
#include "config.h"
#include "source/kinds.h"
#include "source/listing.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/tmpfile.h"

#define SEEK_LOC (UINT64_C(1) << 63) /* locator is a header offset */
#define SPOOL_LOC (UINT64_C(1) << 62) /* ... in the spool, not the input */
#define CLS_MAX 256                  /* bytes of a .cls member */
#define BLOCK 65536

/* --- bidding ------------------------------------------------------------- */

static int is_tar_header(const unsigned char *h, size_t n)
{
	return n >= 263 && !memcmp(h + 257, "ustar", 5);
}

static int archive_bid(const struct tfr_source_probe *p)
{
	const unsigned char *h = p->head;
	size_t n = p->n;

	if (!S_ISREG(p->st.st_mode))
		return 0;
	if (is_tar_header(h, n))
		return 50;
	if (n >= 4 && h[0] == 'P' && h[1] == 'K' &&
	    ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6)))
		return 50;
	/* gzip: only when what it holds is a tar (a GZIP TFRecord is not) */
	if (p->inflated && is_tar_header(p->inflated, p->ninflated))
		return 60;
	/* zstd, xz, bzip2: no TFRecord uses them; take them as tars */
	if (n >= 4 && h[0] == 0x28 && h[1] == 0xb5 && h[2] == 0x2f && h[3] == 0xfd)
		return 40;
	if (n >= 6 && !memcmp(h, "\xfd" "7zXZ\0", 6))
		return 40;
	if (n >= 3 && !memcmp(h, "BZh", 3))
		return 40;
	return 0;
}

/* --- reading members in order --------------------------------------------- */

/* Filters are named one by one: support_filter_all would also hand some
 * formats to external programs. */
static void support(struct archive *a, int zip)
{
	archive_read_support_format_tar(a);
	if (zip)
		archive_read_support_format_zip(a);
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
}

static int plain_tar(struct archive *a)
{
	return archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE &&
	       (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_TAR;
}

static int nested_name(const char *name)
{
	static const char *const ext[] = { ".tar", ".tar.gz", ".tgz", ".tar.zst" };
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		size_t e = strlen(ext[i]);

		if (n > e && !strcasecmp(name + n - e, ext[i]))
			return (int)e;
	}
	return 0;
}

/* Member name without leading "./"; the reason it is unsafe, or NULL. */
static const char *clean_name(const char *name, const char **unsafe)
{
	const char *p;

	*unsafe = NULL;
	if (!name || !*name) {
		*unsafe = "member without a name";
		return "";
	}
	while (name[0] == '.' && name[1] == '/')
		name += 2;
	if (name[0] == '/') {
		*unsafe = "absolute member name";
		return name;
	}
	for (p = name; *p;) {
		size_t k = strcspn(p, "/");

		if (k == 2 && p[0] == '.' && p[1] == '.') {
			*unsafe = "member name with a '..' part";
			return name;
		}
		p += k;
		while (*p == '/')
			p++;
	}
	return name;
}

struct iter {
	const char *path;
	struct archive *outer, *inner;
	char *inner_name;         /* cleaned name of the nested archive */
	uint64_t inner_base;      /* file offset of its data (plain case) */
	int outer_plain, inner_plain;
	uint64_t ordinal;         /* of the current entry, from 1 */
	int depth;                /* of the current entry: 0 outer, 1 inner */
	struct archive_entry *e;
	unsigned char buf[BLOCK]; /* the outer member's bytes for the inner */
};

static la_ssize_t inner_read(struct archive *a, void *ud, const void **buf)
{
	struct iter *it = ud;
	la_ssize_t k = archive_read_data(it->outer, it->buf, sizeof(it->buf));

	(void)a;
	*buf = it->buf;
	return k;
}

static void iter_close(struct iter *it)
{
	if (it->inner)
		archive_read_free(it->inner);
	if (it->outer)
		archive_read_free(it->outer);
	free(it->inner_name);
	it->inner = it->outer = NULL;
	it->inner_name = NULL;
	it->ordinal = 0;
}

static int iter_open(struct iter *it, const char *path, struct tfr_error *err)
{
	iter_close(it);
	it->path = path;
	it->outer = archive_read_new();
	if (!it->outer)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	support(it->outer, 1);
	if (archive_read_open_filename(it->outer, path, BLOCK) != ARCHIVE_OK) {
		int rc = tfr_error_set(err, TFR_ERR_FORMAT, "%s",
				       archive_error_string(it->outer));

		iter_close(it);
		return rc;
	}
	return TFR_OK;
}

/* Offset of the current entry's header in the file (plain tars), else
 * in the decompressed stream. */
static uint64_t header_offset(const struct iter *it)
{
	if (it->depth)
		return it->inner_base + (uint64_t)archive_read_header_position(it->inner);
	return (uint64_t)archive_read_header_position(it->outer);
}

static int broken(struct iter *it, struct archive *a, struct tfr_error *err)
{
	uint64_t off = a == it->inner ?
		it->inner_base + (uint64_t)archive_filter_bytes(a, 0) :
		(uint64_t)archive_filter_bytes(a, -1);
	const char *msg = archive_error_string(a);

	return tfr_error_at(err, TFR_ERR_CORRUPT, TFR_NO_POS, off, "%s%s%s at byte %llu",
			    a == it->inner ? it->inner_name : "",
			    a == it->inner ? ": " : "",
			    msg ? msg : "unreadable archive", (unsigned long long)off);
}

/*
 * Next member, nested ones included: TFR_OK with it->e, TFR_EOF, or an
 * error.  A nested archive is returned once as an entry of its own (with
 * *opened set when it could be read) and then its members follow.
 * Whether to go into it depends only on its name and bytes, so a second
 * pass counts ordinals exactly as the listing did.
 */
static int iter_next(struct iter *it, int *opened, struct tfr_error *err)
{
	const char *unsafe, *name;
	int r;

	*opened = 0;
	for (;;) {
		if (it->inner) {
			r = archive_read_next_header(it->inner, &it->e);
			if (r == ARCHIVE_OK || r == ARCHIVE_WARN) {
				it->depth = 1;
				it->ordinal++;
				return TFR_OK;
			}
			if (r != ARCHIVE_EOF)
				return broken(it, it->inner, err);
			archive_read_free(it->inner);
			it->inner = NULL;
			free(it->inner_name);
			it->inner_name = NULL;
		}
		r = archive_read_next_header(it->outer, &it->e);
		if (r == ARCHIVE_EOF)
			return TFR_EOF;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return broken(it, it->outer, err);
		it->depth = 0;
		it->ordinal++;
		if (it->ordinal == 1)
			it->outer_plain = plain_tar(it->outer);
		name = clean_name(archive_entry_pathname(it->e), &unsafe);
		if (unsafe || archive_entry_filetype(it->e) != AE_IFREG ||
		    archive_entry_hardlink(it->e) || !nested_name(name))
			return TFR_OK;
		/* A nested archive: read it in place from the outer one. */
		if (!(it->inner_name = strdup(name)) || !(it->inner = archive_read_new()))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		it->inner_base = (uint64_t)archive_filter_bytes(it->outer, 0);
		support(it->inner, 0);
		if (archive_read_open(it->inner, it, NULL, inner_read, NULL) != ARCHIVE_OK) {
			archive_read_free(it->inner);
			it->inner = NULL;
			free(it->inner_name);
			it->inner_name = NULL;
			return TFR_OK; /* not an archive after all: an ordinary member */
		}
		/* Offsets inside it are file offsets only when both are plain
		 * (its format can only be tar). */
		it->inner_plain = it->outer_plain &&
				  archive_filter_code(it->inner, 0) == ARCHIVE_FILTER_NONE;
		*opened = 1;
		return TFR_OK;
	}
}

/* Read the current member's bytes into out (replacing them), at most
 * max. */
static int read_member(struct archive *a, struct archive_entry *e, struct tfr_buf *out,
		       uint64_t max, struct tfr_error *err)
{
	int64_t size = archive_entry_size_is_set(e) ? archive_entry_size(e) : -1;

	out->len = 0;
	if (size > 0 && (uint64_t)size > max)
		return tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE,
				     "member of %lld bytes exceeds the limit of %llu",
				     (long long)size, (unsigned long long)max);
	for (;;) {
		la_ssize_t k;

		if (out->len > max)
			return tfr_error_for(err, TFR_ERR_LIMIT, TFR_SETTING_MAX_FILE,
					     "member exceeds the limit of %llu bytes when unpacked",
					     (unsigned long long)max);
		if (tfr_buf_reserve(out, BLOCK))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		k = archive_read_data(a, out->data + out->len, BLOCK);
		if (k < 0) {
			const char *m = archive_error_string(a);

			return tfr_error_set(err, TFR_ERR_CORRUPT, "cannot read member: %s",
					     m ? m : "unreadable data");
		}
		if (k == 0)
			return TFR_OK;
		out->len += (size_t)k;
	}
}

/* --- WebDataset keys ------------------------------------------------------ */

struct mkey {
	const char *ext;          /* after the first dot of the last part, or "" */
	int is_cls, is_image;
};

/* Key of a member: the nested tar's name (inner, "" at the top), ':',
 * then the name up to the first dot of its last part; into key,
 * NUL-terminated. */
static int member_key(const char *inner, const char *name, struct tfr_buf *key,
		      struct mkey *m)
{
	const char *base = strrchr(name, '/'), *dot;
	size_t keylen;

	base = base ? base + 1 : name;
	dot = strchr(base, '.');
	keylen = dot ? (size_t)(dot - name) : strlen(name);
	m->ext = dot ? dot + 1 : "";
	m->is_cls = dot && !strcmp(dot, ".cls");
	m->is_image = tfr_source_image_name(name);
	key->len = 0;
	if (tfr_buf_printf(key, "%s:%.*s", inner ? inner : "", (int)keylen, name) ||
	    tfr_buf_append(key, "", 1))
		return TFR_ERR_NOMEM;
	return TFR_OK;
}

/* Whether the user asked for members with this extension as features. */
static int wanted(const struct tfr_source *src, const char *ext)
{
	size_t i;

	for (i = 0; i < src->opts->nwds_features; i++)
		if (!strcmp(src->opts->wds_features[i], ext))
			return 1;
	return 0;
}

/* --- the spool ------------------------------------------------------------- */

/*
 * Members of compressed tars and zips, copied while they are listed into
 * a plain tar (written by libarchive, pax where a name needs it) in
 * spool_dir, a file without a name (tmpfile.h) that goes with the run.
 * Every safe regular member is copied in the listing's order: images,
 * .cls members and members wanted as features with their bytes, every
 * other member as an empty entry.  Names are made up, ASCII whatever the
 * original (no charset to convert), and say just what a walk needs: the
 * listing's group number as the key, then ".jpg" for the image (its bytes
 * are sniffed, never its name), ".cls", the extension of a wanted
 * feature, or nothing.  So a walk in the spool ends exactly where the
 * listing ended the group.  The writer is unblocked and each entry is
 * finished (padded) at once, so the count of bytes written is the next
 * header's offset.
 */
struct spool {
	int fd;
	struct archive *w;
	uint64_t off;             /* bytes written so far */
	int werrno;               /* errno of a failed write */
};

static la_ssize_t spool_write(struct archive *a, void *ud, const void *buf, size_t n)
{
	struct spool *sp = ud;

	if (tfr_write_all(sp->fd, buf, n)) {
		sp->werrno = errno;
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	sp->off += n;
	return (la_ssize_t)n;
}

static void spool_free(struct spool *sp)
{
	if (!sp)
		return;
	if (sp->w)
		archive_write_free(sp->w);
	if (sp->fd >= 0)
		close(sp->fd);
	free(sp);
}

static int spool_open(struct tfr_source *src, struct tfr_error *err)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	const char *dir = src->opts->spool_dir;

	if (!sp)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	sp->fd = tfr_tmpfile_unnamed(dir);
	if (sp->fd < 0) {
		int e = errno;

		free(sp);
		return tfr_error_sys(err, e, "cannot make a spool for a shuffled read in '%s'", dir);
	}
	if (!(sp->w = archive_write_new()) ||
	    archive_write_set_format_pax_restricted(sp->w) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(sp->w, 0) != ARCHIVE_OK ||
	    archive_write_open(sp->w, sp, NULL, spool_write, NULL) != ARCHIVE_OK) {
		spool_free(sp);
		return tfr_error_set(err, TFR_ERR_NOMEM, "cannot start the spool");
	}
	src->priv = sp;
	return TFR_OK;
}

/* Append one member: name, then len bytes. */
static int spool_add(struct tfr_source *src, const char *name, const void *data,
		     size_t len, struct tfr_error *err)
{
	struct spool *sp = src->priv;
	struct archive_entry *e = archive_entry_new();
	int ok;

	if (!e)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0600);
	archive_entry_set_size(e, (la_int64_t)len);
	ok = archive_write_header(sp->w, e) >= ARCHIVE_WARN &&
	     (!len || archive_write_data(sp->w, data, len) == (la_ssize_t)len) &&
	     archive_write_finish_entry(sp->w) == ARCHIVE_OK;
	archive_entry_free(e);
	if (ok)
		return TFR_OK;
	if (sp->werrno)
		return tfr_error_sys(err, sp->werrno, "cannot write the spool in '%s'",
				     src->opts->spool_dir);
	return tfr_error_set(err, TFR_ERR_IO, "cannot write the spool in '%s': %s",
			     src->opts->spool_dir, archive_error_string(sp->w));
}

/* --- listing ---------------------------------------------------------------- */

struct group {
	struct tfr_buf key;      /* inner name ':' folder/key, NUL-terminated */
	struct tfr_buf name;     /* the image's item name */
	size_t base;
	uint64_t loc;
	int has_image;
	char cls[CLS_MAX + 1];
	int has_cls;
	char *dir_cls;           /* class from the folder or the nested tar */
	uint64_t first_loc;      /* the group's first member */
	int has_feat;            /* it has a member wanted as a feature */
	int bad;                 /* a member of it could not be spooled */
};

struct lister {
	struct tfr_source *src;
	struct tfr_dataset *ds;
	struct iter *it;
	struct group g;
	struct tfr_buf where, tmp;
	struct tfr_buf data, sname; /* a member's bytes and name for the spool */
	uint64_t ngroups;            /* groups begun, the spool's keys */
};

static int flush(struct lister *l, struct tfr_error *err)
{
	struct group *g = &l->g;
	const char *cls[1];
	struct tfr_item_desc d;
	int rc = TFR_OK;

	if (g->has_image && !g->bad) {
		cls[0] = g->has_cls ? g->cls : g->dir_cls;
		if (!g->has_cls && g->dir_cls)
			l->ds->dir_classes = 1;
		d.name = (const char *)g->name.data;
		d.base = g->base;
		d.cls = cls;
		d.ncls = cls[0] ? 1 : 0;
		/* With WebDataset features asked for, the item starts at
		 * its group's first member, so one forward walk over the
		 * group finds the image and its features. */
		d.loc = l->src->opts->nwds_features ? g->first_loc : g->loc;
		d.extra = g->has_feat ? d.loc : TFR_NO_EXTRA;
		rc = tfr_dataset_add(l->ds, &d, err);
	}
	g->has_image = g->has_cls = g->has_feat = g->bad = 0;
	g->key.len = 0;
	free(g->dir_cls);
	g->dir_cls = NULL;
	return rc;
}

static int problem_at(struct lister *l, const char *name, uint64_t off,
		      const char *reason, struct tfr_error *err)
{
	struct iter *it = l->it;

	l->where.len = 0;
	if (tfr_buf_printf(&l->where, "%s:%s%s%s", l->src->path,
			   it->depth ? it->inner_name : "", it->depth ? ":" : "", name))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return tfr_dataset_problem(l->ds, (char *)l->where.data, TFR_NO_POS, off, reason, err);
}

/* The class a member's place gives it: the nested tar's name without
 * its extension, else its first folder. */
static char *place_class(const struct iter *it, const char *name)
{
	const char *slash;

	if (it->depth) {
		const char *b = strrchr(it->inner_name, '/');

		b = b ? b + 1 : it->inner_name;
		return strndup(b, strlen(b) - (size_t)nested_name(b));
	}
	slash = strchr(name, '/');
	return slash ? strndup(name, (size_t)(slash - name)) : NULL;
}

/* Copy the current member's bytes (up to max) into l->data for the
 * spool; a member that cannot be read is a problem, and its group is
 * left out (bad) since a read could not give what the listing saw. */
static int spool_member(struct lister *l, const char *name, uint64_t max,
			struct tfr_error *err)
{
	struct iter *it = l->it;
	struct tfr_error e;
	int rc = read_member(it->depth ? it->inner : it->outer, it->e, &l->data, max, &e);

	if (rc == TFR_ERR_NOMEM)
		return tfr_error_set(err, rc, "out of memory");
	if (rc) {
		l->data.len = 0;
		l->g.bad = 1;
		return problem_at(l, name, header_offset(it), e.msg, err);
	}
	return TFR_OK;
}

static int take_member(struct lister *l, const char *name, struct tfr_error *err)
{
	struct iter *it = l->it;
	struct group *g = &l->g;
	uint64_t max = l->src->opts->max_file ? l->src->opts->max_file : TFR_DEFAULT_MAX_FILE;
	int plain = it->depth ? it->inner_plain : it->outer_plain;
	int spooled = !plain && l->src->opts->spool_dir;
	struct mkey m;
	uint64_t here;
	int is_cls, is_image, want, rc;

	if (spooled && !l->src->priv && (rc = spool_open(l->src, err)))
		return rc;
	here = spooled ? SEEK_LOC | SPOOL_LOC | ((struct spool *)l->src->priv)->off :
	       plain ? SEEK_LOC | header_offset(it) : it->ordinal;
	l->data.len = 0;
	if (member_key(it->depth ? it->inner_name : NULL, name, &l->tmp, &m))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	is_cls = m.is_cls;
	is_image = m.is_image;
	want = !is_image && !is_cls && wanted(l->src, m.ext);
	if (!g->key.len || strcmp((char *)g->key.data, (char *)l->tmp.data) ||
	    (is_image && g->has_image) || (is_cls && g->has_cls)) {
		if ((rc = flush(l, err)))
			return rc;
		if (tfr_buf_append(&g->key, l->tmp.data, l->tmp.len))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		g->first_loc = here;
		l->ngroups++;
	}
	if (is_cls) {
		struct tfr_error e;
		size_t n;

		rc = read_member(it->depth ? it->inner : it->outer, it->e, &l->data, CLS_MAX, &e);
		if (rc == TFR_ERR_NOMEM)
			return tfr_error_set(err, rc, "out of memory");
		if (rc) {
			l->data.len = 0;
			rc = problem_at(l, name, header_offset(it), e.msg, err);
			goto spool;
		}
		/* the label text, without surrounding white space */
		n = l->data.len;
		while (n && strchr(" \t\r\n", l->data.data[n - 1]))
			n--;
		memcpy(g->cls, l->data.data, n);
		g->cls[n] = '\0';
		g->has_cls = n > 0 && !memchr(g->cls, '\0', n);
		goto spool;
	}
	if (!is_image) {
		l->ds->ignored++;
		if (want) {
			g->has_feat = 1;
			if (spooled && (rc = spool_member(l, name, max, err)))
				return rc;
		}
		rc = TFR_OK;
		goto spool;
	}
	g->has_image = 1;
	g->name.len = 0;
	g->base = 0;
	if (it->depth) {
		if (tfr_buf_printf(&g->name, "%s:", it->inner_name))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		g->base = g->name.len;
	}
	if (tfr_buf_append(&g->name, name, strlen(name) + 1))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	g->loc = here;
	free(g->dir_cls);
	g->dir_cls = place_class(it, name);
	if (spooled && (rc = spool_member(l, name, max, err)))
		return rc;
	rc = TFR_OK;
spool:
	if (spooled && !rc) {
		const char *suffix = is_image ? "jpg" : is_cls ? "cls" : want ? m.ext : NULL;

		l->sname.len = 0;
		if (tfr_buf_printf(&l->sname, "%llu%s%s", (unsigned long long)l->ngroups,
				   suffix ? "." : "", suffix ? suffix : "") ||
		    tfr_buf_append(&l->sname, "", 1))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		rc = spool_add(l->src, (const char *)l->sname.data, l->data.data, l->data.len, err);
	}
	return rc;
}

static int archive_list(struct tfr_source *src, struct tfr_dataset *ds,
			struct tfr_error *err)
{
	struct lister l;
	struct tfr_error e;
	int rc, opened;

	memset(&l, 0, sizeof(l));
	l.src = src;
	l.ds = ds;
	l.it = calloc(1, sizeof(*l.it));
	if (!l.it)
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	rc = iter_open(l.it, src->path, &e);
	if (rc) {
		rc = tfr_dataset_problem(ds, src->path, TFR_NO_POS, TFR_NO_POS, e.msg, err);
		goto out;
	}
	while ((rc = iter_next(l.it, &opened, &e)) == TFR_OK) {
		const char *unsafe;
		const char *name = clean_name(archive_entry_pathname(l.it->e), &unsafe);
		mode_t type = archive_entry_filetype(l.it->e);

		if (opened || type == AE_IFDIR)
			continue;
		if (unsafe)
			rc = problem_at(&l, name, header_offset(l.it), unsafe, err);
		else if (type != AE_IFREG || archive_entry_hardlink(l.it->e))
			ds->ignored++; /* links and devices: never followed */
		else
			rc = take_member(&l, name, err);
		if (rc)
			goto out;
	}
	if (rc == TFR_EOF) {
		rc = flush(&l, err);
	} else if (rc == TFR_ERR_NOMEM) {
		*err = e;
	} else {
		/* A broken archive: what was listed stays, the break is a
		 * problem at its offset. */
		int r2 = flush(&l, err);

		rc = r2 ? r2 : tfr_dataset_problem(ds, src->path, TFR_NO_POS, e.offset, e.msg, err);
	}
out:
	free(l.g.dir_cls);
	tfr_buf_release(&l.g.key);
	tfr_buf_release(&l.g.name);
	tfr_buf_release(&l.where);
	tfr_buf_release(&l.tmp);
	tfr_buf_release(&l.data);
	tfr_buf_release(&l.sname);
	if (src->priv) {
		/* Done writing: the end blocks, then the file is only read. */
		struct spool *sp = src->priv;

		if (archive_write_close(sp->w) != ARCHIVE_OK && !rc)
			rc = tfr_error_sys(err, sp->werrno ? sp->werrno : EIO,
					   "cannot write the spool in '%s'", src->opts->spool_dir);
		archive_write_free(sp->w);
		sp->w = NULL;
	}
	iter_close(l.it);
	free(l.it);
	return rc;
}

/* --- reading items ---------------------------------------------------------- */

struct tfr_source_cursor {
	struct iter *it;          /* second pass, for ordinal locators */
	int held;                 /* it's current header is unread: serve it again */
	int opened;               /* it's current entry is an opened nested tar */
	int fd;                   /* the input, for offset locators; -1 */
	int rfd;                  /* what at_read reads: fd or the spool's */
	uint64_t off;
	unsigned char buf[BLOCK];
	/* the walk over one item's group */
	struct tfr_buf key, key0, tmp;
	int found, cls;
	uint64_t stash_loc;       /* item whose WebDataset features are stashed */
	struct tfr_buf stash;     /* ext NUL, u64 length, bytes; repeated */
};

static la_ssize_t at_read(struct archive *a, void *ud, const void **buf)
{
	struct tfr_source_cursor *c = ud;
	ssize_t k;

	do
		k = pread(c->rfd, c->buf, sizeof(c->buf), (off_t)c->off);
	while (k < 0 && errno == EINTR);
	if (k < 0) {
		archive_set_error(a, errno, "read error");
		return -1;
	}
	c->off += (uint64_t)k;
	*buf = c->buf;
	return k;
}

enum { WALK_ON, WALK_PAST, WALK_DONE };

/*
 * One member of an item's group, walking forward from its first member:
 * the image goes to out, members wanted as features to the stash.  The
 * group ends where the listing ended it: at another key, a second image
 * or a second .cls.  Members the listing passed over (unsafe names,
 * links, folders, opened nested tars) are passed over here too.
 */
static int walk_member(const struct tfr_source *src, struct tfr_source_cursor *c,
		       struct archive *a, struct archive_entry *e, const char *inner,
		       int first, struct tfr_buf *out, struct tfr_error *err)
{
	uint64_t max = src->opts->max_file ? src->opts->max_file : TFR_DEFAULT_MAX_FILE;
	const char *unsafe, *name = clean_name(archive_entry_pathname(e), &unsafe);
	struct mkey m;
	uint64_t len;
	int rc;

	if (unsafe || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) ||
	    (c->opened && !first))
		return WALK_ON;
	if (member_key(inner, name, &c->key, &m))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	if (first) {
		c->key0.len = 0;
		c->found = c->cls = 0;
		if (tfr_buf_append(&c->key0, c->key.data, c->key.len))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	} else if (strcmp((char *)c->key.data, (char *)c->key0.data) ||
		   (m.is_image && c->found) || (m.is_cls && c->cls)) {
		return WALK_PAST;
	}
	if (m.is_cls) {
		c->cls = 1;
		return WALK_ON;
	}
	if (m.is_image && !c->found) {
		rc = read_member(a, e, out, max, err);
		if (rc)
			return rc;
		c->found = 1;
		return src->opts->nwds_features ? WALK_ON : WALK_DONE;
	}
	if (!wanted(src, m.ext))
		return WALK_ON;
	rc = read_member(a, e, &c->tmp, max, err);
	if (rc)
		return rc;
	len = c->tmp.len;
	if (tfr_buf_append(&c->stash, m.ext, strlen(m.ext) + 1) ||
	    tfr_buf_append(&c->stash, &len, sizeof(len)) ||
	    tfr_buf_append(&c->stash, c->tmp.data, c->tmp.len))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	return WALK_ON;
}

/* Plain tars and the spool: a tar reader opened at the header's offset.
 * Keys need no nested tar's name here: a group never leaves its tar (in
 * the spool, every group has a key of its own). */
static int walk_at(const struct tfr_source *src, struct tfr_source_cursor *c,
		   int spooled, uint64_t off, struct tfr_buf *out, struct tfr_error *err)
{
	struct archive *a;
	struct archive_entry *e;
	int rc = TFR_OK, first = 1, r;

	if (spooled)
		c->rfd = ((struct spool *)src->priv)->fd;
	else if (c->fd < 0 && (c->fd = open(src->path, O_RDONLY | O_CLOEXEC)) < 0)
		return tfr_error_sys(err, errno, "cannot open");
	else
		c->rfd = c->fd;
	if (!(a = archive_read_new()))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	archive_read_support_format_tar(a);
	c->off = off;
	c->opened = 0;
	if (archive_read_open(a, c, NULL, at_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) < ARCHIVE_WARN) {
		const char *m = archive_error_string(a);

		rc = tfr_error_at(err, TFR_ERR_CORRUPT, TFR_NO_POS, off,
				  "no member header at byte %llu: %s",
				  (unsigned long long)off, m ? m : "archive changed since it was listed");
		goto out;
	}
	for (;;) {
		rc = walk_member(src, c, a, e, NULL, first, out, err);
		first = 0;
		if (rc < 0)
			goto out;
		if (rc != WALK_ON)
			break;
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			const char *m = archive_error_string(a);

			rc = tfr_error_set(err, TFR_ERR_CORRUPT, "%s", m ? m : "unreadable archive");
			goto out;
		}
	}
	rc = TFR_OK;
out:
	archive_read_free(a);
	return rc;
}

/* Compressed tars and zips: the cursor's iterator, moved forward. */
static int walk_nth(const struct tfr_source *src, struct tfr_source_cursor *c,
		    uint64_t n, struct tfr_buf *out, struct tfr_error *err)
{
	struct iter *it;
	int rc, first = 1;

	if (!c->it && !(c->it = calloc(1, sizeof(*c->it))))
		return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
	it = c->it;
	/* Forward from where the cursor is; from the top for an earlier
	 * member. */
	if (!it->outer || it->ordinal > n || (it->ordinal == n && !c->held)) {
		rc = iter_open(it, src->path, err);
		if (rc)
			return rc;
		c->opened = 0;
	}
	c->held = 0;
	while (it->ordinal < n) {
		rc = iter_next(it, &c->opened, err);
		if (rc == TFR_EOF)
			rc = tfr_error_set(err, TFR_ERR_CORRUPT, "archive changed since it was listed");
		if (rc)
			goto fail;
	}
	for (;;) {
		rc = walk_member(src, c, it->depth ? it->inner : it->outer, it->e,
				 it->depth ? it->inner_name : NULL, first, out, err);
		first = 0;
		if (rc < 0)
			goto fail;
		if (rc == WALK_PAST) {
			c->held = 1; /* the next item may start here */
			break;
		}
		if (rc == WALK_DONE)
			break;
		rc = iter_next(it, &c->opened, err);
		if (rc == TFR_EOF)
			break;
		if (rc)
			goto fail;
	}
	return TFR_OK;
fail:
	iter_close(it); /* start clean next time */
	c->held = 0;
	return rc;
}

static int archive_read(const struct tfr_source *src, struct tfr_source_cursor **cur,
			const char *name, uint64_t loc, struct tfr_buf *out,
			struct tfr_error *err)
{
	struct tfr_source_cursor *c = *cur;
	int rc;

	(void)name;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return tfr_error_set(err, TFR_ERR_NOMEM, "out of memory");
		c->fd = -1;
		c->stash_loc = UINT64_MAX;
		*cur = c;
	}
	out->len = 0;
	c->stash.len = 0;
	c->stash_loc = UINT64_MAX;
	rc = loc & SEEK_LOC ? walk_at(src, c, !!(loc & SPOOL_LOC), loc & ~(SEEK_LOC | SPOOL_LOC),
				      out, err)
			    : walk_nth(src, c, loc, out, err);
	if (rc)
		return rc;
	if (!c->found)
		return tfr_error_set(err, TFR_ERR_CORRUPT, "archive changed since it was listed");
	c->stash_loc = loc;
	return TFR_OK;
}

/* WebDataset members asked for with --wds-feature, as bytes features
 * named by their extension: from the stash of the read() of the same
 * item, or read now. */
static int archive_features(const struct tfr_source *src, struct tfr_source_cursor **cur,
			    const char *name, uint64_t loc, uint64_t extra,
			    struct tfr_features *fs, struct tfr_error *err)
{
	struct tfr_source_cursor *c = *cur;
	size_t at = 0;
	int rc;

	(void)extra;
	if (!c || c->stash_loc != loc) {
		struct tfr_buf scratch;

		tfr_buf_init(&scratch, 0);
		rc = archive_read(src, cur, name, loc, &scratch, err);
		tfr_buf_release(&scratch);
		if (rc)
			return rc;
		c = *cur;
	}
	while (at < c->stash.len) {
		const char *ext = (const char *)c->stash.data + at;
		struct tfr_bytes b;
		uint64_t len;

		at += strlen(ext) + 1;
		memcpy(&len, c->stash.data + at, sizeof(len));
		at += sizeof(len);
		b.data = c->stash.data + at;
		b.len = (size_t)len;
		at += (size_t)len;
		rc = tfr_features_add(fs, ext, TFR_FEATURE_BYTES, &b, 1, 0, err);
		if (rc)
			return rc;
	}
	return TFR_OK;
}

static void archive_cursor_free(struct tfr_source_cursor *c)
{
	if (!c)
		return;
	if (c->it) {
		iter_close(c->it);
		free(c->it);
	}
	if (c->fd >= 0)
		close(c->fd);
	tfr_buf_release(&c->key);
	tfr_buf_release(&c->key0);
	tfr_buf_release(&c->tmp);
	tfr_buf_release(&c->stash);
	free(c);
}

static int archive_where(const struct tfr_source *src, const char *name,
			 struct tfr_buf *out)
{
	return tfr_source_where_in(out, src->path, ":", name);
}

static void archive_close(struct tfr_source *src)
{
	spool_free(src->priv);
	src->priv = NULL;
}

const struct tfr_source_ops tfr_source_archive = {
	.name = "archive",
	.bid = archive_bid,
	.list = archive_list,
	.read = archive_read,
	.features = archive_features,
	.cursor_free = archive_cursor_free,
	.where = archive_where,
	.identity = tfr_source_identity_in,
	.close = archive_close,
};
