#!/bin/sh
# loader.sh - the training side's readers side by side, in one run, as
# ratios to `cat` of the same shards (issue 20's measure).
#
#   bench/loader.sh [BUILDDIR]     (BUILDDIR holds tfrec and libtfrec.so.0; default .)
#   ROUNDS=5 bench/loader.sh       (rounds per row; the median is shown; default 3)
#   ONLY=f16 bench/loader.sh       (only the float16 rows: cat, python reader,
#                                   Loader, ShardDataset)
#   COPIES=64                      (copies of each photo in the f16 shards)
#
# Real photos: ../shared/testdata/dataset/dali-coco (60 camera photos,
# ~1280 px).
#   f16 shards   each photo COPIES times (64: 3,840 records, 1.2 GB, so that
#                an epoch at cat's speed is not lost in start-up noise)
#                --resize-short 256 --crop 224x224: 224x224x3 float16, in 16
#                shards with .idx, in the page cache (read once first)
#   jpeg shards  each photo 8 times (480) --resize-short 256 --store jpeg:90
# Timing is what a trainer sees: each row's reader (Loader, DataLoader) is
# made once per round, untimed, then full epochs are timed one by one; a
# row's figure is the median epoch time over all rounds and epochs, and
# "1st epoch" the median of the rounds' first epochs.  cat runs in the same
# rounds, so every ratio compares readers measured in one run.
# Rows (records/s, MB/s of the f16 shards, and speed as a ratio to cat:
# cat's time / the row's time, so 0.5 means half cat's speed):
#   cat                  cat of the f16 shards to /dev/null
#   python reader        20 lines of struct + numpy.frombuffer, no CRC
#   Loader T threads     tfrec.torch.Loader, batches of 256 as torch tensors,
#                        both CRCs, T = 1, 2   ("n/a (engine missing)" until
#                        libtfrec has the loader)
#   ShardDataset W       batch_size=256 through DataLoader(batch_size=None),
#                        W = 0, 2 workers (persistent), on the C engine
#   ShardDataset W py    the same, engine=False: the pure-Python path (the
#                        ShardDataset issue 20 measured against)
#   ImageFolder W        torchvision ImageFolder over the original JPEGs (the
#                        same 480), PIL decode + RandomResizedCrop(224) +
#                        RandomHorizontalFlip, batches of 64, W = 0, 2
#                        (skipped without python3-torchvision)
#   Loader jpeg rrc+flip tfrec.torch.Loader on the jpeg shards,
#                        random_resized_crop=224, flip, 2 threads
#   Loader jpeg decode   the same records decoded only (pad to the batch)
# Then: peak RSS after each of 4 epochs (flat means no growth), and minor
# page faults per record in the third epoch as shuffle_buffer grows (0..480),
# for ShardDataset and the Loader.  Needs /usr/bin/python3 with numpy and
# torch; installs nothing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-.}" && pwd)
data=${TESTDATA:-$top/../shared/testdata}/dataset/dali-coco
[ -d "$data" ] || { echo "loader.sh: no photos at $data" >&2; exit 1; }
PY=/usr/bin/python3
W=$(mktemp -d "${TMPDIR:-/tmp}/tfrec-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$B/tfrec" convert -q --no-fsync --resize-short 256 --crop 224x224 --flip --copies "${COPIES:-64}" \
	--shards 16 --index -o "$W/f" "$data"
"$B/tfrec" convert -q --no-fsync --resize-short 256 --store jpeg:90 --flip --copies 8 --shards 16 \
	--index -o "$W/j" "$data"
# ImageFolder: one class folder of 8 links to each photo.
mkdir -p "$W/folder/x"
for f in "$data"/images/*.jpg; do
	for k in 1 2 3 4 5 6 7 8; do
		ln -s "$f" "$W/folder/x/$k-${f##*/}"
	done
done
export PYTHONPATH="$top/python" PYTHONDONTWRITEBYTECODE=1
[ -f "$B/libtfrec.so.0" ] && export TFREC_LIBRARY="$B/libtfrec.so.0"
cat "$W"/f-*.tfrecord "$W"/j-*.tfrecord >/dev/null   # into the page cache
ROUNDS=${ROUNDS:-3} ONLY=${ONLY:-} $PY - "$W" <<'PYEOF'
import glob, os, statistics, subprocess, sys
W = sys.argv[1]
F = sorted(glob.glob(W + "/f-*.tfrecord"))
J = sorted(glob.glob(W + "/j-*.tfrecord"))
FB = sum(os.path.getsize(s) for s in F)
ROUNDS = int(os.environ["ROUNDS"])
PRE = "import time, resource, sys\nF = %r\nJ = %r\nFOLDER = %r\n" % (F, J, W + "/folder")
ENGINE = ("import tfrec.torch, tfrec._engine\n"
          "assert tfrec._engine.available()\n"
          "Loader = getattr(tfrec.torch, 'Loader', None)\n"
          "if Loader is None:\n    from tfrec.loader import TorchLoader as Loader\n")
# name: (setup, untimed; body timed per epoch, sets N = records; epochs)
ROWS = {
    "cat": ("import subprocess", "subprocess.run(['cat'] + F, stdout=subprocess.DEVNULL, check=True)\nN = 0", 1),
    "python reader": ("import struct, numpy as np", """N = 0
for s in F:
    with open(s, 'rb') as f:
        while True:
            h = f.read(12)
            if not h:
                break
            n, = struct.unpack('<Q', h[:8])
            d = f.read(n + 4)
            np.frombuffer(d, np.uint8, n)
            N += 1""", 1),
    "Loader 1 thread": (ENGINE + "L = Loader(F, 256, threads=1)", "N = sum(len(x) for x, y in L)", 3),
    "Loader 2 threads": (ENGINE + "L = Loader(F, 256, threads=2)", "N = sum(len(x) for x, y in L)", 3),
}
SD = ("import torch\nfrom tfrec.torch import ShardDataset\nds = ShardDataset(F, batch_size=256%s)\n"
      "dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=%d, persistent_workers=%s)")
for nw in (0, 2):
    ROWS["ShardDataset %d workers" % nw] = (SD % ("", nw, nw > 0), "N = sum(len(x[0]) for x in dl)", 3)
for nw in (0, 2):
    ROWS["ShardDataset %d workers py" % nw] = (SD % (", engine=False", nw, nw > 0),
                                               "N = sum(len(x[0]) for x in dl)", 2)
TV = ("import torch, torchvision.transforms as T\nfrom torchvision.datasets import ImageFolder\n"
      "tf = T.Compose([T.RandomResizedCrop(224), T.RandomHorizontalFlip(), T.ToTensor()])\n"
      "dl = torch.utils.data.DataLoader(ImageFolder(FOLDER, tf), batch_size=64, shuffle=True, "
      "num_workers=%d, persistent_workers=%s)")
if os.environ.get("ONLY") != "f16":
    for nw in (0, 2):
        ROWS["ImageFolder %d workers" % nw] = (TV % (nw, nw > 0), "N = sum(len(x) for x, y in dl)", 2)
    ROWS["Loader jpeg rrc+flip, 2 threads"] = (
        ENGINE + "L = Loader(J, 64, threads=2, random_resized_crop=224, flip=True)",
        "N = sum(len(x) for x, y in L)", 1)
    ROWS["Loader jpeg decode, 2 threads"] = (ENGINE + "L = Loader(J, 64, threads=2)",
                                             "N = sum(len(x) for x, y in L)", 1)


def run(name):
    setup, body, epochs = ROWS[name]
    prog = PRE + setup + "\nts = []\nfor _e in range(%d):\n    t = time.perf_counter()\n" % epochs + \
        "".join("    " + line + "\n" for line in body.splitlines()) + \
        "    ts.append(time.perf_counter() - t)\nprint(N, *ts)"
    times, firsts, n = [], [], 0
    for _ in range(ROUNDS):
        p = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True)
        if p.returncode:
            last = (p.stderr.strip().splitlines() or ["?"])[-1]
            if "tfrec._engine" in p.stderr or "AssertionError" in last or "_engine" in last:
                return "n/a (engine missing)"
            if "torchvision" in last:
                return "n/a (no torchvision: Debian python3-torchvision)"
            return "failed: " + last[:60]
        out = p.stdout.split()
        n, ts = out[0], [float(x) for x in out[1:]]
        times += ts
        firsts.append(ts[0])
    return int(n), statistics.median(times), statistics.median(firsts)


res = {name: run(name) for name in ROWS}
base = res["cat"][1]
n480 = res["python reader"][0]
print("%d records of 224x224x3 float16, %.1f MB in %d shards; jpeg shards %.1f MB; median of %d rounds"
      % (n480, FB / 1e6, len(F), sum(os.path.getsize(s) for s in J) / 1e6, ROUNDS))
print("%-34s %10s %9s %9s %11s" % ("", "records/s", "MB/s", "vs cat", "1st epoch"))
for name, r in res.items():
    if isinstance(r, str):
        print("%-34s %s" % (name, r))
        continue
    n, t, t1 = r
    n = n or n480
    f16 = not (name.startswith("ImageFolder") or "jpeg" in name)
    print("%-34s %10.0f %9s %9s %11s" % (name, n / t, "%.1f" % (FB / 1e6 / t) if f16 else "-",
                                         "%.2f" % (base / t) if f16 else "-",
                                         "%.2f" % (base / t1) if f16 else "-"))


def ratio(a, b):
    ra, rb = res.get(a), res.get(b)
    if isinstance(ra, tuple) and isinstance(rb, tuple):
        print("%s / %s: %.2fx" % (a, b, (ra[0] / ra[1]) / (rb[0] / rb[1])))


ratio("Loader 2 threads", "ShardDataset 0 workers py")
ratio("Loader 2 threads", "ShardDataset 2 workers py")
ratio("ShardDataset 0 workers", "ShardDataset 0 workers py")
if os.environ.get("ONLY") == "f16":
    sys.exit(0)
ratio("Loader jpeg rrc+flip, 2 threads", "ImageFolder 2 workers")
ratio("Loader jpeg rrc+flip, 2 threads", "Loader jpeg decode, 2 threads")

# Peak RSS over epochs and page faults per record against shuffle_buffer.
MEM = """
def rss():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
peaks = []
for e in range(4):
    it.set_epoch(e)
    for b in it:
        pass
    peaks.append(rss())
print(' '.join('%.0f' % x for x in peaks))
"""
FAULTS = """
for e in range(2):  # warm: buffers a steady state reuses
    it.set_epoch(e)
    for b in it:
        pass
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
it.set_epoch(2)
n = 0
for b in it:  # each batch dropped as the next comes, as a training loop does
    n += len(b[0])
print('%.2f' % ((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0) / n))
"""
MAKERS = {
    "ShardDataset": "from tfrec.torch import ShardDataset\nit = ShardDataset(F, batch_size=256, shuffle_buffer=%d)\n",
    "Loader 2 threads": ENGINE + "it = Loader(F, 256, threads=2, shuffle_buffer=%d)\n",
}


def once(prog):
    p = subprocess.run([sys.executable, "-c", PRE + prog], capture_output=True, text=True)
    if p.returncode:
        return "n/a (engine missing)" if "_engine" in p.stderr or "AssertionError" in p.stderr else \
            "failed: " + (p.stderr.strip().splitlines() or ["?"])[-1][:60]
    return p.stdout.strip()


print("\npeak RSS (MB) after epochs 1..4, shuffle_buffer 256:")
for name, mk in MAKERS.items():
    print("  %-20s %s" % (name, once(mk % 256 + MEM)))
print("minor page faults per record in an epoch, by shuffle_buffer:")
print("  %-20s %s" % ("", " ".join("%8d" % b for b in (0, 16, 64, 256, 480))))
for name, mk in MAKERS.items():
    print("  %-20s %s" % (name, " ".join("%8s" % once(mk % b + FAULTS)[:8] for b in (0, 16, 64, 256, 480))))
PYEOF
