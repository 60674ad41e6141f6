#!/bin/sh
# coco-rss.sh - peak memory of `tfrec convert --annotations` on a COCO
# instances file of many annotations (issue 14: 100,000 annotations in
# under 128 MiB).  Not a test: it writes ~13,000 hard links and a shard.
#
#   sh bench/coco-rss.sh [N]      (N annotations, default 100000)
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
n=${1:-100000}
PY=python3
for p in /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1; then PY=$p; break; fi
done
RSS=$top/bench/peak-rss.py
[ -f "$RSS" ] || RSS=$top/scripts/peak-rss.py
[ -x ./tfrec ] || { echo "coco-rss: build tfrec first" >&2; exit 1; }
W=${TMPDIR:-/tmp}/tfrec-coco-rss.$$
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/images" "$W/out1" "$W/out2" "$W/out0"
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
i=0
while [ $i -lt $nimg ]; do
	ln "$W/one.jpg" "$W/images/$(printf '%08d' $i).jpg"
	i=$((i + 1))
done
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
base=$(run "baseline (the images, no annotations, --encoded)" ./tfrec convert -q --no-fsync -j 2 \
	--encoded -o "$W/out0/r" "$W/images")
enc=$(run "--annotations, --encoded" ./tfrec convert -q --no-fsync -j 2 --annotations "$W/instances.json" \
	--images "$W/images" --encoded -o "$W/out1/r")
raw=$(run "--annotations, resize 256, crop 224, flip" ./tfrec convert -q --no-fsync -j 2 \
	--annotations "$W/instances.json" --images "$W/images" --resize-short 256 --crop 224x224 \
	--random-crop --flip --min-box-visible 0.3 -o "$W/out2/r")
echo "coco-rss: annotations cost $(echo "$enc - $base" | bc) MiB over the baseline; under 128 MiB:" \
	"$(echo "$enc < 128 && $raw < 128" | bc | sed 's/1/yes/; s/0/NO/')"
