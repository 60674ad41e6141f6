#!/bin/sh
# t0100-reader: the tfrec Python package (python/tfrec, numpy only) reads
# what tfrec writes (plain, GZIP, ZLIB) and agrees with `tfrec inspect
# --dump`, through libtfrec.so and through the pure-Python fallback; the
# C API's CRCs and framing scan give known answers; `python3 -m tfrec`
# and scripts/tfrec_read.py print summaries; damaged shards give errors
# naming shard, record and offset; GZIP readers close their files; the
# map-style index refuses compressed shards and says what to run;
# `pip install ./python` works offline; and `tfrec inspect --export`
# gives back the pictures.  The torch datasets are t0140's.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1
LIB=${TOP_BUILDDIR:-.}/libtfrec.so.0
[ -f "$LIB" ] && export TFREC_LIBRARY="$LIB"
G=$TMP/gen
$PY "$TOP_SRCDIR/tests/gen-images.py" "$G"
mkdir -p "$TMP/o" "$TMP/x1" "$TMP/x2" "$TMP/x3"
C="$TFREC convert -q --no-fsync"
$C --resize-short 40 --crop 32x32 --flip --copies 2 --shards 3 --index -o "$TMP/o/f16" "$TOP_SRCDIR/sample-data/photos"
$C --dtype float32 --normalize imagenet --layout chw --compression gzip --shards 2 -o "$TMP/o/f32" "$G/png"
$C --dtype uint8 --compression zlib --shards 1 -o "$TMP/o/u8" "$G/png"

if [ -n "${TFREC_LIBRARY:-}" ]; then
	check "the package loads libtfrec.so" $PY -c 'import tfrec; assert tfrec.crc_backend().startswith("libtfrec"), tfrec.crc_backend()'
else
	ok "# SKIP no libtfrec.so in the build tree"
fi
check "TFREC_NO_CLIB=1 gives the pure-Python path" env TFREC_NO_CLIB=1 $PY -c 'import tfrec; assert tfrec.crc_backend() == "python"'
check "import tfrec and tfrec.numpy do not import torch" $PY -c '
import sys, tfrec, tfrec.numpy, tfrec.plan
assert "torch" not in sys.modules'

# Every value read by the package equals what inspect --dump prints, with
# both CRC paths.
for clib in 0 1; do
for f in "$TMP"/o/*.tfrecord "$TMP"/o/*.gz "$TMP"/o/*.zlib; do
	[ $clib = 0 ] && [ -z "${TFREC_LIBRARY:-}" ] && continue
	check "reader agrees with inspect --dump: $(basename "$f") (TFREC_NO_CLIB=$clib)" env TFREC_NO_CLIB=$clib $PY - "$f" "$TFREC" <<'PYEOF'
import base64, json, subprocess, sys
import numpy as np, tfrec
path, exe = sys.argv[1], sys.argv[2]
dump = [json.loads(l) for l in subprocess.run([exe, "inspect", "--dump", path],
        capture_output=True, check=True, text=True).stdout.splitlines()]
mine = list(tfrec.read_examples(path, verify=True))
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
    img = tfrec.decode_image(ex)
    assert list(img.shape) == [int(x) for x in ex["image/shape"]]
PYEOF
done
done

check "CRC-32C known answers and C = Python on random buffers" $PY - <<'PYEOF'
import os, random
import tfrec.records as r
assert r.crc32c(b"123456789") == 0xE3069283          # the check value of CRC-32C
assert r.crc32c(b"") == 0 and r.crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4
assert r.crc32c(b"\xff" * 32) == 0x62A8AB43
rnd = random.Random(7)
for n in list(range(0, 80)) + [255, 256, 1000, 4099, 65537]:
    b = bytes(rnd.randrange(256) for _ in range(n))
    assert r.crc32c(b) == r._crc32c_py(b), n
    assert r.crc32c(b[n // 2:], r.crc32c(b[:n // 2])) == r.crc32c(b), n  # continuing
PYEOF
if [ -n "${TFREC_LIBRARY:-}" ]; then
	check "tfrec_scan: offsets agree with the .idx; damage reported at its record" $PY - "$TMP/o/f16-00000-of-00003.tfrecord" <<'PYEOF'
import ctypes, sys
from tfrec._clib import LIB
from tfrec.records import read_index
path = sys.argv[1]
data = open(path, "rb").read()
offs, sizes = read_index(path + ".idx")
cap = 64
starts, lens = (ctypes.c_uint64 * cap)(), (ctypes.c_uint64 * cap)()
used, need = ctypes.c_size_t(), ctypes.c_uint64()
def scan(buf, flags=0):
    return LIB.tfrec_scan(buf, len(buf), flags, 0, starts, lens, cap, ctypes.byref(used), ctypes.byref(need))
n = scan(data)
assert n == offs.size and used.value == len(data) and need.value == 0, (n, used.value)
assert [starts[i] - 12 for i in range(n)] == list(offs) and [lens[i] + 16 for i in range(n)] == list(sizes)
cut = data[:int(offs[1]) + 100]                  # ends inside record 1
assert scan(cut) == 1 and used.value == offs[1] and need.value == sizes[1]
assert scan(data[:5]) == 0 and need.value == 12  # a header cut short
bad = bytearray(data); bad[int(offs[2]) + 50] ^= 1
bad = bytes(bad)
assert scan(bad) == 2 and used.value == offs[2]  # good records first
assert scan(bad[used.value:]) == -2              # then the data CRC
assert scan(bad[used.value:], 1) >= 1            # not checked when skipped
hdr = bytearray(data); hdr[int(offs[1]) + 3] ^= 1
assert scan(bytes(hdr)) == 1 and scan(bytes(hdr)[used.value:]) == -1
assert LIB.tfrec_scan(None, 0, 0, 0, starts, lens, cap, ctypes.byref(used), None) == 0
assert LIB.tfrec_scan(data, len(data), 0, 0, starts, lens, cap, None, None) == -4
PYEOF
fi

check "python3 -m tfrec prints the summary" $PY -m tfrec "$TMP/o/f32-00000-of-00002.tfrecord.gz"
out_has "summary shows shape and dtype" "shapes 3x32x48"
out_has "summary shows float32" "float32"
check "--verify --json" $PY -m tfrec --verify --json "$TMP/o/u8-00000-of-00001.tfrecord.zlib"
out_has "JSON with the record count" '"records": 13'
check "scripts/tfrec_read.py is the same entry point" $PY "$TOP_SRCDIR/scripts/tfrec_read.py" --verify "$TMP/o/f16-00000-of-00003.tfrecord"
out_has "and prints the summary" "f16-00000-of-00003.tfrecord: 4 records"
check_exit 2 "no shards is a usage error" $PY -m tfrec
check_exit 1 "a missing file fails" $PY -m tfrec "$TMP/nope.tfrecord"
err_has "naming it" "nope.tfrecord"

# Damage: a flipped payload byte, a flipped length byte, a cut file.
cp "$TMP/o/f16-00001-of-00003.tfrecord" "$TMP/bad.tfrecord"
check "damaged shards raise errors naming shard, record and offset" $PY - "$TMP" <<'PYEOF'
import sys, tfrec
from tfrec.records import read_index, RecordReader, TFRecordError
t = sys.argv[1]
good = open(t + "/bad.tfrecord", "rb").read()
offs, sizes = read_index(t + "/o/f16-00001-of-00003.tfrecord.idx")
o1, o2 = int(offs[1]), int(offs[2])
def expect(data, want, verify=True):
    p = t + "/bad.tfrecord"
    open(p, "wb").write(data)
    try:
        for _ in tfrec.read_records(p, verify):
            pass
    except TFRecordError as e:
        assert str(e) == p + ": " + want, (str(e), want)
        assert e.path == p and e.offset is not None
        return
    raise AssertionError("no error for " + want)
flip = lambda at: good[:at] + bytes([good[at] ^ 4]) + good[at + 1:]
expect(flip(o1 + 100), "record 1 at offset %d: data CRC mismatch" % o1)
expect(flip(o2 + 2), "record 2 at offset %d: length CRC mismatch" % o2)
expect(good[:o2 + 40], "record 2 at offset %d: truncated record: needs %d bytes, the stream has 40" % (o2, sizes[2]))
expect(good[:o2 + 5], "record 2 at offset %d: truncated header (5 of 12 bytes)" % o2)
# verify=False skips the data CRC only
open(t + "/bad.tfrecord", "wb").write(flip(o1 + 100))
assert len(list(tfrec.read_records(t + "/bad.tfrecord", verify=False))) == sizes.size
PYEOF
check "damage inside a GZIP stream names the shard" $PY - "$TMP" <<'PYEOF'
import gzip, sys, tfrec
t = sys.argv[1]
raw = gzip.decompress(open(t + "/o/f32-00000-of-00002.tfrecord.gz", "rb").read())
raw = raw[:100] + bytes([raw[100] ^ 1]) + raw[101:]
open(t + "/bad.tfrecord.gz", "wb").write(gzip.compress(raw))
try:
    list(tfrec.read_records(t + "/bad.tfrecord.gz"))
    raise SystemExit("no error")
except tfrec.TFRecordError as e:
    assert str(e) == t + "/bad.tfrecord.gz: record 0 at offset 0: data CRC mismatch", str(e)
PYEOF

check "ZLIB: a long stream of mixed record sizes reads back whole" $PY - "$TMP" <<'PYEOF'
import os, struct, sys, zlib
from tfrec.records import RecordReader, masked_crc32c
recs = [os.urandom(1000) * (i % 50 + 1) for i in range(300)]  # 7.6 MB inflated
hdr = lambda n: struct.pack("<Q", n) + struct.pack("<I", masked_crc32c(struct.pack("<Q", n)))
raw = b"".join(hdr(len(r)) + r + struct.pack("<I", masked_crc32c(r)) for r in recs)
p = sys.argv[1] + "/long.tfrecord.zlib"
open(p, "wb").write(zlib.compress(raw))
with RecordReader(p) as r:
    assert r.compression == "zlib"
    assert [bytes(x) for _, _, x in r] == recs
PYEOF
check "GZIP and ZLIB readers close their files, also when left early" $PY - "$TMP/o" <<'PYEOF'
import gc, os, sys, warnings
warnings.simplefilter("error", ResourceWarning)
from tfrec.numpy import Batches
def fds():
    return len(os.listdir("/proc/self/fd"))
before = fds()
for pat in ("f32-*.tfrecord.gz", "u8-*.zlib", "f16-*.tfrecord"):
    b = Batches(sys.argv[1] + "/" + pat, 2, layout="hwc", label_key=None)  # no labels in some
    n = sum(len(x) for x in b)
    assert n == len(b) * 2 or n == b.stream.samples, n
    it = iter(b)
    next(it)          # a partial epoch
    del it
    gc.collect()
assert fds() == before, (before, fds())
PYEOF
check "the map-style index refuses a GZIP shard and says what to run" $PY - "$TMP/o" <<'PYEOF'
import sys
from tfrec._core import Indexed
try:
    Indexed(sys.argv[1] + "/f32-00000-of-00002.tfrecord.gz")
    raise SystemExit("accepted")
except ValueError as e:
    assert "GZIP-compressed" in str(e) and "tfrec shard --compression none --index" in str(e), e
try:
    Indexed(sys.argv[1] + "/u8-00000-of-00001.tfrecord.zlib")
    raise SystemExit("accepted")
except ValueError as e:
    assert "ZLIB-compressed" in str(e), e
PYEOF
check "random access through .idx equals sequential reading; index arrays, not lists" $PY - "$TMP/o" <<'PYEOF'
import glob, sys, numpy as np, tfrec
from tfrec._core import Indexed
shards = sorted(glob.glob(sys.argv[1] + "/f16-*.tfrecord"))
seq = [bytes(p) for s in shards for _, p in tfrec.read_records(s)]
ix = Indexed(sys.argv[1] + "/f16-*.tfrecord*")  # a glob; the .idx files are left out
assert ix.paths == shards and ix.total == len(seq) == 12
assert isinstance(ix.offsets, np.ndarray) and ix.offsets.dtype == np.int64 and ix.sizes.dtype == np.uint32
for j in (0, 5, 11, 3, 4):
    assert bytes(ix.read(j, True)[3]) == seq[j]
ix.close()
PYEOF
check "record counts: manifest, .idx and scanning agree" $PY - "$TMP/o" <<'PYEOF'
import glob, os, shutil, sys
from tfrec.records import record_count, read_records
d = sys.argv[1]
for s in sorted(glob.glob(d + "/*.tfrecord*")):
    if s.endswith(".idx"):
        continue
    n = sum(1 for _ in read_records(s))
    assert record_count(s) == n, s
    shutil.copy(s, d + "/../lonely.tfrecord")  # no manifest, no .idx: scanned
    assert record_count(d + "/../lonely.tfrecord") == n, s
PYEOF
check "numpy batches: ranks split by records, equal counts" $PY - "$TMP/o" <<'PYEOF'
import sys
from tfrec.numpy import Batches, batches
pat = sys.argv[1] + "/f16-*.tfrecord"   # 12 records in 3 shards
for world in (1, 2, 5, 7):
    for drop in (False, True):
        got = []
        for r in range(world):
            b = Batches(pat, 2, rank=r, world_size=world, drop_last=drop, keys=["image/filename"])
            names = [(f, i) for x, y, e in b for i, f in enumerate(e["image/filename"])]
            assert sum(1 for _ in b) == len(b)
            got.append(len([1 for x, y, e in b for _ in y]))
        assert len(set(got)) == 1, (world, drop, got)
        assert got[0] == (12 // world if drop else -(-12 // world)), (world, drop, got)
x, y = next(batches(pat, 4, epoch=3))
assert x.shape == (4, 32, 32, 3) and x.dtype.name == "float16" and x.flags.writeable and y.dtype.name == "int64"
PYEOF

# pip install ./python, offline, with Debian's setuptools.
# (From the tree itself: setup.py builds outside it and needs ../src.)
if $PY -c 'import setuptools, wheel, pip, venv' 2>/dev/null && $PY -m venv --help >/dev/null 2>&1; then
	if $PY -m venv --system-site-packages "$TMP/venv" >"$TMP/.venv.log" 2>&1; then
		check "pip install --no-build-isolation --no-index ./python" env -u PYTHONPATH \
			"$TMP/venv/bin/python" -m pip install -q --no-build-isolation --no-index "$TOP_SRCDIR/python"
		check "the installed package imports and reads, from anywhere" env -u PYTHONPATH sh -c \
			"cd / && '$TMP/venv/bin/python' -c 'import tfrec, tfrec.numpy, sys; assert \"$TMP/venv\" in tfrec.__file__, tfrec.__file__' && '$TMP/venv/bin/python' -m tfrec '$TMP/o/u8-00000-of-00001.tfrecord.zlib'"
		out_has "its summary" "13 records"
	else
		ok "# SKIP python venv cannot be created: $(head -1 "$TMP/.venv.log")"
	fi
else
	ok "# SKIP pip, setuptools or venv missing for $PY"
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
