"""engine.py DIR: the C loader (tfrec._engine.Engine, tfrec.numpy.Loader,
tfrec.torch.Loader) against tfrec.plan and the loader spec, on t0106's
shards in DIR (t-*: 23 records in 5 plain shards with .idx; g-*: GZIP;
j-*: --store jpeg; mixed-*, ml-*, det-*).  Until libtfrec has the loader
(tfrec._engine.available() is false), every group prints one 'skip' line.

Groups: exactly once per epoch across ranks, equal counts, padding and
drop_last, for world sizes 1..4 and threads 1..4 in every shuffle mode
(the ids of each batch are plan.rank_ids', so the order does not depend
on threads); resume equals an uninterrupted run (augmentation too);
per-epoch augmentation deterministic and different across epochs;
multi-label, boxes and mixed sizes batch; damage raises TFRecordError
naming shard, record and offset from the loader's threads; batches kept
by the caller are not overwritten; the numpy and torch faces give the
Engine's batches, also inside a DataLoader with workers.
Prints ok/FAIL/skip lines."""
import glob
import os
import shutil
import sys
import traceback
import warnings

import numpy as np

import tfrec
from tfrec import plan
from tfrec.records import TFRecordError, read_index

warnings.filterwarnings("ignore", message="This DataLoader will create")
D = sys.argv[1]
T, G, J = D + "/t-*.tfrecord", D + "/g-*.tfrecord.gz", D + "/j-*.tfrecord"
fails = 0
GROUPS = ["exactly once, W 1..4 x threads 1..4, every mode", "resume", "augmentation per epoch",
          "multi-label, boxes, mixed sizes", "damage names shard, record, offset",
          "kept batches stay valid", "numpy.Loader and torch.Loader faces",
          "torch.Loader inside a DataLoader with workers"]

try:
    from tfrec import _engine
    have = _engine.available()
    why = "libtfrec has no loader (tfrec._engine.available() is false)"
except ImportError as e:
    have, why = False, "no tfrec._engine (%s)" % e
if not have:
    for g in GROUPS:
        print("skip %s: %s" % (g, why))
    sys.exit(0)
Engine = _engine.Engine


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what, flush=True)
    fails += not ok


def group(fn):
    """Run one group; an exception is one FAIL naming it."""
    try:
        fn()
    except Exception:
        report(False, "%s raised:\n%s" % (fn.__name__, "".join(
            "# " + x for x in traceback.format_exc().splitlines(True))))
    return fn


def counts(pattern):
    return [sum(1 for _ in tfrec.read_records(p))
            for p in sorted(x for x in glob.glob(pattern) if not x.endswith(".idx"))]


def epoch_ids(e):
    out = []
    while True:
        b = e.next()
        if b is None:
            return out
        out.append([int(x) for x in b["ids"]])


@group
def exactly_once():
    bad = []
    for pattern, modes in ((T, ("none", "buffer", "full")), (G, ("none", "buffer"))):
        c = counts(pattern)
        N = sum(c)
        for mode in modes:
            for world in (1, 2, 3, 4):
                for drop in (False, True):
                    for threads in (1, 2, 3, 4):
                        every = []
                        for r in range(world):
                            e = Engine(pattern, 4, threads=threads, shuffle=mode, seed=5, shuffle_buffer=6,
                                       rank=r, world_size=world, drop_last=drop)
                            e.set_epoch(3)
                            got = epoch_ids(e)
                            want = plan.batches(plan.rank_ids(c, 5, 3, r, world, mode, 6, drop), 4, drop)
                            if got != want or len(e) != len(want):
                                bad.append((pattern[-6:], mode, world, drop, threads, r))
                            every += [g for b in got for g in b]
                            e.close()
                        n = plan.per_rank(N, world, drop)
                        if len(every) != (n - n % 4 if drop else n) * world:
                            bad.append(("count", mode, world, drop, threads))
                        if drop and len(set(every)) != len(every):
                            bad.append(("twice", mode, world, threads))
                        if not drop and set(every) != set(range(N)):
                            bad.append(("missing", mode, world, threads))
    report(not bad, "Engine: each rank's batches are the plan's (so independent of threads), every "
           "record once per epoch across ranks plus padding, none twice with drop_last, equal "
           "counts: W 1..4 x threads 1..4 x modes x drop_last, plain and GZIP%s"
           % (" %s" % bad[:4] if bad else ""))


@group
def resume():
    for pattern, kw in ((T, dict(shuffle="buffer", shuffle_buffer=5)), (T, dict(shuffle="full")),
                        (J, dict(shuffle="buffer", random_resized_crop=6, flip=True))):
        kw = dict(kw, seed=3, rank=1, world_size=2, threads=2)
        e = Engine(pattern, 3, **kw)
        e.set_epoch(2)
        whole = []
        while True:
            b = e.next()
            if b is None:
                break
            whole.append((b["ids"].tolist(), np.array(b["images"])))
        e.set_epoch(2)
        head = [e.next()["ids"].tolist() for _ in range(2)]
        st = e.state_dict()
        e.close()
        e2 = Engine(pattern, 3, **dict(kw, threads=3))
        e2.load_state_dict(st)
        rest = []
        while True:
            b = e2.next()
            if b is None:
                break
            rest.append((b["ids"].tolist(), np.array(b["images"])))
        ok = head == [w[0] for w in whole[:2]] and [r[0] for r in rest] == [w[0] for w in whole[2:]] \
            and all(np.array_equal(a[1], b[1]) for a, b in zip(rest, whole[2:]))
        report(ok and st["epoch"] == 2 and st["batch"] == 2,
               "Engine resume at batch 2 (%s): the same ids and pixels as the uninterrupted run"
               % ", ".join("%s=%s" % kv for kv in sorted(kw.items()) if kv[0] != "seed"))
        e2.set_epoch(2)
        try:
            Engine(pattern, 3, **dict(kw, seed=4)).load_state_dict(st)
            msg = None
        except ValueError as ex:
            msg = str(ex)
        report(msg is not None and "seed" in msg, "a state of another seed is refused, naming it: %s" % msg)


@group
def augmentation():
    def run(epoch, threads):
        e = Engine(J, 4, threads=threads, shuffle="none", seed=1, random_resized_crop=6, flip=True,
                   dtype="float32")
        e.set_epoch(epoch)
        out = {}
        while True:
            b = e.next()
            if b is None:
                break
            for i, g in enumerate(b["ids"].tolist()):
                out[g] = np.array(b["images"][i])
        e.close()
        return out
    a, a2, a4, b = run(0, 1), run(0, 2), run(0, 4), run(1, 2)
    same = all(np.array_equal(a[g], a2[g]) and np.array_equal(a[g], a4[g]) for g in a)
    differ = sum(not np.array_equal(a[g], b[g]) for g in a)
    report(same and len(a) == 23, "augmentation of epoch 0 is the same at 1, 2 and 4 threads")
    report(differ > len(a) // 2, "epoch 1's crops and flips differ from epoch 0's (%d of %d records)"
           % (differ, len(a)))
    report(all(x.shape == (6, 6, 3) for x in a.values()), "random-resized-crop 6 gives 6x6 images")


@group
def shapes():
    e = Engine(D + "/mixed-*.tfrecord", 5, shuffle="none", pad="pad")
    b = e.next()
    s = b["sizes"]
    report(b["images"].shape[1:3] == tuple(s.max(0)) and len(set(map(tuple, s))) > 1,
           "Engine mixed sizes: padded to the batch's largest, true sizes %s" % s.tolist())
    e = Engine(D + "/mixed-*.tfrecord", 5, shuffle="none", pad="resize", resize=(7, 9))
    report(e.next()["images"].shape[1:3] == (7, 9), "Engine pad='resize' to 7x9")
    e = Engine(D + "/ml-*.tfrecord", 6, shuffle="none", num_classes=4)
    y = e.next()["labels"]
    report(y.shape == (6, 4) and y.dtype == np.float32 and (y.sum(1) == 2).all(),
           "Engine multi-label with num_classes: multi-hot (B, 4)")
    e = Engine(D + "/ml-*.tfrecord", 6, shuffle="none")
    b = e.next()
    report(b["labels"].shape == (6, 2) and b["labels"].dtype == np.int64 and (b["label_counts"] == 2).all(),
           "Engine multi-label without num_classes: (B, L) padded with -1, label_counts")
    keys = ("image/object/bbox/xmin", "image/object/class/label", "image/filename")
    e = Engine(D + "/det-*.tfrecord", 4, shuffle="none", label_key=None, keys=keys)
    x = e.next()["extras"]
    cnt = x["image/object/bbox/xmin/count"]
    report(set(cnt.tolist()) == {1, 2} and x["image/object/bbox/xmin"].shape == (4, 2)
           and isinstance(x["image/filename"][0], bytes),
           "Engine boxes: (B, L) padded with counts %s; bytes features as lists" % cnt.tolist())


@group
def damage():
    src = sorted(glob.glob(T))[1]
    os.makedirs(D + "/ebad", exist_ok=True)
    p = D + "/ebad/x-00000-of-00001.tfrecord"
    shutil.copy(src, p)
    shutil.copy(src + ".idx", p + ".idx")
    offs, _ = read_index(p + ".idx")
    with open(p, "r+b") as f:
        f.seek(int(offs[1]) + 30)
        c = f.read(1)
        f.seek(int(offs[1]) + 30)
        f.write(bytes([c[0] ^ 1]))
    for threads in (1, 3):
        try:
            e = Engine(p, 1, threads=threads, shuffle="none")
            while e.next() is not None:
                pass
            err = None
        except TFRecordError as ex:
            err = ex
        report(err is not None and err.path == p and err.index == 1 and err.offset == int(offs[1]),
               "Engine, %d threads: a flipped bit is TFRecordError(%s) in the calling thread" % (threads, err))


@group
def kept():
    e = Engine(T, 4, shuffle="none", prefetch=2, threads=2)
    held = [e.next() for _ in range(5)]
    copies = [np.array(b["images"]) for b in held]
    while e.next() is not None:
        pass
    report(all(np.array_equal(b["images"], c) for b, c in zip(held, copies))
           and [b["ids"].tolist() for b in held] == [list(range(4 * i, 4 * i + 4)) for i in range(5)],
           "batches the caller keeps are never overwritten")


def faces():
    from tfrec.loader import Loader as NL
    import tfrec.numpy
    NL = getattr(tfrec.numpy, "Loader", NL)
    e = Engine(T, 4, seed=2, keys=["image/filename"])
    want = []
    while True:
        b = e.next()
        if b is None:
            break
        want.append(b["labels"].tolist())
    nl = NL(T, 4, seed=2)
    got = [y.tolist() for x, y in nl]
    report(got == want and len(nl) == len(want), "numpy.Loader gives the Engine's batches")
    try:
        import torch
    except ImportError:
        print("skip torch.Loader: torch is not installed")
        return
    import tfrec.torch
    TL = getattr(tfrec.torch, "Loader", None)
    if TL is None:
        from tfrec.loader import TorchLoader as TL  # noqa: whatever loader.py names it
    tl = TL(T, 4, seed=2)
    got = []
    for x, y in tl:
        assert isinstance(x, torch.Tensor)
        got.append(y.tolist())
    report(got == want, "torch.Loader gives the same batches as tensors")
    for nw in (0, 2, 3):
        tl = TL(T, 4, seed=2)
        dl = torch.utils.data.DataLoader(tl, batch_size=None, num_workers=nw)
        got = [y.tolist() for x, y in dl]
        report(got == want, "torch.Loader in a DataLoader with %d workers: the same order" % nw)


group(faces)
sys.exit(1 if fails else 0)
