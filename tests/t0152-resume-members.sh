#!/bin/sh
# t0152-resume-members: --resume never keeps a shard made from an archive
# member or a TFRecord record whose bytes have changed since.  For a
# tar, a tar.gz, a zip, a tar of tars and a TFRecord input: convert into
# 2 shards, replace one member's bytes (same name, same size, same
# member mtime) and rebuild the container, then --resume with the same
# options must rebuild, and every shard must equal a fresh run's bytes.
# The container's own identity (device, inode, size, mtime in ns) is what
# tells the rebuilt one apart (tfrec-convert(1) RESUME); an unchanged
# input keeps its shards.  An annotation file changed under unchanged
# images is rebuilt too.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
CONV="$TFREC convert --no-fsync --resize 4x4 --shards 2"
A=$TMP/a
mkdir -p "$A"

# make VERSION: the containers of 6 small PPM images in two classes, all
# members with the same mtime; in version 2, cls1/c2.ppm has other pixels
# of the same count.
make() {
	$PY - "$A" "$1" <<'PYEOF'
import io, os, sys, tarfile, zipfile
a, version = sys.argv[1], int(sys.argv[2])
MTIME = 1700000000
members = []
for cls in ("cls0", "cls1"):
    for k in range(3):
        name = "%s/c%d.ppm" % (cls, k)
        seed = 7 * k + (cls == "cls1") * 50
        if version == 2 and name == "cls1/c2.ppm":
            seed += 101
        px = bytes((seed * 31 + i * 13) % 256 for i in range(8 * 8 * 3))
        members.append((name, b"P6\n8 8\n255\n" + px))
        d = os.path.join(a, "dir%d" % version, cls)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "c%d.ppm" % k), "wb") as f:
            f.write(members[-1][1])

def tar_bytes(items):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for name, data in items:
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            ti.mtime = MTIME
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()

def write(name, data):
    # In place, as tar -cf would: same path, same inode.
    with open(os.path.join(a, name), "r+b" if os.path.exists(os.path.join(a, name)) else "wb") as f:
        f.truncate(0)
        f.write(data)

write("set.tar", tar_bytes(members))
import gzip
write("set.tgz", gzip.compress(tar_bytes(members), mtime=MTIME))
zbuf = io.BytesIO()
with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_STORED) as z:
    for name, data in members:
        zi = zipfile.ZipInfo(name, date_time=(2023, 11, 14, 22, 13, 20))
        z.writestr(zi, data)
write("set.zip", zbuf.getvalue())
inner = [(cls + ".tar", tar_bytes([(n.split("/", 1)[1], d) for n, d in members if n.startswith(cls + "/")]))
         for cls in ("cls0", "cls1")]
write("nested.tar", tar_bytes(inner))
PYEOF
}

same_shards() {
	for s in "$1"-*-of-*; do
		[ -f "$s" ] || return 1
		f=$2${s#"$1"}
		cmp -s "$s" "$f" || { echo "# $s differs from $f"; return 1; }
	done
	a=$(cat "$1"-*-of-* | sha256sum)
	b=$(cat "$2"-*-of-* | sha256sum)
	[ "$a" = "$b" ]
}

make 1
# The TFRecord input: the images' own bytes as image/encoded records.
check "a TFRecord of the images" $TFREC convert -q --no-fsync --encoded --shards 1 -o "$A/rec" "$A/dir1"
mv "$A/rec"-00000-of-00001.tfrecord "$A/set.tfrecord"
for x in set.tar set.tgz set.zip nested.tar set.tfrecord; do
	mkdir -p "$TMP/r-$x" "$TMP/f-$x"
	check "$x: convert into 2 shards" $CONV -o "$TMP/r-$x/p" "$A/$x"
	check "$x: --resume of an unchanged input" $CONV --resume -o "$TMP/r-$x/p" "$A/$x"
	err_has "$x: keeps both shards" "(2 kept by --resume)"
done
cp "$A/set.tar" "$A/before.tar"

make 2
check "a TFRecord of the changed images" $TFREC convert -q --no-fsync --encoded --shards 1 -o "$A/rec" "$A/dir2"
# Same name, same size: the record's bytes changed in place.
cat "$A/rec"-00000-of-00001.tfrecord >"$A/set.tfrecord"
check "the rebuilt tar has the same size" test "$(wc -c <"$A/set.tar")" -eq "$(wc -c <"$A/before.tar")"
if cmp -s "$A/set.tar" "$A/before.tar"; then not_ok "the rebuilt tar differs"; else ok "the rebuilt tar differs"; fi
for x in set.tar set.tgz set.zip nested.tar set.tfrecord; do
	check "$x: --resume after a member changed" $CONV --resume -o "$TMP/r-$x/p" "$A/$x"
	if grep -qF "kept by --resume" "$TMP/.err"; then
		not_ok "$x: no shard kept"
	else
		ok "$x: no shard kept"
	fi
	check "$x: a fresh run" $CONV -o "$TMP/f-$x/p" "$A/$x"
	check "$x: the resumed shards equal the fresh run's bytes" same_shards "$TMP/r-$x/p" "$TMP/f-$x/p"
done

# --- an annotation file changed, its images not ----------------------------
mkdir -p "$TMP/det/img" "$TMP/r-det"
cp "$A"/dir1/cls0/*.ppm "$TMP/det/img/"
box() {
	printf 'filename,width,height,class,xmin,ymin,xmax,ymax\n' >"$TMP/det/img/boxes.csv"
	for k in 0 1 2; do
		printf 'c%d.ppm,8,8,cat,1,1,%d,6\n' "$k" "$1" >>"$TMP/det/img/boxes.csv"
	done
}
box 5
check "csv boxes: convert into 2 shards" $CONV --annotations "$TMP/det/img/boxes.csv" -o "$TMP/r-det/p"
box 7
check "csv boxes: --resume after a box changed" $CONV --annotations "$TMP/det/img/boxes.csv" --resume -o "$TMP/r-det/p"
if grep -qF "kept by --resume" "$TMP/.err"; then
	not_ok "csv boxes: no shard kept"
else
	ok "csv boxes: no shard kept"
fi
mkdir -p "$TMP/f-det"
check "csv boxes: a fresh run" $CONV --annotations "$TMP/det/img/boxes.csv" -o "$TMP/f-det/p"
check "csv boxes: the resumed shards equal the fresh run's bytes" same_shards "$TMP/r-det/p" "$TMP/f-det/p"

done_testing
