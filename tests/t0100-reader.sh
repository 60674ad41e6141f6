#!/bin/sh
# t0100-reader: scripts/tfrec_read.py reads what tfrec writes (plain,
# GZIP, ZLIB) and agrees with `tfrec inspect --dump`; its worker/rank
# split covers every shard once; its .idx random access works; and
# `tfrec inspect --export` gives back the pictures.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/scripts"
G=$TMP/gen
$PY "$TOP_SRCDIR/tests/gen-images.py" "$G"
mkdir -p "$TMP/o" "$TMP/x1" "$TMP/x2" "$TMP/x3"
C="$TFREC convert -q --no-fsync"
$C --resize-short 40 --crop 32x32 --flip --copies 2 --shards 3 --index -o "$TMP/o/f16" "$TOP_SRCDIR/sample-data/photos"
$C --dtype float32 --normalize imagenet --layout chw --compression gzip --shards 2 -o "$TMP/o/f32" "$G/png"
$C --dtype uint8 --compression zlib --shards 1 -o "$TMP/o/u8" "$G/png"

# Every value read by the Python reader equals what inspect --dump prints.
for f in "$TMP"/o/*.tfrecord "$TMP"/o/*.gz "$TMP"/o/*.zlib; do
	check "reader agrees with inspect --dump: $(basename "$f")" $PY - "$f" "$TFREC" <<'PYEOF'
import base64, json, subprocess, sys
import numpy as np, tfrec_read as tr
path, tfrec = sys.argv[1], sys.argv[2]
dump = [json.loads(l) for l in subprocess.run([tfrec, "inspect", "--dump", path],
        capture_output=True, check=True, text=True).stdout.splitlines()]
mine = list(tr.read_examples(path, verify=True))
assert len(mine) == len(dump) and mine, (len(mine), len(dump))
for ex, d in zip(mine, dump):
    feats = d["features"]
    assert set(ex) == set(feats), (set(ex), set(feats))
    for k, v in feats.items():
        if "int64" in v:
            assert list(ex[k]) == v["int64"], k
        elif "float" in v:
            assert np.allclose(ex[k], np.array(v["float"], np.float32)), k
        elif "bytes" in v:
            assert [b.decode() for b in ex[k]] == v["bytes"], k
        else:
            assert [base64.b64encode(b).decode() for b in ex[k]] == v["bytes_base64"], k
    img = tr.decode_image(ex)
    assert list(img.shape) == [int(x) for x in ex["image/shape"]]
PYEOF
done
check "the summary command works" $PY "$TOP_SRCDIR/scripts/tfrec_read.py" "$TMP/o/f32-00000-of-00002.tfrecord.gz"
out_has "summary shows shape and dtype" "shapes 3x32x48"
out_has "summary shows float32" "float32"

check "worker and rank split: every shard once" $PY - <<'PYEOF'
import tfrec_read as tr
shards = ["s%02d" % i for i in range(23)]
for world in (1, 2, 3):
    for workers in (1, 2, 4):
        seen = []
        for r in range(world):
            for w in range(workers):
                seen += tr.shard_slice(shards, r, world, w, workers)
        assert sorted(seen) == shards, (world, workers)
PYEOF
check "random access through .idx equals sequential reading" $PY - "$TMP/o" <<'PYEOF'
import glob, sys, tfrec_read as tr
shards = sorted(glob.glob(sys.argv[1] + "/f16-*.tfrecord"))
seq = [ex for s in shards for ex in tr.read_examples(s)]
r = tr.IndexedReader(shards)
assert len(r) == len(seq) == 12
for i in (0, 5, 11, 3):
    assert r[i]["image/raw"] == seq[i]["image/raw"]
PYEOF
if $PY -c 'import torch' 2>/dev/null; then
	check "PyTorch DataLoader with 2 workers sees every record once" $PY - "$TMP/o" <<'PYEOF'
import glob, sys, torch, tfrec_read as tr
shards = sorted(glob.glob(sys.argv[1] + "/f16-*.tfrecord"))
dl = torch.utils.data.DataLoader(tr.TFRecIterable(shards), batch_size=None, num_workers=2)
assert sum(1 for _ in dl) == 12
PYEOF
else
	skip "PyTorch DataLoader with 2 workers" "torch is not installed"
fi

# --export: pictures back from uint8 (exact), float32 imagenet chw (within
# rounding) and float16 (within float16 precision).
unpng() { # prints a Python helper that reads 8-bit PNGs (all filters)
cat <<'PYEOF'
import struct, zlib, numpy as np
def read_png(path):
    d = open(path, "rb").read()
    assert d[:8] == b"\x89PNG\r\n\x1a\n"
    i, idat, w = 8, b"", 0
    while i < len(d):
        n, = struct.unpack(">I", d[i:i+4]); t = d[i+4:i+8]; body = d[i+8:i+8+n]
        if t == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            ch = {0: 1, 2: 3}[ctype]
        elif t == b"IDAT":
            idat += body
        i += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    out = np.zeros((h, stride), np.int32)
    prev = np.zeros(stride, np.int32)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, np.int32)
        for x in range(stride):
            a = cur[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if f == 0: p = 0
            elif f == 1: p = a
            elif f == 2: p = b
            elif f == 3: p = (a + b) // 2
            else:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + p) & 255
        out[y] = cur
        prev = cur
    return out.reshape(h, w, ch)
PYEOF
}
unpng >"$TMP/unpng.py"
check "export uint8" "$TFREC" inspect --export "$TMP/x1" "$TMP/o/u8-00000-of-00001.tfrecord.zlib"
err_has "says how many" "exported 13 pictures"
check "export float32 imagenet chw" "$TFREC" inspect --export "$TMP/x2" "$TMP"/o/f32-*.tfrecord.gz
check "export float16 with --limit" "$TFREC" inspect --export "$TMP/x3" --limit 5 "$TMP"/o/f16-*.tfrecord
check "--limit 5 gives 5 pictures" sh -c "[ \$(ls '$TMP/x3' | grep -c '^[0-9]*\.png\$') -eq 5 ]"
check "pictures equal the card (uint8 exact, float32 within 1)" $PY - "$TMP" "$G/canon.ppm" <<PYEOF
import json, sys
sys.path.insert(0, "$TMP")
import numpy as np
from unpng import read_png
t = sys.argv[1]
raw = open(sys.argv[2], "rb").read()
card = np.frombuffer(raw[raw.index(b"255\n") + 4:], np.uint8).reshape(32, 48, 3).astype(int)
for d, tol in (("x1", 0), ("x2", 1)):
    m = json.load(open("%s/%s/manifest.json" % (t, d)))
    assert len(m["images"]) == 13
    for im in m["images"]:
        if not im["filename"].startswith("orient"):
            continue
        a = read_png("%s/%s/%s" % (t, d, im["png"]))
        assert np.abs(a - card).max() <= tol, (d, im["png"], np.abs(a - card).max())
sheet = read_png(t + "/x1/contact-sheet.png")
assert sheet.shape == (128, 13 * 128, 3), sheet.shape  # one row of 13 cells
PYEOF
check "export manifest has labels" $PY -c "
import json; m = json.load(open('$TMP/x3/manifest.json'))
assert all(i['text'] in ('cat', 'goat') and i['label'] in (0, 1) for i in m['images'])"
check "export makes a missing directory" "$TFREC" inspect --export "$TMP/made" "$TMP/o/u8-00000-of-00001.tfrecord.zlib"
check_exit 1 "but not missing parents" "$TFREC" inspect --export "$TMP/nope/deeper" "$TMP/o/u8-00000-of-00001.tfrecord.zlib"
err_has "and says why" "cannot create export directory '$TMP/nope/deeper': No such file or directory"
check_exit 2 "export with --dump is a usage error" "$TFREC" inspect --export "$TMP/x1" --dump "$TMP/o/u8-00000-of-00001.tfrecord.zlib"
if have_testdata tfrecord "checks on the shared TFRecord files"; then
	check_exit 1 "exporting non-image records fails with a position" "$TFREC" inspect --export "$TMP/x1" "$TESTDATA/tfrecord/pytorch-data/example.tfrecord"
	err_has "named" "example.tfrecord': record 0 at offset 0: cannot export: no image/raw or image/encoded feature"
fi
done_testing
