#!/usr/bin/env python3
"""train_torch.py - train a small CNN on tfrec shards, alone or as DDP (gloo).

    tfrec convert --resize 32x32 --shards 16 --index -o out/train sample-data/photos
    python3 examples/train_torch.py --epochs 2 'out/train-*.tfrecord'
    python3 -m torch.distributed.run --nproc_per_node 3 --redirects 2 --tee 1 \\
        --log_dir out/logs --rdzv_backend c10d --rdzv_endpoint localhost:0 \\
        examples/train_torch.py --epochs 2 'out/train-*.tfrecord'      # DDP, gloo, CPU

(Debian 12's torchrun crashes at start with "AttributeError: 'NoneType'
object has no attribute 'get'": its --redirects/--tee default 0 does not
parse under Python 3.11; the line above passes values that do.)

The records come from tfrec.torch.Loader, tfrec's C loader with its own
threads, when libtfrec has it; else from ShardDataset through a
DataLoader whose workers each batch (batch_size= on the dataset,
batch_size=None on the loader).  Both give the order of tfrec.plan: each
rank the same number of batches (so DDP never waits on a rank that ran
out), a new order per epoch (set_epoch), the same order whatever the
number of threads or workers.  At the end every rank prints
'rank R of W: B batches in E epochs, done', which tests/t0107-ddp.sh
checks.
"""
import argparse
import glob
import json
import os
import re

import torch
import torch.distributed as dist
import torch.nn as nn
from torch.utils.data import DataLoader


def classes_of(pattern):
    """Class count from the shards' manifest (PREFIX.json), if there is one."""
    for path in sorted(glob.glob(pattern)):
        m = re.match(r"(.*)-\d{5}-of-\d{5}\.tfrecord", path)
        if m and os.path.exists(m.group(1) + ".json"):
            with open(m.group(1) + ".json") as f:
                labels = json.load(f).get("labels") or []
            if labels:
                return len(labels)
    return 1000


def engine_available():
    try:
        from tfrec import _engine
        import tfrec.torch
        return _engine.available() and hasattr(tfrec.torch, "Loader")
    except ImportError:
        return False


def make_data(args, rank, world):
    """(iterable of (images, labels) batches, object with set_epoch, name)."""
    if engine_available() and not args.dataset:
        from tfrec.torch import Loader
        loader = Loader(args.shards, args.batch_size, threads=args.threads, seed=1, layout="chw",
                        dtype="float32", rank=rank, world_size=world)
        return loader, loader, "tfrec.torch.Loader"
    from tfrec.torch import ShardDataset
    ds = ShardDataset(args.shards, batch_size=args.batch_size, layout="chw", seed=1,
                      rank=rank, world_size=world)
    loader = DataLoader(ds, batch_size=None, num_workers=args.workers,
                        persistent_workers=args.workers > 0)
    return loader, ds, "ShardDataset, %d workers" % args.workers


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shards", help="glob of shards, e.g. 'out/train-*.tfrecord'")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0: no limit)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="DataLoader workers (ShardDataset)")
    ap.add_argument("--threads", type=int, default=2, help="loader threads (tfrec.torch.Loader)")
    ap.add_argument("--dataset", action="store_true", help="use ShardDataset even when the Loader is there")
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torch.distributed.run
        dist.init_process_group("gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    world = dist.get_world_size() if dist.is_initialized() else 1
    data, epochs_of, name = make_data(args, rank, world)
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(8, classes_of(args.shards)))
    if dist.is_initialized():
        model = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    step = 0
    for epoch in range(args.epochs):
        epochs_of.set_epoch(epoch)
        for images, labels in data:  # (B, 3, H, W), (B,) int64
            loss = nn.functional.cross_entropy(model(images.float()), labels)
            opt.zero_grad()
            loss.backward()  # DDP: an all-reduce every step
            opt.step()
            step += 1
            if rank == 0:
                print("epoch %d step %d loss %.4f" % (epoch, step, loss.item()), flush=True)
            if step == args.steps:
                break
        if step == args.steps:
            break
    print("rank %d of %d: %d batches in %d epochs, done (%s)" % (rank, world, step, epoch + 1, name),
          flush=True)
    if dist.is_initialized():
        del model
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
