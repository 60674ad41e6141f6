"""PyTorch datasets over tfrec shards: ShardDataset (iterable, streaming)
and IndexedDataset (map-style, random access through .idx sidecars).

The order rules (which records each rank reads in an epoch, in which
order, with padding or drop_last) are tfrec.plan's, the same as tfrec's
C Loader: they depend on (shards, seed, epoch, rank, world_size,
batch_size, shuffle, shuffle_buffer, drop_last) only, never on the number
of DataLoader workers: worker w of n yields the rank's batches (items,
without batch_size) w, w+n, ..., which DataLoader's round-robin puts back
in order.  (With DataLoader-level batching of items, each worker fills a
whole batch itself, so the order then depends on num_workers: use the
dataset's batch_size= and DataLoader(batch_size=None).)

Items are (image, label), or (image, label, extras) with keys=, where
image is a writable torch tensor in the stored layout (layout='chw' or
'hwc' converts), label the int64 label (label_key=None leaves it out:
items are image or (image, extras)), and extras a dict of the features
named in keys (bytes features with one value as bytes, numbers as
tensors).  Batches (batch_size=) are one images tensor (images of
different sizes are zero-padded to the batch's largest, pad='pad', or
resized, pad='resize' with resize=(h, w) or the first record's size),
labels as a (B,) int64 tensor (multi-label records: (B, L) padded with
-1, or a (B, num_classes) float32 multi-hot with num_classes=), and with
keys= a dict of lists plus "sizes", the (B, 2) true (h, w) of each image.
transform gets the image tensor, target_transform the label.

state_dict() / load_state_dict(): resume in the middle of an epoch (see
tfrec.plan); the epoch changes only with set_epoch() or
load_state_dict(), as with DistributedSampler.

Rank and world size: the rank and world_size arguments when given, else
an initialized torch.distributed, else $RANK and $WORLD_SIZE, else a
single process.  They are read when the dataset is made, so make it
after init_process_group.

Classes are defined at module level and hold only arrays, paths and a
shared-memory epoch counter, so they pickle: the spawn and forkserver
start methods and persistent_workers work, and set_epoch reaches
persistent workers too.

Engines: when libtfrec.so with the loader (API version 3) is loaded,
both datasets run on the C engine (engine=None, the default, or True to
require it): ShardDataset takes its records from tfrec_loader_next (one
engine per iteration and worker, the worker's share by a start and a
stride), and IndexedDataset.__getitem__ reads and decodes record i with
tfrec_loader_read; so --store jpeg|png|webp and --encoded shards work
through both, decoded by tfrec's own codecs.  Without the library (or
with engine=False) they run in pure Python, with a RuntimeWarning once,
giving the same items in the same order (tensor records only).
ShardDataset with drop_last != drop_last_batch, or with bytes labels,
stays in Python (the engine drops ranks' tails and short batches
together, and its labels are int64).

What replaces what: tfrec.torch.Loader (and tfrec.numpy.Loader) for
batches at speed: the engine's own threads fill whole batches, no
DataLoader workers.  These datasets remain for per-item pipelines (a
torchvision transform per image, a DataLoader collate of your own) and
for random access; they follow the same plan, so a job can switch
between them and keep its order.
"""
import os
import warnings

import numpy as np
import torch
import torch.utils.data

from . import _engine, plan
from ._core import LABEL_KEY, Decoder, Indexed, Stream
from .records import TFRecordError

__all__ = ["ShardDataset", "IndexedDataset", "Loader"]

try:  # the C engine's face (python/tfrec/loader.py, when it is there)
    from .loader import TorchLoader as Loader  # noqa: F401
except ImportError:
    pass

_warned = False


def _use_engine(engine):
    """Whether a dataset runs on the C engine (engine: None auto, bool)."""
    global _warned
    ok = _engine.can_read()
    if engine is True and not ok:
        raise RuntimeError("engine=True: libtfrec.so with the loader (API version 3) is not loaded")
    if engine is None and not ok and not _warned:
        _warned = True
        warnings.warn("tfrec: ShardDataset and IndexedDataset run in pure Python (libtfrec.so with "
                      "the loader, API version 3, is not loaded): slower, and no --store jpeg|png|webp "
                      "shards; build and install libtfrec (make install) for the C engine",
                      RuntimeWarning, stacklevel=3)
    return ok if engine is None else bool(engine)


# The engine's reasons in the pure-Python path's words, so that both
# paths raise the same TFRecordError text.
_REASONS = {"bad data CRC": "data CRC mismatch", "bad length CRC": "length CRC mismatch"}


def _same_error(e):
    """A TFRecordError of the engine as the Python path words it: its
    reason, and the offset of a record that lacks a feature (the engine's
    batch does not carry it: looked up here, on the error path only)."""
    reason, offset = _REASONS.get(e.reason, e.reason), e.offset
    if offset is None and e.index is not None and e.path:
        try:
            from ._core import _scan_offsets
            idx = e.path + ".idx"
            if os.path.exists(idx):
                from .records import read_index
                offset = int(read_index(idx)[0][e.index])
            else:
                offset = int(_scan_offsets(e.path)[0][e.index])
        except Exception:
            offset = None
    return TFRecordError(e.path, e.index, offset, reason)


def _where(paths, counts, gid):
    """(path, index in its shard) of global id gid."""
    for p, c in zip(paths, counts):
        if gid < c:
            return p, gid
        gid -= c
    return "", None


def _value_of(x, kind_vals, t, count):
    """An extra feature of record t of an engine batch as the Python
    decoder gives it: bytes lists of one as that bytes object, numbers as
    numpy arrays."""
    if isinstance(kind_vals, list):  # bytes
        v = kind_vals[t]
        v = v if isinstance(v, list) else [v]
        v = v[:count]
        return v[0] if len(v) == 1 else v
    return np.array(kind_vals[t, :count])


def _engine_items(b, label_key, keys, paths, counts):
    """(image, label, extras) of each record of an engine batch dict,
    the forms of _core.Decoder (images copied out of the slot)."""
    out = []
    for t in range(len(b["ids"])):
        h, w = (int(x) for x in b["sizes"][t])
        img = b["images"][t]
        img = img[:h, :w] if b["layout"] == "hwc" else img[:, :h, :w]
        label = None
        gid = int(b["ids"][t])
        lab = b["labels"]
        if label_key is not None and lab is not None and lab.dtype == np.float32:
            label = lab[t]  # multi-hot (batches with num_classes use the array whole)
        elif label_key is not None:
            if lab is None or (lab.ndim == 2 and int(b["label_counts"][t]) == 0):
                path, index = _where(paths, counts, gid)
                raise TFRecordError(path, index, None, "no feature '%s'" % label_key)
            if lab.ndim == 1:
                label = int(lab[t])
            else:
                c = int(b["label_counts"][t])
                label = int(lab[t, 0]) if c == 1 else np.array(lab[t, :c])
        extras = {}
        for k in keys:
            vals = b["extras"].get(k)
            if vals is None or (isinstance(vals, list) and vals and vals[t] is None):
                path, index = _where(paths, counts, gid)
                raise TFRecordError(path, index, None, "no feature '%s'" % k)
            if isinstance(vals, list):
                v = vals[t]
                count = len(v) if isinstance(v, list) else 1
            else:
                count = int(b["extras"][k + "/count"][t])
            extras[k] = _value_of(k, vals, t, count)
        out.append((img, label, extras))
    return out


# Slots of the shared control tensor.
_EPOCH, _START, _IN_WORKERS = 0, 1, 2


def _control():
    # Shared memory, so that workers started once (persistent_workers)
    # still see the epoch and resume point set in the main process.
    return torch.zeros(3, dtype=torch.int64).share_memory_()


class _Items:
    """Turning decoded numpy items into what users get."""

    def _setup_items(self, transform, target_transform, label_key, keys):
        self.transform = transform
        self.target_transform = target_transform
        self.label_key = label_key
        self.keys = tuple(keys or ())

    def _tensor(self, img):
        t = torch.from_numpy(np.array(img, order="C"))  # a writable copy
        return self.transform(t) if self.transform is not None else t

    def _extras(self, extras):
        return {k: torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v
                for k, v in extras.items()}

    def _item(self, decoded):
        img, label, extras = decoded
        out = [self._tensor(img)]
        if self.label_key is not None:
            out.append(self.target_transform(label) if self.target_transform is not None else label)
        if self.keys:
            out.append(self._extras(extras))
        return out[0] if len(out) == 1 else tuple(out)

    def _batch(self, images, labels, sizes, extras):
        images = torch.from_numpy(images)
        if self.transform is not None:
            images = torch.stack([self.transform(x) for x in images])
        out = [images]
        if self.label_key is not None:
            if self.target_transform is not None:
                labels = [self.target_transform(x) for x in labels]
            try:
                labels = torch.as_tensor(labels)
            except (TypeError, ValueError, RuntimeError):
                pass  # not numbers: a list
            out.append(labels)
        if self.keys:
            d = {k: [torch.from_numpy(np.array(v)) if isinstance(v, np.ndarray) else v for v in vs]
                 for k, vs in extras.items()}
            d["sizes"] = torch.from_numpy(sizes)
            out.append(d)
        return out[0] if len(out) == 1 else tuple(out)


class _Resumable:
    """set_epoch, state_dict and load_state_dict over the shared control
    tensor (epoch, first batch of the next iteration, worker flag)."""

    def set_epoch(self, epoch):
        self._ctl[_EPOCH] = int(epoch)
        self._ctl[_START] = 0
        self._delivered = 0

    @property
    def epoch(self):
        return int(self._ctl[_EPOCH])

    def state_dict(self, batch=None):
        """{"version": 1, "epoch", "batch", "plan", "fields"}: batch is the
        batches (items, without batch_size) delivered so far this epoch.
        Counted here when this process iterates (num_workers=0); behind a
        DataLoader with workers, which fetch ahead, pass the count your
        loop consumed as batch=."""
        if batch is None:
            if int(self._ctl[_IN_WORKERS]):
                raise ValueError("this dataset was read by DataLoader workers, which fetch ahead: "
                                 "pass state_dict(batch=the batches your loop consumed)")
            batch = int(self._ctl[_START]) + self._delivered
        return plan.make_state(self._fields(), self.epoch, batch)

    def load_state_dict(self, state):
        """Continue at batch k of epoch e of a state_dict(); ValueError
        naming what differs if it was made under another plan."""
        e, k = plan.check_state(state, self._fields())
        if not 0 <= k <= self._count():
            raise ValueError("state batch %d is not in 0..%d" % (k, self._count()))
        self._ctl[_EPOCH] = e
        self._ctl[_START] = k
        self._delivered = 0


class ShardDataset(_Items, _Resumable, torch.utils.data.IterableDataset):
    """Streams records of shards in tfrec.plan's order: a shard order
    drawn per epoch and a bounded shuffle buffer (shuffle=True or
    'buffer'), the given order (False or 'none'), or a full permutation
    ('full': uncompressed shards, random access through .idx or a scan).
    Plain, GZIP and ZLIB shards; files are closed when each is done.

    paths: list of shard paths, or a glob ('out/train-*.tfrecord*'; .idx
    files are left out).  batch_size: yield whole batches (use
    DataLoader(batch_size=None)), so that workers pass one tensor per
    batch and len() is exact with any num_workers; drop_last_batch drops
    a short last batch.  shuffle_buffer: records held (memory: at most
    shuffle_buffer + 1 reused buffers of the largest record size, per
    worker).  verify: check data CRCs.

    len() is this rank's samples (or batches).
    """

    def __init__(self, paths, *, batch_size=None, shuffle=True, seed=0, shuffle_buffer=256,
                 drop_last=False, drop_last_batch=False, rank=None, world_size=None,
                 transform=None, target_transform=None, label_key=LABEL_KEY, keys=(),
                 layout=None, verify=True, pad="pad", resize=None, num_classes=None,
                 engine=None, threads=None):
        super().__init__()
        self._setup_items(transform, target_transform, label_key, keys)
        self.layout = layout
        self.threads = threads
        self.stream = Stream(paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                             batch_size, drop_last_batch, Decoder(label_key, keys, layout), verify)
        if pad not in ("pad", "resize"):
            raise ValueError("pad must be 'pad' or 'resize'")
        self.pad, self.num_classes = pad, num_classes
        self.resize = (resize, resize) if isinstance(resize, int) else (tuple(resize) if resize else None)
        self._ctl = _control()
        self._delivered = 0
        # The engine drops a rank's tail and a short last batch together.
        self.engine = _use_engine(engine) and (not batch_size or bool(drop_last) == bool(drop_last_batch))
        self._eng, self._eng_pid = None, None

    @property
    def rank(self):
        return self.stream.rank

    @property
    def world_size(self):
        return self.stream.world_size

    def _fields(self):
        return self.stream.fields()

    def _count(self):
        return len(self.stream)

    def __len__(self):
        return len(self.stream)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
        if info is not None:
            self._ctl[_IN_WORKERS] = 1
        epoch, start = int(self._ctl[_EPOCH]), int(self._ctl[_START])
        self._delivered = 0
        if self.engine:
            yield from self._iter_engine(epoch, start, wid, nw, info is not None)
        elif self.stream.batch_size:
            for b in self.stream.batches(epoch, wid, nw, start, self.pad, self.resize, self.num_classes):
                self._delivered += 1
                yield self._batch(*b)
        else:
            for g in self.stream.groups(epoch, wid, nw, start):
                for it in g:
                    item = self._item(it)
                self._delivered += 1
                yield item
        if info is None:  # the epoch is over: the next iteration starts it again
            self._ctl[_START] = 0
            self._delivered = 0

    def _open_engine(self, batch_size, threads, prefetch=2):
        st = self.stream
        return _engine.Engine(st.shards.paths, batch_size, threads=threads, shuffle=st.mode,
                              seed=st.seed, shuffle_buffer=st.buffer, rank=st.rank,
                              world_size=st.world_size, drop_last=st.drop_last,
                              verify="full" if st.verify else "length",
                              label_key=self.label_key, keys=self.keys,
                              num_classes=self.num_classes if st.batch_size else None,
                              layout=self.layout, resize=self.resize,
                              pad=self.pad, prefetch=prefetch, max_record=st.max_record)

    def _iter_engine(self, epoch, start, wid, nw, in_worker):
        """This worker's batches (or items) w, w+n, ... of the plan from
        batch start on, filled by the C engine."""
        st = self.stream
        first = start + wid
        if first >= len(st):
            return
        threads = self.threads or (1 if in_worker else 2)
        # One engine per process, kept across epochs (its slots stay
        # mapped: a new engine pays for fresh batch memory again).
        import os
        e = self._eng if self._eng_pid == os.getpid() else None
        self._eng, self._eng_pid = None, None  # a second iterator meanwhile opens its own
        if e is None:
            e = self._open_engine(st.batch_size or 1, threads)
        try:
            state = e.state_dict()
            state["epoch"], state["batch"] = epoch, first
            e.load_state_dict(state)
            e.set_stride(nw)
            counts = st.shards.counts
            while True:
                b = e.next()
                if b is None or b["epoch"] != epoch:
                    break
                items = _engine_items(b, self.label_key, self.keys, st.shards.paths, counts)
                if st.batch_size:
                    n = len(items)
                    # A view of the engine's slot, no copy: the slot
                    # goes back to the engine when the last tensor on it
                    # is gone (batches kept are never overwritten).
                    images = b["images"]
                    labels = None
                    if self.label_key is not None:
                        labels = np.array(b["labels"])
                    extras = {k: [it[2][k] for it in items] for k in self.keys}
                    sizes = np.array(b["sizes"][:n])
                    del b
                    self._delivered += 1
                    yield self._batch(images, labels, sizes, extras)
                else:
                    it = items[0]
                    item = self._item((np.array(it[0]), it[1], it[2]))
                    del b, items, it
                    self._delivered += 1
                    yield item
        except TFRecordError as err:
            e.close()
            raise _same_error(err) from None
        except BaseException:
            e.close()
            raise
        else:
            if self._eng is not None:
                self._eng.close()
            self._eng, self._eng_pid = e, os.getpid()

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_eng"], d["_eng_pid"] = None, None  # each worker opens its own
        return d

    def close(self):
        """Stop the engine this process keeps between epochs (also done
        when the dataset is collected)."""
        if getattr(self, "_eng", None) is not None:
            self._eng.close()
            self._eng, self._eng_pid = None, None


class IndexedDataset(_Items, _Resumable, torch.utils.data.Dataset):
    """Random access through each shard's .idx sidecar (`tfrec convert
    --index` or `tfrec index`), with a full permutation per epoch
    (tfrec.plan's shuffle 'full'; shuffle=False: the given order).

    Index i of this dataset is this rank's i-th sample of the epoch (after
    a load_state_dict at item k: sample k + i, and len() is what is
    left), so use DataLoader(shuffle=False) without a sampler: the dataset
    is its own DistributedSampler.  Compressed shards are refused (an
    .idx offset is a place in the uncompressed stream); the error says how
    to rewrite them.
    """

    def __init__(self, paths, *, shuffle=True, seed=0, drop_last=False, rank=None,
                 world_size=None, transform=None, target_transform=None,
                 label_key=LABEL_KEY, keys=(), layout=None, verify=True, engine=None):
        super().__init__()
        self._setup_items(transform, target_transform, label_key, keys)
        self.layout = layout
        self.engine = _use_engine(engine)
        self._eng, self._eng_pid = None, None
        self.index = Indexed(paths)
        self.decoder = Decoder(label_key, keys, layout)
        self.mode = "full" if shuffle else "none"
        self.seed, self.drop_last, self.verify = int(seed), bool(drop_last), verify
        self.rank, self.world_size = plan.resolve_rank(rank, world_size)
        self.samples = plan.per_rank(self.index.total, self.world_size, self.drop_last)
        self._ctl = _control()
        self._delivered = 0
        self._ids, self._ids_epoch = None, None

    def _fields(self):
        return plan.plan_fields(self.index.counts, self.seed, self.rank, self.world_size, 1,
                                self.mode, 0, self.drop_last)

    def _count(self):
        return self.samples

    def __len__(self):
        return self.samples - int(self._ctl[_START])

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_ids"], d["_ids_epoch"] = None, None  # each worker draws its own
        d["_eng"], d["_eng_pid"] = None, None  # so does its engine
        return d

    def record_number(self, i):
        """Which of all the records (0-based global id, shards in the given
        order) is sample i of what is left of this rank's epoch."""
        n = len(self)
        if not -n <= i < n:
            raise IndexError("index %d is out of range for %d samples" % (i, n))
        i %= n
        epoch = int(self._ctl[_EPOCH])
        if self._ids_epoch != epoch:
            ids = plan.rank_ids(self.index.counts, self.seed, epoch, self.rank, self.world_size,
                                self.mode, 0, self.drop_last)
            self._ids = np.array(ids, np.int32 if self.index.total < 1 << 31 else np.int64)
            self._ids_epoch = epoch
        return int(self._ids[int(self._ctl[_START]) + i])

    def __getitem__(self, i):
        if torch.utils.data.get_worker_info() is not None:
            self._ctl[_IN_WORKERS] = 1
        gid = self.record_number(i)
        if self.engine:
            item = self._read_engine(gid)
        else:
            path, local, off, payload = self.index.read(gid, self.verify)
            item = self._item(self.decoder(path, local, off, payload))
        self._delivered += 1
        return item

    def _read_engine(self, gid):
        """Record gid read and decoded by the C library (tfrec_loader_read):
        one engine per process, one thread, no prefetch of its own."""
        import os
        if self._eng is None or self._eng_pid != os.getpid():
            if self._eng is not None:
                self._eng._forget()  # a forked child: the parent's threads are not here
            self._eng = _engine.Engine(self.index.paths, 1, threads=1, shuffle="none",
                                       verify="full" if self.verify else "length",
                                       label_key=self.label_key, keys=self.keys,
                                       layout=self.layout, prefetch=1)
            self._eng_pid = os.getpid()
        try:
            b = self._eng.read(gid)
            img, label, extras = _engine_items(b, self.label_key, self.keys, self.index.paths,
                                               self.index.counts)[0]
        except TFRecordError as e:
            raise TFRecordError(e.path, e.index, int(self.index.offsets[gid]),
                                _REASONS.get(e.reason, e.reason)) from None
        return self._item((np.array(img), label, extras))

    def close(self):
        """Close the shards and the engine this process opened (also done
        at exit)."""
        self.index.close()
        if self._eng is not None:
            self._eng.close()
            self._eng = None
