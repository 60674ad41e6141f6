#!/bin/sh
# t0180-store: convert --store jpeg|png|webp keeps the preprocessed image
# encoded (image/encoded, image/format): PNG and lossless WebP decode to
# exactly the pixels of --dtype uint8, JPEG and lossy WebP to within a
# small error; -j 1 and -j 2 give the same bytes; the projection line;
# options that cannot apply are usage errors.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
if ! "$PY" -c 'import PIL.Image, PIL.features; assert PIL.features.check("webp")' 2>/dev/null; then
	echo "1..0 # SKIP python3 PIL with WebP is not installed"; exit 0
fi
export PYTHONPATH="$TOP_SRCDIR/scripts"
PHOTOS=$TOP_SRCDIR/sample-data/photos
mkdir -p "$TMP/o"
A="-q --no-fsync --resize-short 72 --crop 64x48 --random-crop --flip --copies 2 --seed 3 --shards 3"
# shellcheck disable=SC2086
"$TFREC" convert $A --dtype uint8 -o "$TMP/o/u8" "$PHOTOS"
for s in png webp:lossless jpeg jpeg:75 webp:90; do
	n=$(echo "$s" | tr : _)
	# shellcheck disable=SC2086
	check "--store $s" "$TFREC" convert $A -j 1 --store "$s" -o "$TMP/o/$n" "$PHOTOS"
	# shellcheck disable=SC2086
	"$TFREC" convert $A -j 2 --store "$s" -o "$TMP/o/$n-j2" "$PHOTOS"
	same=1
	for f in "$TMP"/o/"$n"-0*.tfrecord; do
		cmp -s "$f" "$(echo "$f" | sed "s|/$n-0|/$n-j2-0|")" || same=0
	done
	[ $same = 1 ] && ok "--store $s: -j 1 and -j 2 give the same bytes" || not_ok "--store $s: -j 1 and -j 2 give the same bytes"
	case $s in png|webp:lossless) max=0 ;; *) max=6 ;; esac
	check "--store $s: decodes to the uint8 pixels (mean abs. error <= $max)" "$PY" - "$TMP/o" "$n" "$max" <<'PYEOF'
import glob, io, sys
import numpy as np, tfrec_read as tr
from PIL import Image
d, name, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
fmt = name.split("_")[0]
def recs(prefix):
    for f in sorted(glob.glob("%s/%s-0*.tfrecord" % (d, prefix))):
        yield from tr.read_examples(f)
errs = []
for ex, ref in zip(recs(name), recs("u8")):
    assert ex["image/format"][0].decode() == fmt, ex["image/format"]
    assert "image/raw" not in ex and "image/dtype" not in ex
    img = np.asarray(Image.open(io.BytesIO(ex["image/encoded"][0])).convert("RGB"), dtype=np.int16)
    want = tr.decode_image(ref).astype(np.int16)
    assert img.shape == want.shape == (int(ex["image/height"][0]), int(ex["image/width"][0]), 3), (img.shape, want.shape)
    assert ex["image/filename"] == ref["image/filename"] and ex["image/class/label"][0] == ref["image/class/label"][0]
    errs.append(np.abs(img - want).mean())
assert len(errs) == 12, len(errs)
assert max(errs) <= limit, (max(errs), limit)
PYEOF
done
check "the manifest records the choice" grep -q '"store": "jpeg", "quality": 75' "$TMP/o/jpeg_75.json"
check "jpeg is smaller than png" sh -c "[ \$(cat '$TMP'/o/jpeg-0*.tfrecord | wc -c) -lt \$(cat '$TMP'/o/png-0*.tfrecord | wc -c) ]"
# shellcheck disable=SC2086
check "without -q, the size is projected before writing" "$TFREC" convert --no-fsync --resize-short 72 --crop 64x48 --store jpeg -o "$TMP/o/proj" "$PHOTOS"
err_has "as a bound" "records each; at most"
for bad in "gif" "jpeg:0" "jpeg:101" "png:9"; do
	check_exit 2 "--store $bad is a usage error" "$TFREC" convert --store "$bad" -o "$TMP/o/x" "$PHOTOS"
done
for bad in "--dtype float32" "--encoded" "--normalize imagenet" "--layout chw"; do
	# shellcheck disable=SC2086
	check_exit 2 "--store with $bad is a usage error" "$TFREC" convert --store jpeg $bad -o "$TMP/o/x" "$PHOTOS"
done
done_testing
