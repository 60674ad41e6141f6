"""The reading core shared by tfrec.torch and tfrec.numpy (no torch here):
shard lists with record counts, reading one rank's (or one worker's)
records in the order of tfrec.plan, decoding an Example into (image,
label, extras) with errors that name the shard, record and offset, and
assembling batches (padding or resizing images of different sizes,
multi-label records).

Memory: a sequential reader keeps the records that are read but not yet
delivered in a pool of reused bytearrays ("slots"); with the shuffle
buffer that is at most shuffle_buffer + 1 slots, each as large as the
largest record seen, allocated once per epoch's reader and never per
record.  An image is copied once, from its slot into the batch.
"""
import os
import sys

import numpy as np

from . import plan
from .example import ExampleError, image_array, parse_example
from .records import (DEFAULT_MAX_RECORD, RecordReader, TFRecordError,
                      file_compression, read_index, record_count)

LABEL_KEY = "image/class/label"


class Shards:
    """Shard paths and their record counts, read once in the process that
    builds the dataset and shipped to workers with it."""

    def __init__(self, paths):
        self.paths = plan.resolve_paths(paths)
        cache = {}
        self.counts = [int(record_count(p, cache)) for p in self.paths]
        self.starts = [0]
        for c in self.counts:
            self.starts.append(self.starts[-1] + c)
        self.total = self.starts[-1]

    def locate(self, gid):
        """(shard number, record index in it) of a global id."""
        import bisect
        s = bisect.bisect_right(self.starts, gid) - 1
        while self.counts[s] == 0:  # empty shards share their start
            s += 1
        return s, gid - self.starts[s]


def read_sequential(shards, arrival, emit, verify, max_record=DEFAULT_MAX_RECORD, stats=None,
                    slots=None):
    """Yield (q, path, index, offset, payload) for the arrival numbers q in
    emit, in that order, reading the shards front to back in the order of
    arrival (global ids) and skipping the records no q of emit needs.

    payload is a memoryview of a reused slot: valid until the generator
    is resumed.  Records that arrive before they are due wait in slots;
    with emit drawn from the shuffle buffer, at most its size wait.
    stats (a dict), when given, gets "slots": the buffers used.  slots (a
    list of bytearrays), when given, are reused and kept for the next
    epoch, so that an epoch faults in no fresh memory for its records."""
    need = set(emit)
    if not need:
        return
    last = max(need)
    if slots is None:
        slots = []
    free = list(range(len(slots)))
    pending = {}  # q -> (slot, path, index, offset, n)
    used = 0

    def arrivals():
        nonlocal used
        q = 0
        n = len(arrival)
        while q <= last:
            # A run: consecutive ids of one shard.
            s, i = shards.locate(arrival[q])
            r = q + 1
            while r < n and r <= last and arrival[r] == arrival[r - 1] + 1 \
                    and arrival[r] < shards.starts[s + 1]:
                r += 1
            wanted = [x for x in range(q, r) if x in need]
            if wanted:
                path = shards.paths[s]
                with RecordReader(path, verify, max_record) as rd:
                    idx = path + ".idx"
                    if i and rd.compression == "none" and os.path.exists(idx):
                        offsets, _ = read_index(idx)
                        if i < offsets.size:
                            rd.seek(int(offsets[i]), i)
                    if rd.index < i:
                        rd.skip(i - rd.index)
                    for x in range(q, wanted[-1] + 1):
                        if x not in need:
                            rd.skip(1)
                            continue
                        if not free:
                            slots.append(bytearray(0))
                            free.append(len(slots) - 1)
                        k = free.pop()
                        used = max(used, len(slots) - len(free))
                        if stats is not None:
                            stats["slots"] = used
                        got = rd.next_into(slots, k)
                        if got is None:
                            raise TFRecordError(path, rd.index, rd.offset,
                                                "shard ends early: its manifest or index "
                                                "counts %d records" % shards.counts[s])
                        pending[x] = (k, path) + got
                        yield x
            q = r

    feed = arrivals()
    for q in emit:
        while q not in pending:
            next(feed)
        k, path, index, offset, n = pending.pop(q)
        view = memoryview(slots[k])[:n]
        try:
            yield q, path, index, offset, view
        finally:
            view.release()
            free.append(k)
    feed.close()


class Indexed:
    """Random access: record offsets from .idx sidecars (or, without one,
    from a scan of the shard's headers at open) in int64 arrays, not
    Python lists (about 16 bytes a record: 20 MB for ImageNet's 1.28 M),
    and open files kept per process, at most MAX_OPEN at once."""

    MAX_OPEN = 64

    def __init__(self, paths, scan=False):
        self.paths = plan.resolve_paths(paths)
        offs, sizes, ends, n = [], [], [], 0
        for p in self.paths:
            comp = file_compression(p)
            if comp != "none":
                raise ValueError(
                    "%s: %s-compressed: random access (IndexedDataset, shuffle='full') reads "
                    "records at their offsets, which a compressed stream cannot seek to; use "
                    "ShardDataset or shuffle='buffer', or write uncompressed shards with "
                    "`tfrec shard --compression none --index -o PREFIX SHARD...`" % (p, comp.upper()))
            idx = p + ".idx"
            if os.path.exists(idx):
                o, s = read_index(idx)
            elif scan:
                o, s = _scan_offsets(p)
            else:
                raise FileNotFoundError("%s: no index sidecar '%s': write one with `tfrec index %s`"
                                        % (p, idx, p))
            offs.append(o)
            sizes.append(s)
            n += o.size
            ends.append(n)
        self.offsets = np.concatenate(offs) if offs else np.zeros(0, np.int64)
        s = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
        self.sizes = s.astype(np.uint32) if s.size == 0 or s.max() < 1 << 32 else s
        self.ends = np.array(ends, dtype=np.int64)
        self.counts = [int(x) for x in np.diff(np.concatenate([[0], self.ends]))]
        self.total = n
        self._fds, self._pid = {}, None

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_fds"], d["_pid"] = {}, None  # file descriptors stay in their process
        return d

    def close(self):
        if self._pid == os.getpid():
            for fd in self._fds.values():
                os.close(fd)
        self._fds, self._pid = {}, None

    def _fd(self, path):
        if self._pid != os.getpid():  # a forked worker: open its own
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.pop(path, None)
        if fd is None:
            if len(self._fds) >= self.MAX_OPEN:
                os.close(self._fds.pop(next(iter(self._fds))))
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        self._fds[path] = fd  # most recently used last
        return fd

    def read(self, j, verify):
        """(path, index in shard, offset, payload) of record number j."""
        from .records import check_framed
        k = int(np.searchsorted(self.ends, j, side="right"))
        path = self.paths[k]
        local = j - (int(self.ends[k - 1]) if k else 0)
        off, size = int(self.offsets[j]), int(self.sizes[j])
        data = os.pread(self._fd(path), size, off)
        return path, local, off, check_framed(path, local, off, data, size, verify)


def _scan_offsets(path):
    offs, sizes = [], []
    with RecordReader(path, verify=False) as r:
        while True:
            at = r.offset
            n = r._header()
            if n is None:
                break
            r._skip_body(n)
            offs.append(at)
            sizes.append(n + 16)
    return np.array(offs, np.int64), np.array(sizes, np.int64)


def _value(v):
    """A feature's value for users: bytes lists of one become that bytes
    object; numbers stay numpy arrays."""
    if isinstance(v, list):
        v = [bytes(x) for x in v]
        return v[0] if len(v) == 1 else v
    return v


class Decoder:
    """payload -> (image numpy array (a view of payload), label, extras)."""

    def __init__(self, label_key=LABEL_KEY, keys=(), layout=None):
        if layout not in (None, "hwc", "chw"):
            raise ValueError("layout must be None (as stored), 'hwc' or 'chw'")
        self.label_key = label_key
        self.keys = tuple(keys or ())
        self.layout = layout

    def __call__(self, path, index, offset, payload):
        try:
            ex = parse_example(payload, views=True)
            img, layout = image_array(ex)
        except KeyError as e:
            raise TFRecordError(path, index, offset, "no feature '%s'" % e.args[0])
        except (ExampleError, ValueError) as e:
            raise TFRecordError(path, index, offset, str(e))
        if self.layout and self.layout != layout:
            img = img.transpose((2, 0, 1) if self.layout == "chw" else (1, 2, 0))
        label = None
        if self.label_key is not None:
            v = ex.get(self.label_key)
            if v is None or len(v) == 0:
                raise TFRecordError(path, index, offset, "no feature '%s'" % self.label_key)
            label = _value(v)
            if isinstance(label, np.ndarray) and label.size == 1:
                label = label[0].item()
        extras = {}
        for k in self.keys:
            if k not in ex:
                raise TFRecordError(path, index, offset, "no feature '%s'" % k)
            extras[k] = _value(ex[k])
        return img, label, extras


def _spatial(layout, shape):
    """Indices of (h, w) in an image's shape."""
    return (1, 2) if layout == "chw" or (layout is None and shape[0] <= 4 < shape[2]) else (0, 1)


def resize_image(img, h, w, hw_axes):
    """Bilinear resize of a (h, w, c) or (c, h, w) array to h x w (float32
    arithmetic, result in the input's dtype; half-pixel centres, as
    tfrec convert's resize)."""
    a0, a1 = hw_axes
    H, W = img.shape[a0], img.shape[a1]
    if (H, W) == (h, w):
        return img
    x = np.moveaxis(np.asarray(img, np.float32), (a0, a1), (0, 1))
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    top = x[y0][:, x0] * (1 - fx) + x[y0][:, x1] * fx
    bot = x[y1][:, x0] * (1 - fx) + x[y1][:, x1] * fx
    out = top * (1 - fy) + bot * fy
    if np.issubdtype(img.dtype, np.integer):
        out = np.clip(np.rint(out), 0, np.iinfo(img.dtype).max)
    return np.moveaxis(out.astype(img.dtype), (0, 1), (a0, a1))


POOL_SIZE = 4


def _take(pool, shape, dtype):
    """A batch array: one of pool that nobody else references any more
    (the caller dropped the batch, and every tensor or view of it), else a
    new one, kept in pool.  Reusing them spares the page faults of fresh
    memory for every batch (about one per 4 KiB of images)."""
    if pool is None:
        return np.zeros(shape, dtype)
    for a in pool:
        # References: pool's list, the name a, getrefcount's argument.
        if a.shape == shape and a.dtype == dtype and sys.getrefcount(a) <= 3:
            return a
    a = np.zeros(shape, dtype)
    pool.append(a)
    if len(pool) > POOL_SIZE:
        del pool[0]
    return a


class BatchBuilder:
    """Copies decoded items into one batch: images (B, ...) in one
    C-contiguous array (of the batch's largest size, zero-padded, when
    pad='pad'; all resized to resize, or to the first record's size, when
    pad='resize'), their true (h, w) sizes, labels and extras."""

    def __init__(self, count, pad="pad", resize=None, num_classes=None, layout=None, pool=None):
        if pad not in ("pad", "resize"):
            raise ValueError("pad must be 'pad' or 'resize'")
        self.count, self.pad, self.resize, self.pool = count, pad, resize, pool
        self.num_classes, self.layout = num_classes, layout
        self.images, self.sizes = None, np.zeros((count, 2), np.int32)
        self.labels, self.extras, self.n = [], [], 0

    def add(self, img, label, extras):
        i = self.n
        axes = _spatial(self.layout, img.shape)
        self.sizes[i] = (img.shape[axes[0]], img.shape[axes[1]])
        if self.pad == "resize" or self.resize is not None:
            if self.resize is not None:
                h, w = self.resize
            elif self.images is not None:
                h, w = self.images.shape[1 + axes[0]], self.images.shape[1 + axes[1]]
            else:
                h, w = img.shape[axes[0]], img.shape[axes[1]]
            img = resize_image(img, h, w, axes)
        if self.images is None:
            self.images = _take(self.pool, (self.count,) + img.shape, img.dtype)
        elif img.dtype != self.images.dtype or img.ndim + 1 != self.images.ndim:
            raise ValueError("images of one batch differ in dtype or rank: %s %s and %s %s"
                             % (self.images.dtype, self.images.shape[1:], img.dtype, img.shape))
        elif any(a > b for a, b in zip(img.shape, self.images.shape[1:])):
            big = np.zeros((self.count,) + tuple(max(a, b) for a, b in zip(img.shape, self.images.shape[1:])),
                           img.dtype)
            big[(slice(None),) + tuple(slice(0, b) for b in self.images.shape[1:])] = self.images
            self.images = big
        if img.shape != self.images.shape[1:]:
            self.images[i] = 0  # a reused array: clear the padding
        self.images[(i,) + tuple(slice(0, a) for a in img.shape)] = img
        self.labels.append(label)
        self.extras.append(extras)
        self.n += 1

    def label_array(self):
        labels = self.labels
        if all(isinstance(x, (int, np.integer)) for x in labels):
            if self.num_classes:
                out = np.zeros((len(labels), self.num_classes), np.float32)
                out[np.arange(len(labels)), labels] = 1
                return out
            return np.array(labels, np.int64)
        if all(isinstance(x, (int, np.integer, np.ndarray)) for x in labels):
            rows = [np.atleast_1d(np.asarray(x, np.int64)) for x in labels]
            if self.num_classes:  # multi-hot
                out = np.zeros((len(rows), self.num_classes), np.float32)
                for i, r in enumerate(rows):
                    out[i, r] = 1
                return out
            out = np.full((len(rows), max(r.size for r in rows)), -1, np.int64)
            for i, r in enumerate(rows):
                out[i, :r.size] = r
            return out
        return labels  # bytes labels: a list

    def finish(self, keys):
        """(images, labels, sizes, extras dict of lists)."""
        return (self.images, self.label_array(), self.sizes,
                {k: [e[k] for e in self.extras] for k in keys})


class Stream:
    """The streaming plan of one rank (see tfrec.plan), read by one of n
    workers: worker w reads the rank's batches (or items) w, w+n, ..."""

    def __init__(self, paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                 batch_size, drop_last_batch, decoder, verify, max_record=DEFAULT_MAX_RECORD):
        self.mode = plan.mode_of(shuffle)
        self.shards = Shards(paths)
        self.seed, self.buffer = int(seed), int(shuffle_buffer)
        self.drop_last = bool(drop_last)
        self.rank, self.world_size = plan.resolve_rank(rank, world_size)
        self.batch_size = int(batch_size) if batch_size else None
        self.drop_last_batch = bool(drop_last_batch)
        self.decoder = decoder
        self.verify = verify
        self.max_record = max_record
        self.samples = plan.per_rank(self.shards.total, self.world_size, self.drop_last)
        self.index = Indexed(self.shards.paths, scan=True) if self.mode == "full" else None
        self._pool = []  # batch arrays to reuse (see _take)
        self._slots = []  # record buffers to reuse (see read_sequential)

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_pool"], d["_slots"] = [], []  # buffers stay in their process
        return d

    def fields(self):
        return plan.plan_fields(self.shards.counts, self.seed, self.rank, self.world_size,
                                self.batch_size, self.mode, self.buffer, self.drop_last)

    def __len__(self):
        if self.batch_size:
            return plan.num_batches(self.samples, self.batch_size, self.drop_last_batch)
        return self.samples

    def _emit_groups(self, epoch, worker, nworkers, start):
        """The epoch plan, and the lists of arrival numbers of this
        worker's batches (or single items)."""
        p = plan.EpochPlan(self.shards.counts, self.seed, epoch, self.rank, self.world_size,
                           self.mode, self.buffer, self.drop_last)
        bs = self.batch_size or 1
        groups = [p.order[b * bs:(b + 1) * bs] for b in plan.worker_share(len(self), worker, nworkers, start)]
        return p, groups

    def groups(self, epoch, worker=0, nworkers=1, start=0):
        """Yield, per batch (or item) of this worker, a generator of
        decoded (image view, label, extras): the image is valid until the
        generator is resumed, so copy it first."""
        p, groups = self._emit_groups(epoch, worker, nworkers, start)
        emit = [q for g in groups for q in g]
        if self.mode == "full":
            def records():
                for q in emit:
                    gid = p.arrival[q]
                    path, local, off, payload = self.index.read(gid, self.verify)
                    yield q, path, local, off, payload
            recs = records()
        else:
            self.stats = {"slots": 0}
            # Taken while this epoch runs, so that a second iterator at
            # the same time gets buffers of its own.
            slots, self._slots = self._slots, []
            recs = read_sequential(self.shards, p.arrival, emit, self.verify, self.max_record,
                                   self.stats, slots)
        try:
            for g in groups:
                yield (self.decoder(*next(recs)[1:]) for _ in g)
        finally:
            recs.close()
            if self.index is not None:
                self.index.close()
            else:
                self._slots = slots

    def batches(self, epoch, worker=0, nworkers=1, start=0, pad="pad", resize=None, num_classes=None):
        """Yield (images, labels, sizes, extras) numpy batches."""
        keys = self.decoder.keys
        for g in self.groups(epoch, worker, nworkers, start):
            b = None
            n = 0
            for img, label, extras in g:
                if b is None:
                    b = BatchBuilder(self.batch_size, pad, resize, num_classes, self.decoder.layout,
                                     self._pool)
                b.add(img, label, extras)
                n += 1
            if n < self.batch_size:  # the short last batch
                b.count = n
                b.images, b.sizes = b.images[:n], b.sizes[:n]
            yield b.finish(keys)


def ids_of(stream, epoch):
    """The global ids a Stream delivers in an epoch (for tests)."""
    return plan.rank_ids(stream.shards.counts, stream.seed, epoch, stream.rank, stream.world_size,
                         stream.mode, stream.buffer, stream.drop_last)
