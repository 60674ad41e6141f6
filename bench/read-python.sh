#!/bin/sh
# read-python.sh - how fast the tfrec Python package reads shards, against
# reading the same files' raw bytes in the same run.
#
#   bench/read-python.sh [BUILDDIR]     (BUILDDIR holds tfrec and libtfrec.so.0; default .)
#
# Converts ../shared/testdata/dataset/dali-coco (60 real ~1280px photos)
# to 224x224x3 float16 records (8 copies each: 480 records, ~144 MB, in 16
# shards), then reports records/s and MB/s, best of 3 rounds, for:
#   raw        reading every shard file's bytes, no parsing (the baseline)
#   records    tfrec.records framing with both CRCs (libtfrec, then pure Python)
#   torch N    ShardDataset(batch_size=32) through DataLoader(batch_size=None)
#              with N = 0, 2 and 4 workers, with and without CRC checks
# and each one's time as a ratio to raw.  Needs /usr/bin/python3 with
# numpy (and torch for the DataLoader rows).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-.}" && pwd)
data=${TESTDATA:-$top/../shared/testdata}/dataset/dali-coco
[ -d "$data" ] || { echo "read-python.sh: no photos at $data" >&2; exit 1; }
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/tfrec-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$B/tfrec" convert -q --no-fsync --resize-short 256 --crop 224x224 --random-crop --flip --copies 8 --shards 16 \
	--index -o "$W/b" "$data"
export PYTHONPATH="$top/python" PYTHONDONTWRITEBYTECODE=1
[ -f "$B/libtfrec.so.0" ] && export TFREC_LIBRARY="$B/libtfrec.so.0"
sync
$PY - "$W" <<'PYEOF'
import glob, os, subprocess, sys
W = sys.argv[1]
shards = sorted(glob.glob(W + "/b-*.tfrecord"))
nbytes = sum(os.path.getsize(s) for s in shards)
# (setup, timed body): imports and dataset construction are not timed;
# DataLoader worker start-up is, amortised over 3 epochs (persistent workers).
code = {
    "raw": ("", "for s in SH:\n    with open(s, 'rb') as f:\n        while f.read(1 << 20): pass\nN = 0"),
    "records": ("import tfrec", "N = sum(1 for s in SH for _ in tfrec.records.RecordReader(s, VERIFY))"),
    "torch": ("import torch\nfrom tfrec.torch import ShardDataset\n"
              "ds = ShardDataset(SH, batch_size=32, verify=VERIFY)\n"
              "dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=NW, persistent_workers=NW > 0)",
              "N = sum(len(x[0]) for e in range(3) for x in dl) // 3"),
}
def run(kind, env=None, nw=0, verify=True):
    setup, body = code[kind]
    prog = ("import time\nSH = %r\nNW = %d\nVERIFY = %r\n%s\nt = time.perf_counter()\n%s\n"
            "print(N, (time.perf_counter() - t) / (3 if %r == 'torch' else 1))"
            % (shards, nw, verify, setup, body, kind))
    best = None
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                             env=dict(os.environ, **(env or {})), check=True).stdout.split()
        n, t = int(out[0]), float(out[1])
        best = t if best is None else min(best, t)
    return n, best
rows = [("raw", run("raw"))]
rows.append(("records, libtfrec CRCs", run("records")))
rows.append(("records, no data CRC", run("records", verify=False)))
rows.append(("records, pure-Python CRCs", run("records", {"TFREC_NO_CLIB": "1"})))
try:
    import torch  # noqa: F401
    for nw in (0, 2, 4):
        rows.append(("torch %d workers, CRCs" % nw, run("torch", nw=nw)))
        rows.append(("torch %d workers, no data CRC" % nw, run("torch", nw=nw, verify=False)))
except ImportError:
    print("(no torch: DataLoader rows left out)")
n = rows[1][1][0]
base = rows[0][1][1]
print("%d shards, %.1f MB, %d records of 224x224x3 float16" % (len(shards), nbytes / 1e6, n))
print("%-32s %10s %9s %9s" % ("", "records/s", "MB/s", "time/raw"))
for name, (_, t) in rows:
    print("%-32s %10.0f %9.1f %9.2f" % (name, n / t, nbytes / 1e6 / t, t / base))
PYEOF
