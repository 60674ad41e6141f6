#!/bin/sh
# coco-rss.sh - peak memory of `tfrec convert --annotations` on a COCO
# instances file of many annotations (issue 14: 100,000 annotations in
# under 128 MiB; issue 21: 1,000,000 polygon instances with --masks in at
# most 128 MiB).  Not a test: it writes N/8 hard links and shards.
#
#   sh bench/coco-rss.sh [N]      (N annotations, default 1000000)
#
# The --masks run holds every segmentation of the file (spooled to an
# unnamed file beside the output, annot.h) but draws only the masks of
# its own part: --shards 256 --part 1/256, so that drawing 1,000,000
# 640x480 masks (about an hour on two cores) does not hide what is
# measured, the memory the annotations take.
#
# The file comes from tests/gen-annot.py (polygons of 12 points, 8
# annotations an image); every image is a hard link to one small JPEG,
# since the annotations, not the pixels, are what is measured.  Prints the
# annotation file's size, the peak RSS of a convert in encoded mode and
# of a raw convert with resize, crop and flip, and of converting the same
# images with no annotations, as the baseline measured in the same run.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
n=${1:-1000000}
PY=python3
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1; then PY=$p; break; fi
done
RSS=$top/bench/peak-rss.py
[ -f "$RSS" ] || RSS=$top/scripts/peak-rss.py
# TFREC: the binary measured (default ./tfrec), e.g. an older build.
T=${TFREC:-./tfrec}
[ -x "$T" ] || { echo "coco-rss: build tfrec first" >&2; exit 1; }
W=${TMPDIR:-/tmp}/tfrec-coco-rss.$$
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/images" "$W/out1" "$W/out2" "$W/out0" "$W/out3"
$PY tests/gen-annot.py big "$W/instances.json" "$n"
$PY - "$W/one.ppm" <<'PYEOF'
import sys
w, h = 640, 480
def row(y):
    return b"".join(bytes((x * 255 // w, y * 255 // h, 96)) for x in range(w))
with open(sys.argv[1], "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h) + b"".join(row(y) for y in range(h)))
PYEOF
cjpeg -quality 80 "$W/one.ppm" >"$W/one.jpg"
nimg=$(( n / 8 > 0 ? n / 8 : 1 ))
# One process for the links: a fork each would take minutes at 125,000.
# A file has at most 65,000 links on ext4: a new copy every 60,000.
$PY - "$W" "$nimg" <<'PYEOF'
import os, shutil, sys
w, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    src = os.path.join(w, "one-%d.jpg" % (i // 60000))
    if i % 60000 == 0:
        shutil.copyfile(os.path.join(w, "one.jpg"), src)
    os.link(src, os.path.join(w, "images", "%08d.jpg" % i))
PYEOF
size=$(stat -c %s "$W/instances.json")
echo "coco-rss: $n annotations, $nimg images, $((size / 1048576)) MiB of JSON"
run() {
	label=$1
	shift
	"$PY" "$RSS" "$@" 2>"$W/rss" >/dev/null || { cat "$W/rss"; exit 1; }
	mib=$(sed -n 's/^peak_rss_mib //p' "$W/rss")
	secs=$(sed -n 's/^wall_seconds //p' "$W/rss")
	echo "coco-rss: $label: peak RSS $mib MiB, $secs s" >&2
	echo "$mib"
}
base=$(run "baseline (the images, no annotations, --encoded)" "$T" convert -q --no-fsync -j 2 \
	--encoded -o "$W/out0/r" "$W/images")
enc=$(run "--annotations, --encoded" "$T" convert -q --no-fsync -j 2 --annotations "$W/instances.json" \
	--images "$W/images" --encoded -o "$W/out1/r")
raw=$(run "--annotations, resize 256, crop 224, flip" "$T" convert -q --no-fsync -j 2 \
	--annotations "$W/instances.json" --images "$W/images" --resize-short 256 --crop 224x224 \
	--random-crop --flip --min-box-visible 0.3 -o "$W/out2/r")
masks=$(run "--annotations, --masks, --encoded, part 1/256" "$T" convert -q --no-fsync -j 2 \
	--annotations "$W/instances.json" --images "$W/images" --masks --encoded \
	--shards 256 --part 1/256 -o "$W/out3/r")
echo "coco-rss: annotations cost $(echo "$enc - $base" | bc) MiB over the baseline," \
	"with masks $(echo "$masks - $base" | bc) MiB; under 128 MiB:" \
	"$(echo "$enc < 128 && $raw < 128 && $masks < 128" | bc | sed 's/1/yes/; s/0/NO/')"
