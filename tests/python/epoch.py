"""epoch.py SHARDDIR: order and rank split of ShardDataset, IndexedDataset
and tfrec.numpy.Batches without workers: set_epoch changes the order,
the same (seed, epoch) gives the same order, another seed another order;
within an epoch the 3 ranks never overlap (drop_last=True) or overlap
only in the padding (False), and together cover the dataset; rank and
world size from $RANK/$WORLD_SIZE.  Prints ok/FAIL lines."""
import glob
import os
import sys

from tfrec.numpy import Batches
from tfrec.torch import IndexedDataset, ShardDataset

d = sys.argv[1]
SHARDS = d + "/t-*.tfrecord"
ALL = sorted(os.path.relpath(p, d + "/../img") for p in glob.glob(d + "/../img/*/*.png"))
N = len(ALL)
K = ["image/filename"]
fails = 0


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what)
    fails += not ok


def names(kind, epoch, seed=0, rank=0, world=1, drop=False):
    if kind == "numpy":
        ds = Batches(SHARDS, 5, keys=K, seed=seed, rank=rank, world_size=world, drop_last=drop)
        ds.set_epoch(epoch)
        return [x.decode() for _, _, e in ds for x in e["image/filename"]]
    cls = ShardDataset if kind == "ShardDataset" else IndexedDataset
    ds = cls(SHARDS, keys=K, seed=seed, rank=rank, world_size=world, drop_last=drop)
    ds.set_epoch(epoch)
    return [item[2]["image/filename"].decode() for item in (ds if kind == "ShardDataset" else
                                                           (ds[i] for i in range(len(ds))))]


for kind in ("ShardDataset", "IndexedDataset", "numpy"):
    e0, e0b, e1, s1 = names(kind, 0), names(kind, 0), names(kind, 1), names(kind, 0, seed=1)
    report(e0 == e0b and sorted(e0) == ALL, "%s: same seed and epoch, same order, every record" % kind)
    report(e1 != e0 and sorted(e1) == ALL, "%s: set_epoch(1) changes the order" % kind)
    report(s1 != e0, "%s: another seed, another order" % kind)
    for drop in (True, False):
        per = N // 3 if drop else -(-N // 3)
        r = [names(kind, 2, rank=k, world=3, drop=drop) for k in range(3)]
        over = sum(len(set(r[a]) & set(r[b])) for a in range(3) for b in range(a + 1, 3))
        union = set().union(*map(set, r))
        pad = 3 * per - N
        ok = all(len(x) == per for x in r) and over <= (0 if drop else pad) and \
            len(union) == (N - N % 3 if drop else N)
        report(ok, "%s, 3 ranks, drop_last=%s: %d each, overlap %d, union %d of %d"
               % (kind, drop, per, over, len(union), N))
os.environ["RANK"], os.environ["WORLD_SIZE"] = "2", "3"
ds = ShardDataset(SHARDS)
report((ds.rank, ds.world_size, len(ds)) == (2, 3, -(-N // 3)),
       "rank and world size from RANK and WORLD_SIZE: %s, len %d" % ((ds.rank, ds.world_size), len(ds)))
ds = ShardDataset(SHARDS, rank=0, world_size=2)
report((ds.rank, ds.world_size) == (0, 2), "explicit rank and world_size win over the environment")
sys.exit(1 if fails else 0)
