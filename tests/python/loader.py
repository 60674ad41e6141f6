"""loader.py SHARDDIR: DataLoader over ShardDataset and IndexedDataset
with 0, 2 and 4 workers under fork and spawn: every record exactly once
per epoch, len() right, items writable tensors; persistent workers see
set_epoch.  Prints one 'ok'/'FAIL' line per case; exits 1 on any FAIL."""
import glob
import os
import sys
import warnings

import torch
from torch.utils.data import DataLoader

from tfrec.torch import IndexedDataset, ShardDataset

warnings.simplefilter("error", UserWarning)  # e.g. non-writable tensors, len mismatch
warnings.filterwarnings("ignore", message="This DataLoader will create")  # 2 cores here
d = sys.argv[1] if __name__ == "__main__" else None
failed = 0


def report(ok, what):
    global failed
    print(("ok " if ok else "FAIL ") + what, flush=True)
    failed += not ok


def names(batches, batched):
    got = []
    for b in batches:
        img, label, extra = b
        assert img.is_contiguous()
        img.add_(0)  # writable, no warning
        fn = extra["image/filename"]
        got += [x.decode() for x in (fn if batched else [fn])]
    return got


def run(ds, nw, ctx, batched, loader_bs=None, persistent=False, epochs=(0,)):
    kw = dict(num_workers=nw, batch_size=loader_bs)
    if nw:
        kw.update(multiprocessing_context=ctx, persistent_workers=persistent)
    dl = DataLoader(ds, **kw)
    out = []
    for e in epochs:
        ds.set_epoch(e)
        got = []
        n = 0
        for b in dl:
            got += names([b], batched)
            n += 1
        out.append((got, n, len(dl)))
    return out


def main():
    global SHARDS, ALL
    SHARDS = d + "/t-*.tfrecord"
    ALL = sorted(os.path.relpath(p, d + "/../img") for p in glob.glob(d + "/../img/*/*.png"))
    for ctx in ("fork", "spawn"):
        for nw in (0, 2, 4):
            if nw == 0 and ctx == "spawn":
                continue
            tag = "%s, %d workers" % (ctx, nw)
            ds = ShardDataset(SHARDS, keys=["image/filename"], seed=3)
            [(got, n, ln)] = run(ds, nw, ctx, False)
            report(sorted(got) == ALL and n == ln == len(ALL),
                   "ShardDataset items, %s: %d of %d records once, len %d" % (tag, len(set(got)), len(ALL), ln))
            if ctx == "fork":  # under spawn, the persistent-worker case below batches
                ds = ShardDataset(SHARDS, keys=["image/filename"], batch_size=8, seed=3)
                [(got, n, ln)] = run(ds, nw, ctx, True)
                report(sorted(got) == ALL and n == ln == (len(ALL) + 7) // 8,
                       "ShardDataset batch_size=8, %s: every record once, %d batches, len %d" % (tag, n, ln))
            if ctx == "fork" or nw == 4:  # spawn, 2 workers: the persistent case below
                ds = IndexedDataset(SHARDS, keys=["image/filename"], seed=3)
                [(got, n, ln)] = run(ds, nw, ctx, True, loader_bs=8)
                report(sorted(got) == ALL and n == ln == (len(ALL) + 7) // 8,
                       "IndexedDataset, %s: every record once, %d batches, len %d" % (tag, n, ln))
        # persistent workers: set_epoch in the main process reaches them
        for cls in (ShardDataset, IndexedDataset):
            kw = {"batch_size": 8} if cls is ShardDataset else {}
            ds = cls(SHARDS, keys=["image/filename"], seed=3, **kw)
            res = run(ds, 2, ctx, True, loader_bs=None if kw else 8, persistent=True, epochs=(0, 1, 0))
            orders = [r[0] for r in res]
            report(all(sorted(o) == ALL for o in orders) and orders[0] != orders[1]
                   and orders[0] == orders[2] and all(r[1] == r[2] == 13 for r in res),
                   "%s, %s, 2 persistent workers: every record once in each of 3 epochs, "
                   "13 batches = len; set_epoch changes the order, epoch 0 again gives it back"
                   % (cls.__name__, ctx))


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
