"""plan_known.py: tfrec.plan (the order rules, pure Python) against known
answers shared with the C loader (loader-c checks the same numbers from
C), and the plan's own properties: splitmix64's published first output,
every rank equal, exactly once per epoch across ranks, padding and
drop_last, the shuffle buffer a permutation of its input.  No numpy, no
torch.  Prints ok/FAIL lines."""
import sys

from tfrec import plan

fails = 0


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what)
    fails += not ok


# splitmix64 seeded with 0 gives 0xE220A8397B1DCDAF first (Vigna's
# reference code): next() and mix64 are that generator.
report(plan.Rng(0).next() == 0xE220A8397B1DCDAF, "next(0) is splitmix64's first output")

# The known answers of the loader spec (section 1).
K0 = 0x63CFC62A2B097592
report(plan.key(0) == K0, "key(0) = 0x%016X" % plan.key(0))
r = plan.Rng(plan.key(1, 2, 3))
got = [r.next() for _ in range(3)]
want = [0x918C863AE57EC889, 0x66CB0066BD0DDAA4, 0x0A2D6E82A17F2935]
report(got == want, "first 3 next() of key(1, 2, 3) = %s" % ", ".join("0x%016X" % x for x in got))
perm = plan.Rng(plan.key(7, 0, 1)).permute(list(range(10)))
report(perm == [5, 9, 3, 7, 6, 0, 1, 8, 4, 2], "permute(range(10), key(7, 0, 1)) = %s" % perm)
stream = plan.epoch_stream([5, 3, 4], 7, 1, "buffer")
report(stream == [8, 9, 10, 11, 5, 6, 7, 0, 1, 2, 3, 4],
       "buffer stream of c=[5,3,4], seed 7, epoch 1 (shards 2, 1, 0) = %s" % stream)
r0 = plan.rank_ids([5, 3, 4], 7, 1, 0, 2, "buffer", 4, False)
r1 = plan.rank_ids([5, 3, 4], 7, 1, 1, 2, "buffer", 4, False)
report(r0 == [11, 5, 10, 6, 9, 8], "rank 0 of W=2, B=4 = %s" % r0)
report(r1 == [7, 1, 0, 4, 3, 2], "rank 1 of W=2, B=4 = %s" % r1)
report(plan.aug_rnd(7, 1, 5) == plan.Rng(plan.key(7, 1, 5, plan.AUG)).next()
       and plan.aug_rnd(7, 1, 5) != plan.aug_rnd(7, 2, 5), "aug_rnd depends on the epoch")

# below() stays below n, also for n near 2**64.
rng = plan.Rng(plan.key(9))
report(all(rng.below(n) < n for n in (1, 2, 3, 10, (1 << 63) + 1, (1 << 64) - 1) for _ in range(50)),
       "below(n) < n")

# Exactly once per epoch across ranks, equal counts, padding and drop_last.
bad = []
for counts in ([5, 3, 4], [1], [7, 0, 2, 9], [3] * 5, [13]):
    total = sum(counts)
    for mode in plan.MODES:
        for world in (1, 2, 3, 4):
            for drop in (False, True):
                for B in (0, 1, 2, 4, 100):
                    ranks = [plan.rank_ids(counts, 3, 2, r, world, mode, B, drop) for r in range(world)]
                    n = plan.per_rank(total, world, drop)
                    every = [g for x in ranks for g in x]
                    stream = plan.epoch_stream(counts, 3, 2, mode)
                    want = [stream[p % total] for p in range(world * n)]
                    if any(len(x) != n for x in ranks) or sorted(every) != sorted(want):
                        bad.append((counts, mode, world, drop, B))
                    if drop and len(set(every)) != len(every):
                        bad.append(("dup", counts, mode, world, B))
report(not bad, "every rank n records, all ranks together the stream once (+ padding) "
       "for 5 count lists x 3 modes x W 1..4 x drop_last x 5 buffers%s" % (" %s" % bad[:3] if bad else ""))
report(sorted(plan.epoch_stream([5, 3, 4], 1, 0, "full")) == list(range(12))
       and plan.epoch_stream([5, 3, 4], 1, 0, "full") != plan.epoch_stream([5, 3, 4], 1, 1, "full")
       and plan.epoch_stream([5, 3, 4], 1, 0, "none") == list(range(12)),
       "full is a permutation that changes with the epoch; none is the given order")
report(plan.buffer_order(50, 1, 0, 0, 8) != list(range(50))
       and sorted(plan.buffer_order(50, 1, 0, 0, 8)) == list(range(50))
       and plan.buffer_order(50, 1, 0, 0, 1) == list(range(50)),
       "the shuffle buffer permutes its input; B < 2 keeps the order")
report(plan.batches(list(range(7)), 3, False) == [[0, 1, 2], [3, 4, 5], [6]]
       and plan.batches(list(range(7)), 3, True) == [[0, 1, 2], [3, 4, 5]],
       "batches: the last short batch kept or dropped")

# States: the digest names what differs.
f = plan.plan_fields([5, 3, 4], 7, 0, 2, 3, "buffer", 4, False)
st = plan.make_state(f, 1, 2)
report(plan.check_state(st, f) == (1, 2), "a state loads back under its plan")
try:
    plan.check_state(st, dict(f, seed=8))
    msg = None
except ValueError as e:
    msg = str(e)
report(msg is not None and "seed (state 7, here 8)" in msg, "another seed is refused by name: %s" % msg)
sys.exit(1 if fails else 0)
