#!/bin/sh
# formats.sh - images/s of tfrec convert on real photos, per format, each
# against a bare TurboJPEG full-size decode of the same photos measured
# in the same run (the ratio is what to compare between machines).
#
#   sh bench/formats.sh
#
# The photos are ../shared/testdata/dataset/dali-coco/images (58 real
# ~1280x853 JPEGs from Pixabay, 41 progressive, all 4:2:0), listed
# BENCH_REPEAT times (default 5) for a steadier run.  The WebP (lossy,
# quality 90) and TIFF (RGB, LZW) copies are made from the same photos
# with Pillow.  Each of three rounds runs everything once in turn; the
# best of each is kept.  Single-thread figures are by CPU time (user +
# system), which a busy neighbour does not inflate.  -j 2 is compared with
# two TurboJPEG decodes running at once, the machine's own parallel speed
# (two vCPUs that share one core cannot scale, whatever the code does).
# A measurement, never a test: nothing here fails on a slow machine.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
TFREC=$top/tfrec
PY=/usr/bin/python3
SRC=${BENCH_PHOTOS:-$top/../shared/testdata/dataset/dali-coco/images}
TJ=$top/bench/tjdecode
[ -x "$TJ" ] || TJ=$top/scripts/tjdecode
RSSPY=$top/bench/peak-rss.py
[ -f "$RSSPY" ] || RSSPY=$top/scripts/peak-rss.py
D=${BENCH_DIR:-$top/bench-data}/formats
rep=${BENCH_REPEAT:-5}
if [ ! -d "$SRC" ]; then
	echo "formats.sh: no photos at $SRC (set BENCH_PHOTOS)" >&2
	exit 1
fi
[ -x "$TJ" ] || { echo "formats.sh: build tjdecode first (make)" >&2; exit 1; }
rm -rf "$D"
mkdir -p "$D/jpeg" "$D/webp" "$D/tiff" "$D/jpeg-base" "$D/jpeg-prog"
$PY - "$SRC" "$D" "$rep" <<'PYEOF'
import glob, os, sys
from PIL import Image
src, d, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
for f in sorted(glob.glob(os.path.join(src, "*.jpg"))):
    b = os.path.splitext(os.path.basename(f))[0]
    im = Image.open(f)
    kind = "jpeg-prog" if im.info.get("progressive") or im.info.get("progression") else "jpeg-base"
    rgb = im.convert("RGB")
    rgb.save(os.path.join(d, "webp", b + "-0.webp"), quality=90)
    rgb.save(os.path.join(d, "tiff", b + "-0.tif"), compression="tiff_lzw")
    for k in range(rep):
        for sub in ("jpeg", kind):
            os.symlink(f, os.path.join(d, sub, "%s-%d.jpg" % (b, k)))
    for ext in ("webp", "tif"):
        sub = "webp" if ext == "webp" else "tiff"
        for k in range(1, rep):
            os.symlink(b + "-0." + ext, os.path.join(d, sub, "%s-%d.%s" % (b, k, ext)))
PYEOF
cat "$SRC"/*.jpg "$D"/webp/*-0.webp "$D"/tiff/*-0.tif >/dev/null
args="-q --no-fsync --resize-short 256 --crop 224x224 --shards 8"

cpu() { # CPU seconds (user + system) of "$@"
	$PY "$RSSPY" "$@" 2>&1 >/dev/null | sed -n 's/^cpu_seconds //p'
}
conv() { # conv J DIR: CPU seconds, then wall seconds, of one convert
	rm -rf "$D/out" && mkdir -p "$D/out" && sync
	$PY "$RSSPY" "$TFREC" convert -j "$1" $args -o "$D/out/c" "$2" 2>&1 >/dev/null |
		sed -n 's/^cpu_seconds //p; s/^wall_seconds //p' | tr '\n' ' '
}
R=$D/rounds.txt
: >"$R"
for round in 1 2 3; do
	for sub in jpeg jpeg-base jpeg-prog; do
		# shellcheck disable=SC2046
		echo "tj1 $sub $("$TJ" $(ls "$D/$sub"/*.jpg))" >>"$R"
		# the same decode at 4/8 (the scale this job needs: 853 rows
		# to a 256-row short side) and at 1/8 (almost only entropy
		# decoding, which every scale must do: the ceiling)
		for s in 4 1; do
			# shellcheck disable=SC2046
			echo "tjs$s $sub $("$TJ" -s $s $(ls "$D/$sub"/*.jpg))" >>"$R"
		done
	done
	# two full-size decodes at once: the machine's own parallel speed
	files=$(ls "$D/jpeg"/*.jpg)
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$TJ" $files >/dev/null & "$TJ" $files >/dev/null; wait
	e=$(date +%s.%N)
	echo "tj2 jpeg $(echo "2 * $(echo "$files" | wc -l) / ($e - $s)" | bc -l)" >>"$R"
	for sub in jpeg jpeg-base jpeg-prog webp tiff; do
		echo "c1 $sub $(conv 1 "$D/$sub")" >>"$R"
	done
	echo "c2 jpeg $(conv 2 "$D/jpeg")" >>"$R"
done
$PY - "$R" "$D" <<'PYEOF'
import os, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
d = sys.argv[2]
n = {s: len(os.listdir(os.path.join(d, s))) for s in ("jpeg", "jpeg-base", "jpeg-prog", "webp", "tiff")}
tj = {s: max(float(r[3]) for r in rows if r[0] == "tj1" and r[1] == s) for s in ("jpeg", "jpeg-base", "jpeg-prog")}
tj2 = max(float(r[2]) for r in rows if r[0] == "tj2")
tjs = {(k, s): max(float(r[3]) for r in rows if r[0] == "tjs%d" % k and r[1] == s)
       for k in (4, 1) for s in ("jpeg", "jpeg-base", "jpeg-prog")}
def c(kind, s, col):
    return min(float(r[col]) for r in rows if r[0] == kind and r[1] == s)
print("real photos: %d JPEGs (%d baseline, %d progressive) x %d, ~1280x853, 4:2:0"
      % (n["jpeg"] // int(os.environ.get("BENCH_REPEAT", "5")), n["jpeg-base"] // int(os.environ.get("BENCH_REPEAT", "5")),
         n["jpeg-prog"] // int(os.environ.get("BENCH_REPEAT", "5")), int(os.environ.get("BENCH_REPEAT", "5"))))
print("convert --resize-short 256 --crop 224x224, float16; images per CPU-second")
print("                                        images/s   vs TurboJPEG full-size decode of the same JPEGs")
for s, label in (("jpeg", "all"), ("jpeg-base", "baseline"), ("jpeg-prog", "progressive")):
    print("  TurboJPEG full-size decode, %-11s %7.1f" % (label, tj[s]))
for k in (4, 1):
    for s, label in (("jpeg", "all"), ("jpeg-base", "baseline"), ("jpeg-prog", "progressive")):
        print("  TurboJPEG %d/8-scale decode, %-11s%7.1f   %.2fx" % (k, label, tjs[(k, s)], tjs[(k, s)] / tj[s]))
for s, label in (("jpeg", "JPEG, all"), ("jpeg-base", "JPEG, baseline"), ("jpeg-prog", "JPEG, progressive"),
                 ("webp", "WebP (lossy q90)"), ("tiff", "TIFF (RGB, LZW)")):
    ips = n[s] / c("c1", s, 2)
    base = tj[s] if s in tj else tj["jpeg"]
    print("  tfrec convert -j 1, %-19s %7.1f   %.2fx" % (label, ips, ips / base))
j2 = n["jpeg"] / c("c2", "jpeg", 3)
j1w = n["jpeg"] / c("c1", "jpeg", 3)
tjw = max(float(r[2]) for r in rows if r[0] == "tj1" and r[1] == "jpeg")
print("  one TurboJPEG decode (wall)             %7.1f" % tjw)
print("  two TurboJPEG decodes at once (wall)    %7.1f   %.2fx one decode (wall)" % (tj2, tj2 / tjw))
print("  tfrec convert -j 2, JPEG (wall)         %7.1f   %.2fx -j 1 (wall), %.2fx two decodes at once"
      % (j2, j2 / j1w, j2 / tj2))
PYEOF
