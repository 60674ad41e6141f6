"""order.py DIR: the pure-Python datasets (tfrec.numpy.Batches,
tfrec.torch.ShardDataset and IndexedDataset) against tfrec.plan and the
loader spec, on the shards t0106 writes in DIR:
  t-*.tfrecord   23 tiny records in 5 shards, with .idx;
  g-*.tfrecord.gz  the same pictures, GZIP;
  mixed-*, ml-*, det-*  records of different sizes, multi-label records,
                 detection records with boxes.
Checks: each rank's records are exactly tfrec.plan.rank_ids() for every
shuffle mode, world size 1..4 and drop_last; together the ranks read the
epoch once (plus the documented padding), with equal counts; the order is
the same with 0, 1, 2 and 3 DataLoader workers; resume from a
state_dict() gives the rest of an uninterrupted run; the shuffle buffer
holds a bounded number of reused slots; mixed sizes, multi-label and
boxes batch; errors in DataLoader workers arrive as TFRecordError.
Prints ok/FAIL/skip lines."""
import glob
import os
import shutil
import sys
import warnings
import weakref

import numpy as np

import tfrec
from tfrec import plan
from tfrec.numpy import Batches
from tfrec.records import TFRecordError, read_index

try:
    import torch
    import torch.utils.data
    from tfrec.torch import IndexedDataset, ShardDataset
except ImportError:
    torch = None
warnings.filterwarnings("ignore", message="This DataLoader will create")

D = sys.argv[1]
T = D + "/t-*.tfrecord"
G = D + "/g-*.tfrecord.gz"
K = ["image/filename"]
fails = 0


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what, flush=True)
    fails += not ok


def skip(what, why):
    print("skip %s: %s" % (what, why), flush=True)


# Global ids: the records in shard order.
def table(pattern):
    names, counts = [], []
    for p in sorted(x for x in glob.glob(pattern) if not x.endswith(".idx")):
        got = [bytes(ex["image/filename"][0]).decode() for ex in tfrec.read_examples(p)]
        names += got
        counts.append(len(got))
    return {n: i for i, n in enumerate(names)}, counts


GIDS = {T: table(T), G: table(G)}
GID, COUNTS = GIDS[T]
N = len(GID)


def gids(names, gid=None):
    gid = gid or GID
    return [gid[x.decode() if isinstance(x, bytes) else x] for x in names]


def numpy_ids(pattern, **kw):
    b = Batches(pattern, kw.pop("batch_size", 4), keys=K, **kw)
    b.set_epoch(3)
    return [gids(e["image/filename"], GIDS[pattern][0]) for _, _, e in b]


# 1. Every rank reads exactly plan.rank_ids, for every mode, W and drop_last.
bad = []
for pattern, modes in ((T, ("none", "buffer", "full")), (G, ("none", "buffer"))):
    for mode in modes:
        for world in (1, 2, 3, 4):
            for drop in (False, True):
                allb = []
                for r in range(world):
                    got = numpy_ids(pattern, shuffle=mode, seed=5, rank=r, world_size=world,
                                    drop_last=drop, shuffle_buffer=6)
                    want = plan.rank_ids(GIDS[pattern][1], 5, 3, r, world, mode, 6, drop)
                    if [g for b in got for g in b] != want or got != plan.batches(want, 4, False):
                        bad.append((pattern[-12:], mode, world, drop, r))
                    allb.append([g for b in got for g in b])
                n = plan.per_rank(N, world, drop)
                every = sorted(g for x in allb for g in x)
                ok = all(len(x) == n for x in allb) and (
                    len(set(every)) == len(every) == n * world if drop else set(every) == set(range(N))
                    and len(every) - N == n * world - N)
                if not ok:
                    bad.append(("once", pattern[-12:], mode, world, drop))
report(not bad, "numpy.Batches: each rank's ids are plan.rank_ids; all ranks read every record once "
       "(plus padding; drop_last: none twice), equal counts: plain and GZIP, 3 modes, W 1..4%s"
       % (" %s" % bad[:4] if bad else ""))

# 2. Resume (numpy): k batches, state_dict, a new object loads it: the rest.
for mode in ("none", "buffer", "full"):
    kw = dict(shuffle=mode, seed=2, shuffle_buffer=5, rank=1, world_size=2, keys=K)
    a = Batches(T, 3, **kw)
    a.set_epoch(4)
    whole = [gids(e["image/filename"]) for _, _, e in a]
    a.set_epoch(4)
    it = iter(a)
    head = [gids(next(it)[2]["image/filename"]) for _ in range(2)]
    st = a.state_dict()
    del it
    b = Batches(T, 3, **kw)
    b.load_state_dict(st)
    rest = [gids(e["image/filename"]) for _, _, e in b]
    report(st["epoch"] == 4 and st["batch"] == 2 and head + rest == whole and len(whole) == len(a),
           "numpy.Batches %s: resume at batch 2 of epoch 4 gives the rest of the epoch" % mode)
try:
    Batches(T, 3, seed=9, keys=K).load_state_dict(Batches(T, 3, seed=2, keys=K).state_dict())
    msg = None
except ValueError as e:
    msg = str(e)
report(msg is not None and "seed (state 2, here 9)" in msg, "a state of another seed is refused by name: %s" % msg)

# 3. The shuffle buffer's slots are bounded and reused.
for B in (2, 5, 16):
    b = Batches(T, 4, shuffle="buffer", shuffle_buffer=B, seed=1)
    sum(1 for _ in b)
    report(0 < b.stream.stats["slots"] <= B + 1,
           "shuffle_buffer=%d: %d record slots for %d records" % (B, b.stream.stats["slots"], N))

b = Batches(T, 4, shuffle="buffer", shuffle_buffer=5, seed=1)
sum(1 for _ in b)
first = [id(x) for x in b.stream._slots]
b.set_epoch(0)
sum(1 for _ in b)
report(first and [id(x) for x in b.stream._slots] == first,
       "the next epoch reads into the same %d record buffers" % len(first))

# Batch arrays are reused only once the caller has dropped them.
b = Batches(T, 4, seed=1)
kept = [x for x, y in b]
fresh = [x.copy() for x, y in Batches(T, 4, seed=1)]
refs, reused = [], 0
b = Batches(T, 4, seed=1)
for x, y in b:  # each batch dropped before the next: the same arrays come back
    reused += any(r() is x for r in refs)
    refs.append(weakref.ref(x))
report(len(kept) == len(fresh) == len(b) and all(np.array_equal(a, c) for a, c in zip(kept, fresh))
       and len(set(map(id, kept))) == len(kept),
       "batches the caller keeps are never reused (%d kept, all intact)" % len(kept))
report(reused >= len(b) - 4, "batch arrays are reused once dropped: %d of %d batches" % (reused, len(b)))

# 4. Mixed sizes, multi-label, boxes.
x, y, e = next(iter(Batches(D + "/mixed-*.tfrecord", 5, shuffle=False, keys=K)))
sz = e["sizes"]
report(x.shape[0] == 5 and x.shape[1] == sz[:, 0].max() and x.shape[2] == sz[:, 1].max()
       and len(set(map(tuple, sz))) > 1 and all(x[i, sz[i, 0]:].sum() == 0 for i in range(5)),
       "mixed sizes pad to the batch's largest (%s), true sizes returned, padding zero" % (x.shape,))
x2, _, e2 = next(iter(Batches(D + "/mixed-*.tfrecord", 5, shuffle=False, keys=K, pad="resize", resize=(7, 9))))
report(x2.shape == (5, 7, 9, 3) and (e2["sizes"] == sz).all(), "pad='resize' resizes every image to 7x9")
x3, _, _ = next(iter(Batches(D + "/mixed-*.tfrecord", 5, shuffle=False, keys=K, pad="resize")))
report(x3.shape[1:3] == tuple(sz[0]), "pad='resize' without a size: the first record's %s" % (tuple(sz[0]),))
x, y = next(iter(Batches(D + "/ml-*.tfrecord", 6, shuffle=False)))
report(y.dtype == np.int64 and y.ndim == 2 and (y[:, 0] >= 0).all() and y.shape[0] == 6,
       "multi-label: (B, L) int64 padded with -1: %s" % y.tolist())
_, mh = next(iter(Batches(D + "/ml-*.tfrecord", 6, shuffle=False, num_classes=4)))
report(mh.shape == (6, 4) and mh.dtype == np.float32 and (mh.sum(1) == (y >= 0).sum(1)).all(),
       "multi-label with num_classes=4: a multi-hot (B, 4) float32")
bk = ["image/object/bbox/xmin", "image/object/bbox/ymax", "image/object/class/label"]
x, e = next(iter(Batches(D + "/det-*.tfrecord", 4, shuffle=False, label_key=None, keys=bk)))
report(len(e["image/object/class/label"]) == 4 and {len(np.atleast_1d(v)) for v in e["image/object/bbox/xmin"]} == {1, 2},
       "boxes: per-record box lists of 1 and 2 boxes batch")

if torch is None:
    skip("torch datasets", "torch is not installed (Debian: python3-torch)")
    sys.exit(1 if fails else 0)


def loader_ids(ds, nw, bs=None):
    dl = torch.utils.data.DataLoader(ds, batch_size=bs, num_workers=nw,
                                     multiprocessing_context="fork" if nw else None)
    out = []
    for b in dl:
        fn = b[2]["image/filename"]
        out.append(gids(fn if isinstance(fn, list) else [fn]))
    return out


# 5. ShardDataset agrees with the plan; the order does not depend on workers.
for mode in ("none", "buffer", "full"):
    for world, r in ((1, 0), (3, 2)):
        want = plan.rank_ids(COUNTS, 7, 1, r, world, mode, 4, False)
        runs = {}
        for nw in (0, 1, 2, 3):
            ds = ShardDataset(T, batch_size=3, shuffle=mode, seed=7, shuffle_buffer=4, rank=r,
                              world_size=world, keys=K)
            ds.set_epoch(1)
            runs[nw] = loader_ids(ds, nw)
        report(all(v == plan.batches(want, 3, False) for v in runs.values()),
               "ShardDataset batch_size=3, %s, rank %d of %d: the plan's batches with 0, 1, 2, 3 workers"
               % (mode, r, world))
    ds_items = {}
    for nw in (0, 2, 3):
        ds = ShardDataset(T, shuffle=mode, seed=7, shuffle_buffer=4, keys=K)
        ds.set_epoch(1)
        ds_items[nw] = [g for b in loader_ids(ds, nw) for g in b]
    report(all(v == plan.rank_ids(COUNTS, 7, 1, 0, 1, mode, 4, False) for v in ds_items.values()),
           "ShardDataset items, %s: the plan's order with 0, 2, 3 workers (DataLoader batch_size=None)" % mode)
for shuffle, mode in ((True, "full"), (False, "none")):
    for world, r in ((1, 0), (4, 3)):
        want = plan.rank_ids(COUNTS, 7, 2, r, world, mode, 0, True)
        runs = []
        for nw in (0, 2, 3):
            ds = IndexedDataset(T, shuffle=shuffle, seed=7, rank=r, world_size=world, drop_last=True, keys=K)
            ds.set_epoch(2)
            runs.append([g for b in loader_ids(ds, nw, bs=2) for g in b])
        report(all(v == want for v in runs), "IndexedDataset shuffle=%s, rank %d of %d: the plan's %s order "
               "with 0, 2, 3 workers" % (shuffle, r, world, mode))

# 6. Resume with torch: no workers (counted) and 2 workers (batch= given).
for nw in (0, 2):
    kw = dict(batch_size=2, seed=4, shuffle_buffer=3, keys=K)
    ds = ShardDataset(T, **kw)
    ds.set_epoch(5)
    whole = loader_ids(ds, nw)
    ds = ShardDataset(T, **kw)
    ds.set_epoch(5)
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=nw,
                                     multiprocessing_context="fork" if nw else None)
    it = iter(dl)
    head = [gids(next(it)[2]["image/filename"]) for _ in range(3)]
    st = ds.state_dict(batch=3 if nw else None)
    del it
    ds2 = ShardDataset(T, **kw)
    ds2.load_state_dict(st)
    rest = loader_ids(ds2, nw)
    report(st["batch"] == 3 and st["epoch"] == 5 and head + rest == whole,
           "ShardDataset, %d workers: resume at batch 3 gives the rest of the epoch" % nw)
ds = ShardDataset(T, batch_size=2, keys=K)
list(torch.utils.data.DataLoader(ds, batch_size=None, num_workers=1))
try:
    ds.state_dict()
    msg = None
except ValueError as e:
    msg = str(e)
report(msg is not None and "batch=" in msg, "state_dict() after worker reads asks for batch=: %s" % msg)
ix = IndexedDataset(T, seed=3, keys=K)
ix.set_epoch(1)
whole = [gids([ix[i][2]["image/filename"]])[0] for i in range(len(ix))]
st = plan.make_state(ix._fields(), 1, 10)
ix2 = IndexedDataset(T, seed=3, keys=K)
ix2.load_state_dict(st)
rest = [gids([ix2[i][2]["image/filename"]])[0] for i in range(len(ix2))]
report(rest == whole[10:] and len(ix2) == N - 10, "IndexedDataset: resume at item 10 gives the rest")

kept = [x for x, y in ShardDataset(T, batch_size=4, seed=1)]
fresh = [x.clone() for x, y in ShardDataset(T, batch_size=4, seed=1)]
report(len(kept) == len(fresh) > 2 and all(torch.equal(a, c) for a, c in zip(kept, fresh)),
       "ShardDataset: tensors the caller keeps are never overwritten by later batches")

# 7. Mixed sizes and multi-label through torch.
x, y, e = next(iter(ShardDataset(D + "/mixed-*.tfrecord", batch_size=5, shuffle=False, keys=K)))
report(tuple(x.shape[1:3]) == tuple(e["sizes"].max(0).values.tolist()) and e["sizes"].dtype == torch.int32,
       "ShardDataset mixed sizes: padded tensor, sizes in extras")
x, y = next(iter(ShardDataset(D + "/ml-*.tfrecord", batch_size=6, shuffle=False, num_classes=4)))
report(y.shape == (6, 4) and y.dtype == torch.float32, "ShardDataset multi-label, num_classes=4: multi-hot")

# 8. A damaged record read by a DataLoader worker arrives as TFRecordError
# with its path, record and offset; also through shuffle='full'.
tmp = D + "/bad"
os.makedirs(tmp, exist_ok=True)
src = sorted(glob.glob(T))[1]
bad_path = tmp + "/x-00000-of-00001.tfrecord"
shutil.copy(src, bad_path)
shutil.copy(src + ".idx", bad_path + ".idx")
offs, _ = read_index(bad_path + ".idx")
with open(bad_path, "r+b") as f:
    f.seek(int(offs[1]) + 30)
    c = f.read(1)
    f.seek(int(offs[1]) + 30)
    f.write(bytes([c[0] ^ 1]))
for mode in ("none", "full"):
    for nw in (0, 2):
        try:
            loader_ids(ShardDataset(bad_path, shuffle=mode, batch_size=1, keys=K), nw)
            err = None
        except TFRecordError as e:
            err = e
        report(err is not None and err.path == bad_path and err.index == 1 and err.offset == int(offs[1])
               and "data CRC mismatch" in str(err),
               "damage, %s, %d workers: TFRecordError with path, record 1, offset %d: %s"
               % (mode, nw, int(offs[1]), str(err).splitlines()[-1] if err else None))
sys.exit(1 if fails else 0)
