#!/bin/sh
# t0108-engine: the C loader from Python (tfrec._engine, tfrec.loader) on
# shards that `tfrec convert` made of sample-data/photos: every record
# once per epoch, the same batches for 1 and 3 threads, GZIP counts from
# the manifest (only when its byte count matches), resume equals the
# uninterrupted run, GZIP equals plain, --store jpeg shards decoded with
# a random resized crop (the same per epoch, different across epochs),
# held batches never overwritten, a corrupt shard raises TFRecordError
# naming shard, record and offset; torch.Loader alone and in a
# DataLoader with 2 workers, when torch is installed.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1
if [ ! -f "${TOP_BUILDDIR:-.}/libtfrec.so.0" ]; then
	echo "1..0 # SKIP libtfrec.so.0 is not built"
	exit 0
fi
export TFREC_LIBRARY="$TOP_BUILDDIR/libtfrec.so.0"
PHOTOS=$TOP_SRCDIR/sample-data/photos
check "convert photos to tensors with .idx" $TFREC convert -q --no-fsync --resize 32x24 \
	--shards 3 --index -o "$TMP/t" "$PHOTOS"
check "convert photos to GZIP shards" $TFREC convert -q --no-fsync --resize 32x24 \
	--shards 3 --compression gzip -o "$TMP/g" "$PHOTOS"
check "convert photos to --store jpeg shards" $TFREC convert -q --no-fsync --resize 64x48 \
	--store jpeg --shards 2 -o "$TMP/j" "$PHOTOS"
# a copy of one plain shard with a byte of record 1's payload flipped
$PY - "$TMP/t-00000-of-00003.tfrecord" "$TMP/bad.tfrecord" <<'PYEOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
n = struct.unpack("<Q", data[:8])[0]
off1 = 16 + n
data[off1 + 12 + 100] ^= 0x40
open(sys.argv[2], "wb").write(data)

PYEOF
BADOFF=$($PY -c "import struct; d=open('$TMP/t-00000-of-00003.tfrecord','rb').read(8); print(16+struct.unpack('<Q', d)[0])")

cat >"$TMP/check.py" <<'PYEOF'
import sys
import numpy as np
from tfrec._engine import Engine, available
from tfrec.loader import Loader
from tfrec.records import TFRecordError

tmp, badoff = sys.argv[1], int(sys.argv[2])
def say(cond, what):
    print(("ok " if cond else "FAIL ") + what)

say(available(), "libtfrec.so has the loader")
T = tmp + "/t-*"
e = Engine(T, 2, threads=1, seed=3)
N = e.records
ids = []
while (b := e.next()) is not None:
    ids += b["ids"].tolist()
say(sorted(ids) == list(range(N)) and len(e) == (N + 1) // 2 and e.epoch == 1,
    "one epoch: each of %d records once, len %d" % (N, len(e)))

def epoch(paths, **kw):
    l = Loader(paths, 2, seed=3, **kw)
    l.set_epoch(4)
    return [(x.copy(), y.copy()) for x, y in l]

one = epoch(T, threads=1)
three = epoch(T, threads=3, prefetch=3)
say(len(one) == len(three) and all((a[0] == b[0]).all() and (a[1] == b[1]).all()
                                   for a, b in zip(one, three)), "1 and 3 threads: the same batches")
gz = epoch(tmp + "/g-*")
say(len(gz) == len(one) and all((a[0] == b[0]).all() for a, b in zip(one, gz)),
    "GZIP shards: the same batches as plain ones")

# GZIP shards are counted from the manifest beside them when its bytes
# match the file (one shard's entry edited to show it is read), else by
# decompressing them once
import json, os, shutil
os.makedirs(tmp + "/m", exist_ok=True)
for f in os.listdir(tmp):
    if f.startswith("g-") or f == "g.json":
        shutil.copy(os.path.join(tmp, f), tmp + "/m/" + f)
man = json.load(open(tmp + "/m/g.json"))
n0 = man["shards"][0]["records"]
man["shards"][0]["records"] = n0 - 1
json.dump(man, open(tmp + "/m/g.json", "w"), indent=0)
say(Engine(tmp + "/m/g-*", 2).records == N - 1, "GZIP shard counts come from the manifest")
man["shards"][0]["bytes"] += 1
json.dump(man, open(tmp + "/m/g.json", "w"), indent=0)
say(Engine(tmp + "/m/g-*", 2).records == N, "a manifest whose byte count differs is not trusted")

l = Loader(T, 2, seed=3)
l.set_epoch(4)
it = iter(l)
next(it)
st = l.state_dict()
l2 = Loader(T, 2, seed=3)
l2.load_state_dict(st)
rest = [(x.copy(), y.copy()) for x, y in l2]
say(st["batch"] == 1 and len(rest) == len(one) - 1 and
    all((a[0] == b[0]).all() for a, b in zip(one[1:], rest)) and l2.epoch == 5,
    "resume after one batch gives the rest of the epoch")
try:
    Loader(T, 2, seed=4).load_state_dict(st)
    say(False, "a state of another seed is refused")
except ValueError as x:
    say("seed" in str(x), "a state of another seed is refused: %s" % x)

J = tmp + "/j-*"
def crops(ep, threads):
    l = Loader(J, 3, seed=1, random_resized_crop=16, flip=True, threads=threads,
               dtype="float32", mean="record")
    l.set_epoch(ep)
    return [x.copy() for x, y in l]
a, b, c = crops(0, 1), crops(0, 2), crops(1, 2)
say(a[0].shape == (3, 16, 16, 3) and a[0].dtype == np.float32,
    "jpeg records: random-resized-crop batches of (3, 16, 16, 3) float32")
say(all((x == y).all() for x, y in zip(a, b)), "the same crops for 1 and 2 threads")
say(any((x != y).any() for x, y in zip(a, c)), "another epoch, other crops")

e = Engine(T, 2, shuffle="none", prefetch=1)
kept = [e.next() for _ in range(3)]
say([k["ids"].tolist() for k in kept] == [[0, 1], [2, 3], [4, 5]],
    "three batches held at once stay intact")
del kept
e.close()

try:
    e = Engine([tmp + "/bad.tfrecord"], 4, shuffle="none")
    while e.next() is not None:
        pass
    say(False, "a corrupt shard raises")
except TFRecordError as x:
    say(x.path.endswith("bad.tfrecord") and x.index == 1 and x.offset == badoff,
        "a corrupt shard raises TFRecordError: %s" % x)
try:
    Engine(T, 0)
    say(False, "batch_size 0 is a ValueError")
except ValueError:
    say(True, "batch_size 0 is a ValueError")

try:
    import torch
except ImportError:
    print("ok # SKIP torch is not installed")
    sys.exit(0)
from tfrec.loader import TorchLoader
tl = TorchLoader(J, 2, seed=5, random_resized_crop=16, flip=True)
tl.set_epoch(2)
plain = [(x.clone(), y.clone()) for x, y in tl]
say(isinstance(plain[0][0], torch.Tensor) and plain[0][0].shape == (2, 16, 16, 3),
    "torch.Loader yields tensors")
tl.set_epoch(2)
dl = torch.utils.data.DataLoader(tl, batch_size=None, num_workers=2)
workers = [(x.clone(), y.clone()) for x, y in dl]
say(len(workers) == len(plain) and all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
                                       for a, b in zip(plain, workers)),
    "a DataLoader with 2 workers gives the order of none")
PYEOF
$PY "$TMP/check.py" "$TMP" "$BADOFF" >"$TMP/out" 2>"$TMP/err"
rc=$?
while IFS= read -r line; do
	case $line in
	"ok # SKIP"*) skip "torch.Loader" "${line#ok # SKIP }" ;;
	"ok "*) ok "${line#ok }" ;;
	"FAIL "*) not_ok "${line#FAIL }" ;;
	esac
done <"$TMP/out"
if [ $rc -ne 0 ]; then
	not_ok "check.py exited $rc"
	tail -20 "$TMP/err" | sed 's/^/# /'
fi
done_testing
