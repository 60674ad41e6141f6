"""Which records a rank reads in an epoch, in which order: the one place.

This module is the documentation of tfrec's order rules, and their
reference implementation in pure Python (integers only, no numpy).  The C
loader in libtfrec (src/lib/readback/loader.c) follows the same rules bit for bit,
and tests/python/plan_known.py holds known answers both must give.  The
order depends only on the shard list, their record counts, seed, epoch,
rank, world_size, batch_size, the shuffle mode, shuffle_buffer and
drop_last: never on threads, DataLoader workers or the machine.

Records
    The shards are taken in the given order (a glob is sorted, ``.idx``
    files left out), with counts c[0..S-1] (from the manifest, the
    ``.idx`` or a scan) and N = sum(c).  Record i of shard s has the
    *global id* g = c[0] + ... + c[s-1] + i.

Random numbers (all arithmetic mod 2**64; a splitmix64-style stream)::

    mix64(z): z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
              z = (z ^ (z >> 27)) * 0x94D049BB133111EB
              return z ^ (z >> 31)
    key(v1, ..., vk): s = 0x6A09E667F3BCC909
                      for v in v1..vk: s = mix64((s ^ v) + 0x9E3779B97F4A7C15)
                      return s                    (a stream's starting state)
    next(state): state += 0x9E3779B97F4A7C15; return mix64(state)
    below(state, n): (next(state) * n) >> 64     (0 <= result < n)
    permute(a, state): for i = len(a)-1 down to 1:
                           j = below(state, i+1); swap a[i], a[j]

    Tags: SHARDS = 1, BUFFER = 2, PERM = 3, AUG = 4.

The epoch's stream (N global ids, the same on every rank)
    - shuffle "none": shards in the given order, records in order;
    - "buffer": shards in the order permute([0..S-1], key(seed, epoch,
      SHARDS)), records in order within each shard;
    - "full": permute([0..N-1], key(seed, epoch, PERM)) (random access:
      uncompressed shards with ``.idx`` sidecars, or offsets found by a
      scan; GZIP/ZLIB shards refuse it).

Ranks
    n = N // W with drop_last, else ceil(N / W) (W = world_size).  Rank r
    takes stream positions r*n .. r*n + n - 1; a position p >= N stands
    for stream[p - N]: the first records of the stream repeat, as
    torch's DistributedSampler pads.  Every rank gets n records; with
    drop_last the last N % W of the epoch's stream are left out.

Shuffle buffer (mode "buffer" with shuffle_buffer B >= 2 only)
    Over the rank's n ids in order, with state = key(seed, epoch, r,
    BUFFER): for each incoming id, if the buffer holds fewer than B,
    append it; else j = below(state, B), emit buf[j], buf[j] = id.  At
    the end permute(buf, state) (the same state, continued) and emit the
    buffer in order.  It holds at most B records: memory is B times the
    record size.

Batches
    Consecutive batch_size ids of the rank's sequence; the last, short
    batch is dropped when drop_last, else kept.  len() is the number of
    batches of the rank.  DataLoader workers: worker w of n yields the
    rank's batches (or, unbatched, items) w, w + n, w + 2n, ..., so that
    DataLoader's round-robin gives the order of no workers.

Augmentation
    A record's random augmentation draws from rnd = next(key(seed, epoch,
    g, AUG)): it depends on (seed, epoch, global id) only.

Resume
    A state is {"version": 1, "epoch": e, "batch": k, "plan": digest}
    where k is the batches already delivered in epoch e and digest is
    plan_digest() of what decides the order; loading a state made under
    another plan is an error.
"""
import glob as _glob
import hashlib
import json
import os

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
SHARDS, BUFFER, PERM, AUG = 1, 2, 3, 4
MODES = ("none", "buffer", "full")


def mix64(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def key(*values):
    """The starting state of the stream named by values (ints)."""
    s = 0x6A09E667F3BCC909
    for v in values:
        s = mix64(((s ^ (int(v) & M64)) + GOLDEN) & M64)
    return s


class Rng:
    """A stream of 64-bit numbers from a state (see the module doc)."""

    __slots__ = ("state",)

    def __init__(self, state):
        self.state = state & M64

    def next(self):
        self.state = (self.state + GOLDEN) & M64
        return mix64(self.state)

    def below(self, n):
        """A number in 0 .. n-1 (n >= 1): the high half of next() * n."""
        return (self.next() * n) >> 64

    def permute(self, a):
        """Shuffle the list a in place (Fisher-Yates from the end)."""
        for i in range(len(a) - 1, 0, -1):
            j = self.below(i + 1)
            a[i], a[j] = a[j], a[i]
        return a


def aug_rnd(seed, epoch, gid):
    """The u64 that drives record gid's random augmentation in an epoch."""
    return Rng(key(seed, epoch, gid, AUG)).next()


def mode_of(shuffle):
    """A shuffle argument (True/False or a mode name) as a mode name."""
    if shuffle is True:
        return "buffer"
    if shuffle is False or shuffle is None:
        return "none"
    if shuffle not in MODES:
        raise ValueError("shuffle must be one of %s (or True/False), not %r" % (", ".join(MODES), shuffle))
    return shuffle


def per_rank(total, world_size, drop_last):
    """n: the records each rank gets from a stream of total records."""
    if drop_last:
        return total // world_size
    return -(-total // world_size)


def num_batches(n, batch_size, drop_last):
    return n // batch_size if drop_last else -(-n // batch_size)


def shard_order(nshards, seed, epoch, mode):
    order = list(range(nshards))
    if mode == "buffer":
        Rng(key(seed, epoch, SHARDS)).permute(order)
    return order


def epoch_stream(counts, seed, epoch, mode):
    """The epoch's stream: a list of N global ids."""
    counts = [int(c) for c in counts]
    n = sum(counts)
    if mode == "full":
        return Rng(key(seed, epoch, PERM)).permute(list(range(n)))
    starts = [0]
    for c in counts:
        starts.append(starts[-1] + c)
    out = []
    for s in shard_order(len(counts), seed, epoch, mode):
        out.extend(range(starts[s], starts[s] + counts[s]))
    return out


def rank_positions(total, rank, world_size, drop_last):
    """The stream positions (already wrapped: p - N for p >= N) of a
    rank's records, in order."""
    n = per_rank(total, world_size, drop_last)
    if n and not total:
        raise ValueError("the shards hold no records")
    return [(rank * n + q) % total for q in range(n)]


def buffer_order(n, seed, epoch, rank, size):
    """The order in which the shuffle buffer emits a rank's n incoming
    records: a list of arrival numbers 0..n-1."""
    if size < 2:
        return list(range(n))
    rng = Rng(key(seed, epoch, rank, BUFFER))
    buf, out = [], []
    for q in range(n):
        if len(buf) < size:
            buf.append(q)
        else:
            j = rng.below(size)
            out.append(buf[j])
            buf[j] = q
    out.extend(rng.permute(buf))
    return out


class EpochPlan:
    """One rank's epoch: ``arrival`` (global ids in the order they are
    read from the stream) and ``order`` (indices into arrival, in the
    order they are delivered, after the shuffle buffer)."""

    def __init__(self, counts, seed, epoch, rank, world_size, mode, shuffle_buffer, drop_last):
        total = sum(int(c) for c in counts)
        stream = epoch_stream(counts, seed, epoch, mode)
        self.arrival = [stream[p] for p in rank_positions(total, rank, world_size, drop_last)]
        n = len(self.arrival)
        if mode == "buffer":
            self.order = buffer_order(n, seed, epoch, rank, int(shuffle_buffer))
        else:
            self.order = list(range(n))

    def ids(self):
        """The rank's global ids in delivery order."""
        return [self.arrival[q] for q in self.order]


def rank_ids(counts, seed, epoch, rank, world_size, mode, shuffle_buffer, drop_last):
    """The global ids a rank delivers in an epoch, in order."""
    return EpochPlan(counts, seed, epoch, rank, world_size, mode, shuffle_buffer, drop_last).ids()


def batches(ids, batch_size, drop_last):
    """Cut a rank's sequence into batches (lists)."""
    out = [ids[i:i + batch_size] for i in range(0, len(ids), batch_size)]
    if drop_last and out and len(out[-1]) < batch_size:
        out.pop()
    return out


def worker_share(count, worker, nworkers, start=0):
    """The batch (or item) numbers worker w of n yields, from start on:
    start + w, start + w + n, ... below count."""
    return range(start + worker, count, nworkers)


def plan_fields(counts, seed, rank, world_size, batch_size, mode, shuffle_buffer, drop_last):
    return {"counts": [int(c) for c in counts], "seed": int(seed), "rank": int(rank),
            "world_size": int(world_size), "batch_size": int(batch_size or 0), "shuffle": mode,
            "shuffle_buffer": int(shuffle_buffer), "drop_last": bool(drop_last)}


def plan_digest(fields):
    """Hex SHA-256 of the plan's fields as canonical JSON (sorted keys,
    no spaces)."""
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def make_state(fields, epoch, batch):
    return {"version": 1, "epoch": int(epoch), "batch": int(batch),
            "plan": plan_digest(fields), "fields": fields}


def check_state(state, fields):
    """(epoch, batch) of a state made under the plan of fields; ValueError
    naming what differs otherwise."""
    if not isinstance(state, dict) or state.get("version") != 1:
        raise ValueError("not a tfrec loader state (version 1): %r" % (state,))
    if state.get("plan") != plan_digest(fields):
        theirs = state.get("fields")
        if isinstance(theirs, dict):
            diff = ["%s (state %r, here %r)" % (k, theirs.get(k), fields[k])
                    for k in sorted(fields) if theirs.get(k) != fields[k]]
        else:
            diff = ["the plan digest (counts, seed, rank, world_size, batch_size, shuffle, "
                    "shuffle_buffer or drop_last)"]
        raise ValueError("the state was made under another plan: " + "; ".join(diff))
    return int(state["epoch"]), int(state["batch"])


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
