#!/bin/sh
# size-table.sh - what each storage choice costs, on real photos: bytes
# per record, images/s to write, records/s to read and decode in Python,
# and the mean absolute pixel error against float16.  Produces the size
# table of README.md.
#
#   sh bench/size-table.sh [PHOTOS_DIR] [COPIES]
#
# PHOTOS_DIR defaults to ../shared/testdata/dataset/dali-coco/images (60
# photos of about 1280 pixels); COPIES (default 5) repeats them so that
# runs last long enough to time.  Every choice is converted with the
# same --resize-short 256 --crop 224x224 -j 1 in alternation, three
# rounds, best of each; speeds are also given as ratios to float16
# measured in the same run, since this machine's speed moves between runs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
TFREC=${TFREC:-$here/tfrec}
photos=${1:-$here/../shared/testdata/dataset/dali-coco/images}
copies=${2:-5}
PY=
for p in ${PYTHON3:-} /usr/bin/python3 python3; do
	if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy, PIL' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "size-table.sh: needs python3 with numpy and PIL" >&2; exit 1; }
[ -d "$photos" ] || { echo "size-table.sh: no photos in '$photos'" >&2; exit 1; }
photos=$(cd "$photos" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/tfrec-size.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A flat input needs a class folder; link the photos into one.
mkdir -p "$work/in/photos"
for f in "$photos"/*; do ln -s "$f" "$work/in/photos/"; done
COMMON="-q --no-fsync -j 1 --resize-short 256 --crop 224x224 --random-crop --flip --copies $copies --shards 4"
CHOICES="float16 uint8 jpeg:90 webp:90"
opts_of() {
	case $1 in
	float16) echo "--normalize unit" ;;
	uint8) echo "--dtype uint8" ;;
	*) echo "--store $1" ;;
	esac
}
now() { "$PY" -c 'import time; print(time.perf_counter())'; }
for round in 1 2 3; do
	for c in $CHOICES; do
		d="$work/$c.$round"
		mkdir -p "$d"
		sync
		t0=$(now)
		# shellcheck disable=SC2086
		"$TFREC" convert $COMMON $(opts_of "$c") -o "$d/t" "$work/in"
		t1=$(now)
		echo "$c $round $t0 $t1" >>"$work/times"
	done
done
"$PY" - "$work" "$here/scripts" "$CHOICES" "$copies" <<'PYEOF'
import glob, io, json, os, sys, time
import numpy as np
from PIL import Image
work, scripts, choices, copies = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4])
sys.path.insert(0, scripts)
import tfrec_read as tr

best = {}
for line in open(os.path.join(work, "times")):
    c, r, t0, t1 = line.split()
    best[c] = min(best.get(c, 1e9), float(t1) - float(t0))

def images(c):
    """Decoded 224x224x3 pixels on the 0..255 scale, record by record."""
    for shard in sorted(glob.glob(os.path.join(work, c + ".1", "t-*.tfrecord"))):
        for ex in tr.read_examples(shard):
            if "image/raw" in ex:
                a = tr.decode_image(ex).astype(np.float32)
                yield a * 255.0 if ex["image/dtype"][0] != b"uint8" else a
            else:
                yield np.asarray(Image.open(io.BytesIO(ex["image/encoded"][0])).convert("RGB"), dtype=np.float32)

def read_rate(c):
    """Records/s to read and decode into an array, best of three."""
    b = 1e9
    for _ in range(3):
        t0 = time.perf_counter()
        n = sum(1 for _ in images(c))
        b = min(b, time.perf_counter() - t0)
    return n / b

man = {c: json.load(open(os.path.join(work, c + ".1", "t.json"))) for c in choices}
n = man["float16"]["records"]
ref = list(images("float16"))
rows = []
for c in choices:
    size = sum(s["bytes"] for s in man[c]["shards"]) / man[c]["records"]
    err = float(np.mean([np.abs(a - r).mean() for a, r in zip(images(c), ref)]))
    rows.append((c, size, n / best[c], read_rate(c), err))
base_w, base_r = rows[0][2], rows[0][3]
print("%d records, 224x224x3: %d photos x %d copies" % (n, n // copies, copies))
print("| stored as | bytes/record | images/s to write | records/s to read (Python) | mean abs. error vs float16 (0..255) |")
print("|---|---|---|---|---|")
for c, size, w, r, e in rows:
    print("| %s | %d (%.1fx smaller) | %.0f (%.2fx) | %.0f (%.2fx) | %.3f |" % (
        c, size, rows[0][1] / size, w, w / base_w, r, r / base_r, e))
PYEOF
