#!/usr/bin/env python3
"""train_torch.py - train a small CNN on tfrec shards for a few steps.

    tfrec convert --resize 32x32 --shards 16 --index -o out/train sample-data/photos
    python3 examples/train_torch.py --steps 100 'out/train-*.tfrecord'
    # DDP over gloo, 3 ranks (torchrun's entry point is not on Debian's PATH):
    python3 -m torch.distributed.run --nproc_per_node 3 examples/train_torch.py 'out/train-*.tfrecord'

The dataset batches inside the DataLoader workers (batch_size= on the
dataset, batch_size=None on the loader), so a worker passes one tensor
per batch; set_epoch gives each epoch its own order; every rank gets the
same number of batches, so DDP never waits on a rank that ran out.
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

from tfrec.torch import ShardDataset


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


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shards", help="glob of shards, e.g. 'out/train-*.tfrecord'")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--lr", type=float, default=0.05)
    args = ap.parse_args()

    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # started by torchrun
        dist.init_process_group("gloo")
    ds = ShardDataset(args.shards, batch_size=args.batch_size, layout="chw", seed=1)
    loader = DataLoader(ds, batch_size=None, num_workers=args.workers,
                        persistent_workers=args.workers > 0)
    model = nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(32, classes_of(args.shards)))
    if dist.is_initialized():
        model = nn.parallel.DistributedDataParallel(model)
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    step, epoch = 0, 0
    while step < args.steps:
        ds.set_epoch(epoch)
        for images, labels in loader:  # (B, 3, H, W) float16, (B,) int64
            loss = nn.functional.cross_entropy(model(images.float()), labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
            step += 1
            if ds.rank == 0:
                print("epoch %d step %d loss %.4f" % (epoch, step, loss.item()), flush=True)
            if step == args.steps:
                break
        epoch += 1
    if dist.is_initialized():
        del model
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
