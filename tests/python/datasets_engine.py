"""datasets_engine.py DIR: tfrec.torch.ShardDataset and IndexedDataset on
the C engine (engine=True: tfrec_loader_next / tfrec_loader_read) against
their pure-Python path (engine=False), on the shards t0106 writes in DIR
(t-*: 23 tensor records in 5 shards with .idx; j-*: the same pictures
stored as JPEG; ml-*: multi-label).  Checks: the same items (image bytes,
labels, extras) in the same order with 0, 1, 2 and 3 DataLoader workers,
in items and in batches, for every shuffle mode; the same resume from a
state_dict(); a damaged record is a TFRecordError naming shard, record
and offset on both paths; --store jpeg shards work through both datasets
on the engine and equal the engine Loader's decode; without the library
the datasets warn once and run in Python.  Prints ok/FAIL/skip lines."""
import glob
import os
import shutil
import sys
import warnings

import numpy as np

try:
    import torch
    import torch.utils.data
    import tfrec.torch as tt
    from tfrec import _engine
    from tfrec.records import TFRecordError, read_index
except ImportError as e:
    print("skip datasets on the engine: no torch (%s)" % e)
    sys.exit(0)
warnings.filterwarnings("ignore", message="This DataLoader will create")

D = sys.argv[1]
T = D + "/t-*.tfrecord"
J = D + "/ji-*.tfrecord"
ML = D + "/ml-*.tfrecord"
K = ["image/filename"]
fails = 0


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what, flush=True)
    fails += not ok


if not _engine.can_read():
    print("skip datasets on the engine: libtfrec.so has no tfrec_loader_read (API version 3)")
    sys.exit(0)


def flat(x):
    """Anything a dataset yields as nested plain Python (bytes of
    tensors with their dtype and shape), for equality."""
    if isinstance(x, torch.Tensor):
        return ("T", str(x.dtype), tuple(x.shape), x.contiguous().numpy().tobytes())
    if isinstance(x, np.ndarray):
        return ("A", str(x.dtype), x.shape, x.tobytes())
    if isinstance(x, dict):
        return tuple(sorted((k, flat(v)) for k, v in x.items()))
    if isinstance(x, (list, tuple)):
        return tuple(flat(v) for v in x)
    return x


def run(ds, nw, bs=None):
    dl = torch.utils.data.DataLoader(ds, batch_size=bs, num_workers=nw,
                                     multiprocessing_context="fork" if nw else None)
    return [flat(b) for b in dl]


# 1. Same items, same order, both paths, 0..3 workers.
for mode in ("none", "buffer", "full"):
    for bs in (None, 3):
        runs = {}
        for eng in (False, True):
            for nw in (0, 1, 2, 3):
                ds = tt.ShardDataset(T, batch_size=bs, shuffle=mode, seed=7, shuffle_buffer=4, keys=K,
                                     engine=eng)
                ds.set_epoch(2)
                runs[eng, nw] = run(ds, nw)
        ref = runs[False, 0]
        report(len(ref) > 0 and all(v == ref for v in runs.values()),
               "ShardDataset %s, batch_size=%s: engine and Python give the same %d %s with 0..3 workers"
               % (mode, bs, len(ref), "batches" if bs else "items"))
ds_e = tt.ShardDataset(ML, batch_size=4, shuffle=False, engine=True)
ds_p = tt.ShardDataset(ML, batch_size=4, shuffle=False, engine=False)
report(run(ds_e, 0) == run(ds_p, 0), "ShardDataset multi-label batches (padded with -1): both paths equal")
ds_e = tt.ShardDataset(ML, batch_size=4, shuffle=False, num_classes=4, engine=True)
ds_p = tt.ShardDataset(ML, batch_size=4, shuffle=False, num_classes=4, engine=False)
report(run(ds_e, 0) == run(ds_p, 0), "ShardDataset multi-hot batches (num_classes=4): both paths equal")
ds_e = tt.ShardDataset(T, shuffle=False, layout="chw", engine=True)
ds_p = tt.ShardDataset(T, shuffle=False, layout="chw", engine=False)
a, b = run(ds_e, 0), run(ds_p, 0)
report(a == b and a[0][0][2][0] == 3, "ShardDataset layout='chw': both paths equal")
for shuffle in (True, False):
    runs = {}
    for eng in (False, True):
        for nw in (0, 2, 3):
            ds = tt.IndexedDataset(T, shuffle=shuffle, seed=5, rank=1, world_size=2, keys=K, engine=eng)
            ds.set_epoch(3)
            runs[eng, nw] = run(ds, nw, bs=2)
    ref = runs[False, 0]
    report(len(ref) > 0 and all(v == ref for v in runs.values()),
           "IndexedDataset shuffle=%s: engine and Python give the same items with 0, 2, 3 workers" % shuffle)

# 2. Resume: the same state and the same rest on both paths.
for eng in (False, True):
    kw = dict(batch_size=2, seed=4, shuffle_buffer=3, keys=K, engine=eng)
    ds = tt.ShardDataset(T, **kw)
    ds.set_epoch(5)
    whole = run(ds, 0)
    ds = tt.ShardDataset(T, **kw)
    ds.set_epoch(5)
    it = iter(ds)
    head = [flat(next(it)) for _ in range(3)]
    st = ds.state_dict()
    del it
    ds2 = tt.ShardDataset(T, **dict(kw, engine=not eng))
    ds2.load_state_dict(st)
    rest = run(ds2, 2)
    report(st["batch"] == 3 and head + rest == whole,
           "ShardDataset resume at batch 3, state from the %s path, rest read by the other with 2 workers"
           % ("engine" if eng else "Python"))
ix = tt.IndexedDataset(T, seed=3, keys=K, engine=False)
ix.set_epoch(1)
whole = [flat(ix[i]) for i in range(len(ix))]
st = ix.state_dict(batch=10)
ix2 = tt.IndexedDataset(T, seed=3, keys=K, engine=True)
ix2.load_state_dict(st)
rest = [flat(ix2[i]) for i in range(len(ix2))]
report(rest == whole[10:] and len(rest) == len(whole) - 10,
       "IndexedDataset resume at item 10: the engine gives the Python path's rest")

# 3. Damage: TFRecordError names shard, record and offset on both paths.
bad = D + "/bad2"
os.makedirs(bad, exist_ok=True)
src = sorted(x for x in glob.glob(T) if not x.endswith(".idx"))[1]
bad_path = bad + "/x-00000-of-00001.tfrecord"
shutil.copy(src, bad_path)
shutil.copy(src + ".idx", bad_path + ".idx")
offs, _ = read_index(bad_path + ".idx")
with open(bad_path, "r+b") as f:
    f.seek(int(offs[1]) + 30)
    c = f.read(1)
    f.seek(int(offs[1]) + 30)
    f.write(bytes([c[0] ^ 1]))
for eng in (False, True):
    for what, mk, nw in (("ShardDataset", lambda: tt.ShardDataset(bad_path, shuffle=False, engine=eng), 0),
                         ("ShardDataset", lambda: tt.ShardDataset(bad_path, shuffle=False, engine=eng), 2),
                         ("IndexedDataset", lambda: tt.IndexedDataset(bad_path, shuffle=False, engine=eng), 0),
                         ("IndexedDataset", lambda: tt.IndexedDataset(bad_path, shuffle=False, engine=eng), 2)):
        try:
            run(mk(), nw)
            err = None
        except TFRecordError as e:
            err = e
        report(err is not None and err.path == bad_path and err.index == 1 and err.offset == int(offs[1])
               and "data CRC mismatch" in str(err),
               "%s on %s, %d workers: damage is TFRecordError with shard, record 1, offset %d: %s"
               % (what, "the engine" if eng else "Python", nw, int(offs[1]),
                  str(err).splitlines()[-1] if err else None))

# 4. --store jpeg shards through both datasets (engine), equal to the
#    engine Loader's own decode of the same records.
eng = _engine.Engine(J, 64, shuffle="none", keys=K)
b = eng.next()
want = {}
for t in range(len(b["ids"])):
    want[b["extras"]["image/filename"][t]] = (np.array(b["images"][t]), int(b["labels"][t]))
del b
eng.close()
items = run(tt.ShardDataset(J, shuffle=False, keys=K, engine=True), 2)
ix = tt.IndexedDataset(J, shuffle=False, keys=K, engine=True) if all(
    os.path.exists(p + ".idx") for p in glob.glob(J)) else None
ok = len(items) == len(want) and len(want) > 0
for it in (tt.ShardDataset(J, shuffle=False, keys=K, engine=True)):
    img, label, ex = it
    w = want.get(ex["image/filename"])
    ok = ok and w is not None and img.dtype == torch.uint8 and np.array_equal(img.numpy(), w[0]) \
        and label == w[1]
report(ok, "ShardDataset on --store jpeg shards (2 workers too): the engine's decoded pixels and labels")
if ix is not None:
    got = [ix[i] for i in range(len(ix))]
    report(len(got) == len(want) and all(np.array_equal(g[0].numpy(), want[g[2]["image/filename"]][0])
                                         and g[1] == want[g[2]["image/filename"]][1] for g in got),
           "IndexedDataset on --store jpeg shards: random access decodes through the same decoder")
try:
    next(iter(tt.ShardDataset(J, shuffle=False, engine=False)))
    err = None
except TFRecordError as e:
    err = e
report(err is not None and err.index == 0 and err.offset == 0 and "image/raw" in str(err),
       "the pure-Python path names what it cannot read in --store jpeg shards: %s" % err)

# 5. Without the library: a RuntimeWarning, once, and the Python path.
saved = _engine.can_read
_engine.can_read = lambda: False
tt._warned = False
try:
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        a = tt.ShardDataset(T, shuffle=False)
        tt.IndexedDataset(T, shuffle=False)
    msgs = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
    report(not a.engine and len(msgs) == 1 and "pure Python" in msgs[0],
           "no loader in libtfrec: one RuntimeWarning, pure Python: %s" % (msgs[:1],))
    try:
        tt.ShardDataset(T, engine=True)
        msg = None
    except RuntimeError as e:
        msg = str(e)
    report(msg is not None and "API version 3" in msg, "engine=True without it: %s" % msg)
finally:
    _engine.can_read = saved
sys.exit(1 if fails else 0)
