"""Which records a rank and a DataLoader worker read, in which order.

Shared by tfrec.torch and tfrec.numpy; plain numpy, no torch.

Streaming (ShardDataset, tfrec.numpy.batches)
    Each epoch the shards are put in an order drawn from (seed, epoch)
    (the given order when shuffle is off), and their records, laid end to
    end, form one stream of N records, the same on every rank.  The
    stream is split by records, not by shards, into world_size equal,
    contiguous ranges:

    - drop_last=True: each rank gets N // world_size records; the last
      N % world_size records of the epoch's stream are left out (which
      ones changes with the epoch when shuffling);
    - drop_last=False (default): each rank gets ceil(N / world_size)
      records; the stream is extended by repeating its first records,
      as DistributedSampler pads, so a few records are read twice.

    A rank's range is then cut into one contiguous piece per DataLoader
    worker (whole batches each, when the dataset batches), and each
    worker passes its records through a shuffle buffer seeded by (seed,
    epoch, rank, worker).  Every rank therefore yields the same number of
    samples whatever the shard count, and no record is read by two ranks
    except the padding.

Map-style (IndexedDataset)
    A full permutation of all N records drawn from (seed, epoch), padded
    or cut as above, and dealt to ranks as DistributedSampler does:
    rank r takes positions r, r + world_size, ...
"""
import glob as _glob
import os

import numpy as np


def resolve_paths(paths):
    """A sorted glob (str with * ? [) or the given path(s), as a list of
    shard paths.  .idx sidecars that a glob matches are left out."""
    if isinstance(paths, (str, os.PathLike)):
        p = os.fspath(paths)
        if any(c in p for c in "*?["):
            found = sorted(x for x in _glob.glob(p) if not x.endswith(".idx"))
            if not found:
                raise FileNotFoundError("no shards match '%s'" % p)
            return found
        return [p]
    out = [os.fspath(p) for p in paths]
    if not out:
        raise ValueError("no shards given")
    return out


def resolve_rank(rank=None, world_size=None):
    """(rank, world_size): explicit arguments when given, else an
    initialized torch.distributed, else $RANK and $WORLD_SIZE, else (0, 1).
    Never imports torch itself; uses it only when already imported."""
    import sys
    if rank is not None and world_size is not None:
        r, w = int(rank), int(world_size)
    else:
        r = w = None
        dist = sys.modules.get("torch.distributed")
        if dist is not None and dist.is_available() and dist.is_initialized():
            r, w = dist.get_rank(), dist.get_world_size()
        elif "WORLD_SIZE" in os.environ:
            r, w = int(os.environ.get("RANK", "0")), int(os.environ["WORLD_SIZE"])
        r = int(rank) if rank is not None else (r if r is not None else 0)
        w = int(world_size) if world_size is not None else (w if w is not None else 1)
    if w < 1 or not 0 <= r < w:
        raise ValueError("rank %d is not in 0..%d (world size %d)" % (r, w - 1, w))
    return r, w


def per_rank(total, world_size, drop_last):
    """Samples each rank gets from a stream of total records."""
    if drop_last:
        return total // world_size
    return -(-total // world_size)


def _rng(*key):
    return np.random.Generator(np.random.PCG64([int(k) & 0xFFFFFFFF for k in key]))


def shard_order(nshards, seed, epoch, shuffle):
    if not shuffle:
        return np.arange(nshards)
    return _rng(seed, epoch, 0x5A4D).permutation(nshards)


def permutation(total, seed, epoch, shuffle):
    """The map-style order of one epoch (int64 array of record numbers)."""
    if not shuffle:
        return np.arange(total, dtype=np.int64)
    return _rng(seed, epoch, 0x9E37).permutation(total)


def worker_range(n, worker, nworkers, batch_size=None, drop_last_batch=False):
    """[a, b) of a rank's n samples that one worker reads; with batch_size,
    whole batches per worker (the last may be short unless dropped)."""
    if not batch_size:
        return n * worker // nworkers, n * (worker + 1) // nworkers
    nb = n // batch_size if drop_last_batch else -(-n // batch_size)
    b0, b1 = nb * worker // nworkers, nb * (worker + 1) // nworkers
    return min(b0 * batch_size, n), min(b1 * batch_size, n)


def num_batches(n, batch_size, drop_last_batch):
    return n // batch_size if drop_last_batch else -(-n // batch_size)


def stream_segments(counts, order, start, stop):
    """Pieces of the epoch's stream [start, stop): a list of (shard number,
    first record, record count).  Positions at or past N wrap to the
    stream's start (the padding)."""
    counts = np.asarray(counts, dtype=np.int64)
    ordered = counts[order]
    ends = np.cumsum(ordered)
    total = int(ends[-1]) if len(ends) else 0
    out = []
    pos = start
    while pos < stop:
        if total == 0:
            raise ValueError("the shards hold no records")
        p = pos % total
        k = int(np.searchsorted(ends, p, side="right"))
        first = p - (int(ends[k]) - int(ordered[k]))
        take = min(int(ordered[k]) - first, stop - pos)
        out.append((int(order[k]), first, take))
        pos += take
    return out


def shuffle_buffer(items, size, rng):
    """Yield items in an order drawn by rng through a buffer of size
    items: each output is a uniform pick among the buffered ones."""
    if size <= 1:
        yield from items
        return
    buf = []
    for it in items:
        if len(buf) < size:
            buf.append(it)
            continue
        j = int(rng.integers(size))
        buf[j], it = it, buf[j]
        yield it
    rng.shuffle(buf)
    yield from buf


def worker_rng(seed, epoch, rank, worker):
    return _rng(seed, epoch, rank, worker, 0xB0F)
