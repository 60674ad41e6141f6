#!/bin/sh
# t0150-sources: every input source gives the tensors and labels of the
# same images converted out of a plain folder; archives are recognized
# from their bytes; hostile archives, FIFOs, huge labels and class names
# with line breaks are errors or skips with their position; --classes
# keeps ids across splits.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/scripts"
SAME="$PY $TOP_SRCDIR/tests/same-records.py"
PHOTOS=$TOP_SRCDIR/sample-data/photos
CONV="$TFREC convert -q --no-fsync"
# Per-item randomness (crop place, flip) follows the item's index, so
# ordered comparisons check that archives list members in folder order.
AUG="--resize-short 40 --crop 24x24 --random-crop --flip --seed 5"
A=$TMP/a
O=$TMP/o
mkdir -p "$A" "$O"
cp -r "$PHOTOS" "$A/ph"

# --- archives of the same images -------------------------------------------
tar --sort=name -cf "$A/ph.tar" -C "$A/ph" .
tar --sort=name -czf "$A/ph.tgz" -C "$A/ph" .
(cd "$A/ph" && find . -type f | LC_ALL=C sort | sed 's|^\./||' >"$A/files")
$PY - "$A" <<'PYEOF'
import io, os, sys, tarfile, zipfile
a = sys.argv[1]
files = open(os.path.join(a, "files")).read().split()
with zipfile.ZipFile(os.path.join(a, "ph.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    for f in files:
        z.write(os.path.join(a, "ph", f), f)
# ImageNet style: one tar of per-class tars, members without folders.
with tarfile.open(os.path.join(a, "inet.tar"), "w") as outer:
    for cls in sorted({f.split("/")[0] for f in files}):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as inner:
            for f in files:
                if f.startswith(cls + "/"):
                    inner.add(os.path.join(a, "ph", f), f.split("/", 1)[1])
        ti = tarfile.TarInfo(cls + ".tar")
        ti.size = buf.tell()
        buf.seek(0)
        outer.addfile(ti, buf)
# WebDataset: key.jpg with key.cls (the class id as text) and a key.json.
with tarfile.open(os.path.join(a, "wds.tar"), "w") as t:
    classes = sorted({f.split("/")[0] for f in files})
    for i, f in enumerate(files):
        key = "%06d" % i
        for ext, data in ((".cls", str(classes.index(f.split("/")[0])).encode()),
                          (".jpg", open(os.path.join(a, "ph", f), "rb").read()),
                          (".json", b"{}")):
            ti = tarfile.TarInfo(key + ext)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
PYEOF

check "convert the folder" $CONV $AUG -o "$O/dir" "$A/ph"
for x in ph.tar ph.tgz ph.zip inet.tar; do
	check "convert $x" $CONV $AUG -o "$O/$x" "$A/$x"
	check "$x: same tensors and labels as the folder, in the same order" \
		$SAME "$O/dir" "$O/$x" --ordered
done
check "convert the WebDataset tar" $CONV $AUG -o "$O/wds" "$A/wds.tar"
check "WebDataset: .cls labels give the folder's ids, same tensors" \
	$SAME "$O/dir" "$O/wds" --ordered --ids-only
check "WebDataset with --wds-feature json" $CONV $AUG --wds-feature json -o "$O/wdsj" "$A/wds.tar"
check "... same tensors and ids, and the json member as a feature" $PY - "$O/wdsj" "$O/wds" <<'PYEOF'
import glob, sys, tfrec_read as tr
def get(p):
    return [ex for f in sorted(glob.glob(p + "-*.tfrecord")) for ex in tr.read_examples(f)]
a, b = get(sys.argv[1]), get(sys.argv[2])
assert len(a) == len(b) == 6
def norm(v):
    return [e if isinstance(e, bytes) else float(e) for e in v]
for x, y in zip(a, b):
    assert x.pop("json") == [b"{}"], x.keys()
    assert sorted(x) == sorted(y) and all(norm(x[k]) == norm(y[k]) for k in x)
PYEOF
gzip -c "$A/wds.tar" >"$A/wds.tgz"
$CONV $AUG --wds-feature json --shuffle --shards 2 -j 1 -o "$O/wdsz1" "$A/wds.tgz"
$CONV $AUG --wds-feature json --shuffle --shards 2 -j 2 -o "$O/wdsz2" "$A/wds.tgz"
$CONV $AUG --wds-feature json --shuffle --shards 2 -j 1 -o "$O/wdsp" "$A/wds.tar"
check "WebDataset features from a tar.gz: -j 1 equals -j 2 and the plain tar" sh -c \
	'cmp "$1-00000-of-00002.tfrecord" "$2-00000-of-00002.tfrecord" && cmp "$1-00001-of-00002.tfrecord" "$2-00001-of-00002.tfrecord" && cmp "$1-00001-of-00002.tfrecord" "$3-00001-of-00002.tfrecord"' \
	sh "$O/wdsz1" "$O/wdsz2" "$O/wdsp"
check "ImageNet style: classes from the inner tars' names" cmp "$O/dir.labels.txt" "$O/inet.tar.labels.txt"
check "ImageNet style: image/filename is the member, names carry the chain" $PY - "$O/inet.tar" <<'PYEOF'
import glob, sys, tfrec_read as tr
names = [ex["image/filename"][0].decode() for f in glob.glob(sys.argv[1] + "-*.tfrecord")
         for ex in tr.read_examples(f)]
assert names and all("/" not in n and ":" not in n for n in names), names
PYEOF
if command -v zstd >/dev/null 2>&1; then
	tar --sort=name -cf - -C "$A/ph" . | zstd -q >"$A/ph.tar.zst"
	check "convert tar.zst" $CONV $AUG -o "$O/zst" "$A/ph.tar.zst"
	check "tar.zst: same tensors and labels as the folder" $SAME "$O/dir" "$O/zst" --ordered
else
	ok "# SKIP zstd is not installed (tar.zst)"
	ok "# SKIP zstd is not installed (tar.zst)"
fi

# Recognized from bytes, not names.
cp "$A/ph.tgz" "$A/photos.jpg"
cp "$A/ph.tar" "$A/archive.bin"
check "a tar.gz named .jpg is read as an archive" $CONV $AUG -o "$O/named" "$A/photos.jpg"
check "... with the same records" $SAME "$O/dir" "$O/named" --ordered
check "a tar named .bin is read as an archive" $CONV $AUG -o "$O/bin" "$A/archive.bin"

# Same bytes for every -j, --part and reading order (indexed plain tar,
# and compressed ones, shuffled through the spool).
for x in ph.tar ph.tgz ph.zip inet.tar; do
	$CONV $AUG --copies 2 --shuffle --shards 3 -j 1 -o "$O/j1-$x" "$A/$x"
	$CONV $AUG --copies 2 --shuffle --shards 3 -j 2 -o "$O/j2-$x" "$A/$x"
	$CONV $AUG --copies 2 --shuffle --shards 1 -j 2 -o "$O/b2-$x" "$A/$x"
	$CONV $AUG --copies 2 --shuffle --shards 3 --part 2/2 -o "$O/p-$x" "$A/$x"
	ok_all=1
	for s in 0 1 2; do
		cmp -s "$O/j1-$x-0000$s-of-00003.tfrecord" "$O/j2-$x-0000$s-of-00003.tfrecord" || ok_all=0
	done
	cmp -s "$O/j1-$x-00002-of-00003.tfrecord" "$O/p-$x-00002-of-00003.tfrecord" || ok_all=0
	if [ $ok_all = 1 ]; then ok "$x: -j 1, -j 2 and --part give equal shards"; else
		not_ok "$x: -j 1, -j 2 and --part give equal shards"; fi
	check "$x: shuffled batch mode holds the same records" $SAME "$O/j1-$x" "$O/b2-$x"
done

# Shuffled reads of compressed archives go through the spool (an unnamed
# plain tar beside the output): the same bytes as the plain tar, nested
# tar.gz members inside a plain tar too, nothing left behind, and the
# archive opened about once instead of once per record.
$PY - "$A" <<'PYEOF'
import io, os, sys, tarfile
a = sys.argv[1]
files = open(os.path.join(a, "files")).read().split()
for name, mode in (("inet.tar", "w"), ("inetz.tar", "w:gz")):
    with tarfile.open(os.path.join(a, "nest-" + name), "w") as outer:
        for cls in sorted({f.split("/")[0] for f in files}):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode=mode) as inner:
                for f in files:
                    if f.startswith(cls + "/"):
                        inner.add(os.path.join(a, "ph", f), f.split("/", 1)[1])
            ti = tarfile.TarInfo(cls + (".tar" if mode == "w" else ".tar.gz"))
            ti.size = buf.tell()
            buf.seek(0)
            outer.addfile(ti, buf)
PYEOF
mkdir -p "$O/spool"
for x in ph.tgz ph.zip nest-inetz.tar; do
	case $x in nest-*) ref=nest-inet.tar ;; *) ref=ph.tar ;; esac
	$CONV $AUG --copies 2 --shuffle --seed 7 --shards 2 -j 2 -o "$O/spool/ref-$x" "$A/$ref"
	check "$x --shuffle through the spool" $CONV $AUG --copies 2 --shuffle --seed 7 --shards 2 -j 2 \
		-o "$O/spool/s-$x" "$A/$x"
	check "... the same shards as $ref" sh -c 'cmp "$1-00000-of-00002.tfrecord" "$2-00000-of-00002.tfrecord" && cmp "$1-00001-of-00002.tfrecord" "$2-00001-of-00002.tfrecord"' \
		sh "$O/spool/ref-$x" "$O/spool/s-$x"
done
check "the spool leaves nothing in the output folder" sh -c \
	'test -z "$(ls -A "$1" | grep -v -e "\.tfrecord\$" -e "\.json\$" -e "\.labels\.txt\$")"' sh "$O/spool"
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=openat -o "$TMP/opens" $CONV $AUG --shuffle --shards 2 -j 2 \
		-o "$O/spool/st" "$A/ph.tgz"
	check "a shuffled tar.gz is opened at most twice (listing, probe), not per record" \
		test "$(grep -c 'ph.tgz' "$TMP/opens")" -le 2
else
	ok "# SKIP strace is not installed (spool opens)"
fi
check "the spool's folder is the output's: a missing one is made first" \
	$CONV $AUG --shuffle -o "$O/nowhere/x" "$A/ph.tgz"
check "... and the run finishes there" test -s "$O/nowhere/x.json"

# --- hostile archives --------------------------------------------------------
H=$TMP/h
mkdir -p "$H/out" "$H/deep/er"
$PY - "$H" "$PHOTOS/cat/cat-800x600-2.jpg" <<'PYEOF'
import io, sys, tarfile, zipfile
h, img = sys.argv[1], open(sys.argv[2], "rb").read()
def add(t, name, data=img, **kw):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    for k, v in kw.items():
        setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data) if data else None)
with tarfile.open(h + "/hostile.tar", "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "ok/a.jpg")
    add(t, "../evil.jpg")
    add(t, "/tmp/abs-evil.jpg")
    add(t, "ok/../../../up.jpg")
    add(t, "ok/sym.jpg", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    add(t, "ok/hard.jpg", b"", type=tarfile.LNKTYPE, linkname="ok/a.jpg")
    add(t, "ok/fifo.jpg", b"", type=tarfile.FIFOTYPE)
    add(t, "ok/dev.jpg", b"", type=tarfile.CHRTYPE)
data = open(h + "/hostile.tar", "rb").read()
with tarfile.open(h + "/full.tar", "w") as t:
    for i in range(4):
        add(t, "c/%d.jpg" % i)
full = open(h + "/full.tar", "rb").read()
open(h + "/trunc.tar", "wb").write(full[: len(full) * 5 // 8])
open(h + "/hdrcut.tar", "wb").write(full[:700])
# A zip bomb: 64 MiB of zeros in 64 KB, named like an image.
with zipfile.ZipFile(h + "/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("bomb.jpg", b"\0" * (64 << 20))
PYEOF
cd "$H/deep/er" || exit 1
check_exit 1 "hostile tar: fails by default" $CONV --resize 8x8 -o "$H/out/x" "$H/hostile.tar"
err_has "... naming the '..' member in the archive" "hostile.tar:../evil.jpg': member name with a '..' part"
check "hostile tar: --on-error skip converts the safe member" $CONV --resize 8x8 --on-error skip -o "$H/out/x" "$H/hostile.tar"
err_has "... and names the absolute member" "hostile.tar:/tmp/abs-evil.jpg': absolute member name"
check "... exactly one record (links, FIFOs and devices are passed over)" $PY - "$H/out/x.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["records"] == 1, m["records"]
assert len(m["skipped"]) == 3, m["skipped"]
PYEOF
cd "$TMP" || exit 1
if [ -e "$H/evil.jpg" ] || [ -e "$H/deep/evil.jpg" ] || [ -e /tmp/abs-evil.jpg ] || [ -e "$H/up.jpg" ]; then
	not_ok "nothing is written outside the output"
else
	ok "nothing is written outside the output"
fi
check "the output folder holds only tfrec's files" sh -c \
	'[ "$(ls -A "$1" | grep -Ev "^x(-00000-of-00001\.tfrecord|\.json|\.labels\.txt|\.lock|\.state\.json)$")" = "" ]' sh "$H/out"

check_exit 1 "truncated tar: an error" $CONV --resize 8x8 -o "$H/out/t" "$H/trunc.tar"
err_has "... naming the archive and the byte offset" "trunc.tar"
err_has "... at a byte offset" "at byte"
check "truncated tar: --on-error skip keeps the members before the cut" $CONV --resize 8x8 --on-error skip -o "$H/out/t" "$H/trunc.tar"
check "... two whole members made it" $PY - "$H/out/t.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["records"] == 2, m
PYEOF
check_exit 1 "tar cut inside a header: an error" $CONV --resize 8x8 -o "$H/out/t" "$H/hdrcut.tar"
err_has "... naming it" "hdrcut.tar"
head -c 3000 "$A/ph.tgz" >"$H/cut.tgz"
check_exit 1 "truncated tar.gz: an error" $CONV --resize 8x8 -o "$H/out/t" "$H/cut.tgz"
err_has "... naming it" "cut.tgz"

check_exit 1 "zip bomb: refused at --max-file" $CONV --max-file 1M --resize 8x8 -o "$H/out/b" "$H/bomb.zip"
err_has "... naming the member and the limit" "bomb.zip:bomb.jpg': member of 67108864 bytes exceeds the limit of 1048576"
check_exit 1 "a zip bomb under --shuffle: refused while spooled" \
	$CONV --max-file 1M --resize 8x8 --shuffle -o "$H/out/bs" "$H/bomb.zip"
err_has "... naming the member and the limit" "bomb.zip:bomb.jpg': member of 67108864 bytes exceeds the limit of 1048576"

# The fuzz target of the sources (fuzz/fuzz-source.c) over every hostile
# file above and the archives and tables of this test.
R=${TOP_BUILDDIR:-.}/tests
if [ -x "$R/replay-source" ]; then
	set -- "$H" "$A/ph.tar" "$A/ph.tgz" "$A/ph.zip" "$A/inet.tar" "$A/wds.tar"
	[ -d "$TOP_SRCDIR/tests/fuzz-regress/source" ] && set -- "$@" "$TOP_SRCDIR/tests/fuzz-regress/source"
	check "replay-source over the hostile and test inputs" "$R/replay-source" "$@"
else
	ok "# SKIP tests/replay-source is not built"
fi

# --- inputs that are not regular files ------------------------------------------
if command -v mkfifo >/dev/null 2>&1 && mkfifo "$TMP/x.jpg" 2>/dev/null; then
	TO=
	command -v timeout >/dev/null 2>&1 && TO="timeout 60"
	check_exit 1 "a FIFO named x.jpg is refused, not read" $TO $CONV --resize 8x8 -o "$O/fifo" "$TMP/x.jpg"
	err_has "... saying why" "not a regular file"
	printf 'x.jpg 0\n' >"$TMP/fifo.list"
	check_exit 1 "a FIFO in a --list is refused, not read" $TO $CONV --resize 8x8 -o "$O/fifo" -l "$TMP/fifo.list"
	err_has "... naming it" "x.jpg': not a regular file"
	mkdir -p "$TMP/fifodir/c"
	mv "$TMP/x.jpg" "$TMP/fifodir/c/x.jpg"
	cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/fifodir/c/y.jpg"
	check "a FIFO in a folder is passed over" $TO $CONV --resize 8x8 -o "$O/fifo" "$TMP/fifodir"
else
	for i in 1 2 3 4 5; do ok "# SKIP mkfifo is not available"; done
fi

# --- files that fail to read are named in the manifest -------------------------
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/present.jpg"
printf 'present.jpg 0\nmissing.jpg 1\n' >"$TMP/miss.list"
check "--list, --on-error skip, --resize: a missing file is skipped" $CONV --on-error skip --resize 8x8 -l "$TMP/miss.list" -o "$O/miss"
err_has "... and named" "skipped '$TMP/missing.jpg': cannot open: No such file or directory"
check "... in the manifest too (not \"file\": \"\")" $PY - "$O/miss.json" "$TMP/missing.jpg" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert [s["file"] for s in m["skipped"]] == [sys.argv[2]], m["skipped"]
PYEOF
mkdir -p "$TMP/unread/c"
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/unread/c/ok.jpg"
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/unread/c/locked.jpg"
chmod 000 "$TMP/unread/c/locked.jpg"
if [ -r "$TMP/unread/c/locked.jpg" ]; then
	ok "# SKIP running as root: an unreadable file cannot be made"
	ok "# SKIP running as root: an unreadable file cannot be made"
else
	check "a file of the walk that cannot be read is skipped" $CONV --on-error skip --resize 8x8 -o "$O/unread" "$TMP/unread"
	check "... named in the manifest" $PY - "$O/unread.json" "$TMP/unread/c/locked.jpg" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert [s["file"] for s in m["skipped"]] == [sys.argv[2]], m["skipped"]
PYEOF
fi
chmod 644 "$TMP/unread/c/locked.jpg"

# --- labels ----------------------------------------------------------------
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/one.jpg"
printf 'one.jpg 100000000\n' >"$TMP/big.list"
check_exit 1 "a label of 10^8 is refused, not allocated" $CONV --resize 8x8 -o "$O/big" -l "$TMP/big.list"
err_has "... naming the limit" "label '100000000' exceeds the limit of 1048575"
printf 'one.jpg 1000\n' >"$TMP/k.list"
check "a label of 1000 is an id" $CONV --resize 8x8 -o "$O/k" -l "$TMP/k.list"
check "... 1001 names in the labels file" sh -c '[ "$(wc -l <"$1")" -eq 1001 ]' sh "$O/k.labels.txt"

NL=$TMP/nl
mkdir -p "$NL/a" "$NL/b
c" "$NL/d"
for d in a "b
c" d; do cp "$PHOTOS/cat/cat-800x600-2.jpg" "$NL/$d/1.jpg"; done
check_exit 1 "a class folder with a line break in its name is refused" $CONV --resize 8x8 -o "$O/nl" "$NL"
err_has "... saying why" "class name holds a line break"
check "with --on-error skip it is left out" $CONV --resize 8x8 --on-error skip -o "$O/nl" "$NL"
printf 'a\nd\n' >"$TMP/want-nl"
check "... and the ids of the other classes do not shift" cmp "$O/nl.labels.txt" "$TMP/want-nl"

# --- class maps across splits ------------------------------------------------------
mkdir -p "$TMP/val/goat" "$TMP/val2/goat" "$TMP/val2/dog"
cp "$PHOTOS"/goat/* "$TMP/val/goat/"
cp "$PHOTOS"/goat/* "$TMP/val2/goat/"
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/val2/dog/"
check "validation split with --classes train.labels.txt" $CONV --resize 8x8 --classes "$O/dir.labels.txt" -o "$O/val" "$TMP/val"
check "goat keeps the training id though cat is absent" $PY - "$O/val" "$O/dir" <<'PYEOF'
import glob, sys, tfrec_read as tr
def ids(p):
    return {ex["image/class/text"][0]: int(ex["image/class/label"][0])
            for f in glob.glob(p + "-*.tfrecord") for ex in tr.read_examples(f)}
v, t = ids(sys.argv[1]), ids(sys.argv[2])
assert v[b"goat"] == t[b"goat"] == 1, (v, t)
PYEOF
check "the labels file repeats the map" cmp "$O/val.labels.txt" "$O/dir.labels.txt"
$CONV --resize 8x8 -o "$O/val-nomap" "$TMP/val"
check "without --classes the ids shift (why the map exists)" $PY - "$O/val-nomap" <<'PYEOF'
import glob, sys, tfrec_read as tr
ids = {int(ex["image/class/label"][0]) for f in glob.glob(sys.argv[1] + "-*.tfrecord")
       for ex in tr.read_examples(f)}
assert ids == {0}, ids
PYEOF
check_exit 1 "a class the map lacks is an error" $CONV --resize 8x8 --classes "$O/dir.labels.txt" -o "$O/val2" "$TMP/val2"
err_has "... naming it" "class 'dog' is not in the class map"
check "--add-classes adds it at the end" $CONV --resize 8x8 --classes "$O/dir.labels.txt" --add-classes -o "$O/val2" "$TMP/val2"
err_has "... with a warning" "warning: class 'dog' is not in"
printf 'cat\ngoat\ndog\n' >"$TMP/want-val2"
check "... as id 2" cmp "$O/val2.labels.txt" "$TMP/want-val2"
printf 'cat\ncat\n' >"$TMP/dup-map"
check_exit 1 "a map naming a class twice is an error" $CONV --resize 8x8 --classes "$TMP/dup-map" -o "$O/dup" "$TMP/val"
check_exit 2 "--add-classes without --classes is a usage error" $CONV --add-classes -o "$O/u" "$TMP/val"

# --- label tables ---------------------------------------------------------------
# Kaggle style: an id column, a header with a quoted name, quoted fields
# holding the separator, a quote and a line break; rows in folder order.
$PY - "$A" <<'PYEOF'
import csv, json, os, sys
a = sys.argv[1]
files = open(os.path.join(a, "files")).read().split()
rows = [(f[:-4], f.split("/")[0], i, "note, %d \"q\"\nline two" % i) for i, f in enumerate(files)]
with open(os.path.join(a, "k.csv"), "w", newline="") as fh:
    w = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    w.writerow(["id", "label", "n", "the note, quoted"])
    w.writerows(rows)
with open(os.path.join(a, "k.tsv"), "w") as fh:
    fh.write("path\tlabel\n")
    for f in files:
        fh.write("ph/%s\t%s\n" % (f, f.split("/")[0]))
with open(os.path.join(a, "k.jsonl"), "w") as fh:
    for f in files:
        fh.write(json.dumps({"file": "ph/" + f, "label": f.split("/")[0]}) + "\n\n")
# multi-label: a delimited column, and the same as two columns
with open(os.path.join(a, "ml.csv"), "w") as fh:
    fh.write("path,tags,a,b\n")
    for f in files:
        c = f.split("/")[0]
        fh.write("ph/%s,\"%s;photo\",%s,photo\n" % (f, c, c))
PYEOF
check "a Kaggle-style CSV with --path-template" $CONV $AUG --table "$A/k.csv" \
	--path-template 'ph/{id}.jpg' --label-col label --extra-col n:int64 \
	--extra-col 'the note, quoted' -o "$O/csv"
check "CSV: same tensors and labels as the folder" $SAME "$O/dir" "$O/csv" --ordered
check "CSV: typed extra columns, quoted fields intact" $PY - "$O/csv" <<'PYEOF'
import glob, sys, tfrec_read as tr
exs = [ex for f in sorted(glob.glob(sys.argv[1] + "-*.tfrecord")) for ex in tr.read_examples(f)]
assert [int(ex["n"][0]) for ex in exs] == list(range(len(exs)))
assert exs[2]["the note, quoted"] == [b'note, 2 "q"\nline two'], exs[2]["the note, quoted"]
PYEOF
check "TSV with --path-col default" $CONV $AUG --table "$A/k.tsv" --label-col label -o "$O/tsv"
check "TSV: same as the folder" $SAME "$O/dir" "$O/tsv" --ordered
check "JSONL" $CONV $AUG --table "$A/k.jsonl" --path-col file --label-col label -o "$O/jsonl"
check "JSONL: same as the folder" $SAME "$O/dir" "$O/jsonl" --ordered
mkdir -p "$A/sub"
cp "$A/k.tsv" "$A/sub/rooted.tsv"
check "--root: paths relative to another folder" $CONV $AUG --table "$A/sub/rooted.tsv" --root "$A" --label-col label -o "$O/root"
check "... same as the folder" $SAME "$O/dir" "$O/root" --ordered
check "multi-label from a delimited column, with --multi-hot" $CONV --resize 8x8 --table "$A/ml.csv" --label-col tags --label-sep ';' --multi-hot -o "$O/ml"
check "multi-label from two columns" $CONV --resize 8x8 --table "$A/ml.csv" --label-col a,b --multi-hot -o "$O/ml2"
check "multi-label: int64 lists of ids and a multi-hot row" $PY - "$O/ml" "$O/ml2" <<'PYEOF'
import glob, sys, tfrec_read as tr
def get(p):
    return [(list(ex["image/class/label"]), ex["image/class/text"], list(ex["image/class/multi_hot"]))
            for f in sorted(glob.glob(p + "-*.tfrecord")) for ex in tr.read_examples(f)]
a, b = get(sys.argv[1]), get(sys.argv[2])
assert a == b, (a, b)
names = open(sys.argv[1] + ".labels.txt").read().split("\n")[:-1]
assert names == ["cat", "goat", "photo"], names
assert a[0] == ([0, 2], [b"cat", b"photo"], [1, 0, 1]), a[0]
assert a[-1] == ([1, 2], [b"goat", b"photo"], [0, 1, 1]), a[-1]
PYEOF

printf 'path,label,n\nph/cat/cat-800x600-2.jpg,cat,1\nph/cat/nope.jpg,cat,2\nph/goat/goat-320x320-2.jpg,,3\nph/goat/goat-640x640-1.jpg,goat,x4\n' >"$A/bad.csv"
check_exit 1 "a row whose file is missing is an error" $CONV --resize 8x8 --table "$A/bad.csv" --label-col label --extra-col n:int64 -o "$O/bad"
err_has "... naming the table, line and column" "'$A/bad.csv': line 3, column 'path': '$A/ph/cat/nope.jpg': No such file or directory"
check "with --on-error skip the bad rows are skipped" $CONV --resize 8x8 --on-error skip --table "$A/bad.csv" --label-col label --extra-col n:int64 -o "$O/bad"
err_has "... an empty label names its line and column" "line 4, column 'label': no label"
err_has "... a value that is not an int64 too" "line 5, column 'n': 'x4' is not an int64"
check "... one record made it" $PY - "$O/bad.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["records"] == 1 and len(m["skipped"]) == 3, m
PYEOF
printf 'path,label\nph/cat/cat-800x600-2.jpg,cat\n"ph/goat/goat-320x320-2.jpg,goat\n' >"$A/quote.csv"
check_exit 1 "a CSV with an unterminated quote is an error" $CONV --resize 8x8 --on-error skip --table "$A/quote.csv" --label-col label -o "$O/q"
err_has "... at its line and column" "quote.csv': line 3, column 1: unterminated quote"
$PY -c 'import sys; print("path,label"); print(",".join(["x"] * 100000))' >"$A/wide.csv"
check_exit 1 "a 100,000-column row is an error" $CONV --resize 8x8 --on-error skip --table "$A/wide.csv" --label-col label -o "$O/w"
err_has "... at its line" "wide.csv': line 2: more than 4096 columns"
check_exit 1 "a label column that is not in the header is an error" $CONV --resize 8x8 --table "$A/k.tsv" --label-col nope -o "$O/w"
err_has "... naming it" "no label column 'nope' in the header"
check_exit 1 "an extra column named like a feature convert writes is refused" $CONV --resize 8x8 --table "$A/k.tsv" --label-col label --extra-col image/filename -o "$O/w"
err_has "... saying why" "convert writes a feature of that name"
check_exit 2 "table options without --table are a usage error" $CONV --label-col label -o "$O/w" "$A/ph"

# --- TFRecord inputs -----------------------------------------------------------------
check "make an encoded TFRecord" $CONV --encoded -o "$O/enc" "$A/ph"
check "make a GZIP one in two shards" $CONV --encoded --shards 2 --compression gzip -o "$O/encgz" "$A/ph"
check "convert a TFRecord of encoded images" $CONV $AUG -o "$O/tfr" "$O/enc-00000-of-00001.tfrecord"
check "TFRecord: same tensors and label ids as the folder" $SAME "$O/dir" "$O/tfr" --ordered --ids-only
check "a quoted glob of GZIP TFRecords" $CONV $AUG -o "$O/tfrgz" "$O/encgz-*.tfrecord.gz"
check "... same tensors and label ids as the folder" $SAME "$O/dir" "$O/tfrgz" --ordered --ids-only
check "... image/filename carried over" $PY - "$O/tfrgz" <<'PYEOF'
import glob, sys, tfrec_read as tr
names = [ex["image/filename"][0] for f in sorted(glob.glob(sys.argv[1] + "-*.tfrecord"))
         for ex in tr.read_examples(f)]
assert names[0] == b"cat/cat-640x853-1.jpg", names
PYEOF
$PY - "$TOP_SRCDIR/tests/gen-records.py" "$O" "$PHOTOS/cat/cat-800x600-2.jpg" <<'PYEOF'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("gr", sys.argv[1])
gr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gr)
out, img = sys.argv[2], open(sys.argv[3], "rb").read()
def write(name, recs):
    open(out + "/" + name, "wb").write(b"".join(gr.frame(r) for r in recs))
# TFDS style: "image" and "label", plus a feature to keep.
write("tfds.tfrecord", [gr.example([("image", gr.feature_bytes([img])),
                                    ("label", gr.feature_int64([7])),
                                    ("id", gr.feature_bytes([b"x-%d" % i]))]) for i in range(3)])
write("od.tfrecord", [gr.example([("image/encoded", gr.feature_bytes([img])),
                                  ("image/object/bbox/xmin", gr.feature_float([0.1]))])])
write("mixed.tfrecord", [gr.example([("image/encoded", gr.feature_bytes([img]))]),
                         b"\xff\xff not an example",
                         gr.example([("other", gr.feature_bytes([img]))])])
PYEOF
check "TFDS keys: --image-key image, --keep id" $CONV --resize 8x8 --image-key image --keep id -o "$O/tfds" "$O/tfds.tfrecord"
check "... label 7 kept, id copied" $PY - "$O/tfds" <<'PYEOF'
import glob, sys, tfrec_read as tr
exs = [ex for f in glob.glob(sys.argv[1] + "-*.tfrecord") for ex in tr.read_examples(f)]
assert [int(ex["image/class/label"][0]) for ex in exs] == [7, 7, 7]
assert [ex["id"][0] for ex in exs] == [b"x-0", b"x-1", b"x-2"], exs
PYEOF
check_exit 1 "without --image-key the TFDS record is an error" $CONV --resize 8x8 -o "$O/tfds2" "$O/tfds.tfrecord"
err_has "... naming file, record and offset" "tfds.tfrecord': record 0 at byte 0: no image bytes under the image key"
check_exit 1 "an incomplete TF Object Detection API box is refused" $CONV --resize 8x8 -o "$O/od" "$O/od.tfrecord"
err_has "... saying why" "image/object/bbox lists are incomplete"
check "a record that is not an Example is skipped with its position" $CONV --resize 8x8 --on-error skip -o "$O/mixed" "$O/mixed.tfrecord"
check "... by index and byte offset" $PY - "$O/mixed.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["records"] == 1, m
reasons = [s["reason"] for s in m["skipped"]]
assert any("record 1 at byte" in r and "not an Example" in r for r in reasons), reasons
assert any("record 2 at byte" in r for r in reasons), reasons
PYEOF
check_exit 1 "--keep of a feature convert writes is refused" $CONV --resize 8x8 --keep image/filename -o "$O/k2" "$O/enc-00000-of-00001.tfrecord"

done_testing
