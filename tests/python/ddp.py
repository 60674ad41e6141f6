"""ddp.py SHARDDIR: a 3-rank gloo DistributedDataParallel run on CPU over
ShardDataset, 2 DataLoader workers a rank (spawned, as the ranks are: a
process started by spawn starts its own children so), one epoch with
drop_last=False ('pad') and one with drop_last=True ('drop').

Each rank trains a tiny model one step per batch (every step is an
all-reduce, so a rank with fewer batches would leave the others waiting
until the collective timeout, set short here).  Then the ranks gather
what they saw and rank 0 checks: equal batch counts, equal to len(loader);
the union covers the dataset (pad: every record, and exactly the padding
read twice; drop: every record but the remainder, none twice); the
ranks' records never overlap beyond the padding.  Prints 'ok ...' lines;
exits 1 on failure."""
import datetime
import faulthandler
import glob
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.utils.data import DataLoader

from tfrec.torch import ShardDataset

WORLD = 3


def rank_main(rank, shard_glob, init, q):
    # A hang must fail the test, with the stack, rather than stall make check.
    faulthandler.dump_traceback_later(240, exit=True)
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=WORLD,
                            timeout=datetime.timedelta(seconds=60))
    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(8 * 8 * 3, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    # Rank and world size come from the initialized process group.
    for mode in ("pad", "drop"):
        ds = ShardDataset(shard_glob, batch_size=4, drop_last=(mode == "drop"), seed=5,
                          keys=["image/filename"])
        loader = DataLoader(ds, batch_size=None, num_workers=2)
        ds.set_epoch(1)
        seen, steps = [], 0
        for img, label, extra in loader:
            loss = torch.nn.functional.cross_entropy(model(img.float().flatten(1)), label)
            opt.zero_grad()
            loss.backward()  # the all-reduce
            opt.step()
            steps += 1
            seen += [x.decode() for x in extra["image/filename"]]
        everything = [None] * WORLD
        dist.all_gather_object(everything, (ds.rank, steps, len(loader), seen))
        if rank == 0:
            q.put((mode, everything))
    # The DDP reducer goes before its process group (its destructor could
    # otherwise wait on a group already torn down), then the group.
    del model, opt, loader
    dist.barrier()
    dist.destroy_process_group()


def main():
    d = sys.argv[1]
    shard_glob = d + "/t-*.tfrecord"
    names = sorted(os.path.relpath(p, d + "/../img") for p in glob.glob(d + "/../img/*/*.png"))
    n = len(names)
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    init = "file://" + os.path.join(d, "ddp.rendezvous")
    mp.spawn(rank_main, args=(shard_glob, init, q), nprocs=WORLD, join=True)
    fails = 0
    for _ in range(2):
        mode, got = q.get()
        fails += check_mode(mode, got, names)
    return 1 if fails else 0


def check_mode(mode, got, names):
    n = len(names)
    fails = 0

    def check(ok, what):
        nonlocal fails
        print(("ok " if ok else "FAIL ") + what)
        fails += not ok

    ranks = [g[0] for g in got]
    steps = [g[1] for g in got]
    lens = [g[2] for g in got]
    seen = [g[3] for g in got]
    per = n // WORLD if mode == "drop" else -(-n // WORLD)
    check(ranks == list(range(WORLD)), "%s: ranks came from torch.distributed: %s" % (mode, ranks))
    check(len(set(steps)) == 1 and steps == lens and steps[0] == -(-per // 4),
          "%s: every rank ran %s batches, len(loader) %s" % (mode, steps, lens))
    check(all(len(s) == per for s in seen), "%s: every rank saw %d records" % (mode, per))
    union = set().union(*map(set, seen))
    total = sum(len(s) for s in seen)
    if mode == "pad":
        check(union == set(names) and total - n == per * WORLD - n,
              "pad: the union is all %d records; %d padded (read twice)" % (n, total - n))
    else:
        check(len(union) == total == n - n % WORLD and union <= set(names),
              "drop: %d distinct records, none twice; the %d left over dropped" % (len(union), n % WORLD))
    overlap = sum(len(set(seen[a]) & set(seen[b])) for a in range(WORLD) for b in range(a + 1, WORLD))
    check(overlap <= (per * WORLD - n if mode == "pad" else 0),
          "%s: ranks overlap in %d records (the padding at most)" % (mode, overlap))
    return fails


if __name__ == "__main__":
    sys.exit(main())
