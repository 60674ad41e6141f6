"""The reading core shared by tfrec.torch and tfrec.numpy (no torch here):
shard lists with record counts, the records of a plan's stream segments,
and decoding an Example into (image, label, extras) with errors that name
the shard, record and offset."""
import os

import numpy as np

from . import plan
from .example import ExampleError, image_array, parse_example
from .records import (DEFAULT_MAX_RECORD, RecordReader, TFRecordError,
                      file_compression, read_index, record_count)

LABEL_KEY = "image/class/label"


class Shards:
    """Shard paths and their record counts (an int64 array), read once in
    the process that builds the dataset and shipped to workers with it."""

    def __init__(self, paths):
        self.paths = plan.resolve_paths(paths)
        cache = {}
        self.counts = np.array([record_count(p, cache) for p in self.paths], dtype=np.int64)
        self.total = int(self.counts.sum())

    def records(self, segments, verify, max_record=DEFAULT_MAX_RECORD):
        """Yield (path, index, offset, payload) over plan segments."""
        for shard, first, count in segments:
            path = self.paths[shard]
            with RecordReader(path, verify, max_record) as r:
                idx = path + ".idx"
                if first and r.compression == "none" and os.path.exists(idx):
                    offsets, _ = read_index(idx)
                    if first < offsets.size:
                        r.seek(int(offsets[first]), first)
                if r.index < first:
                    r.skip(first - r.index)
                for _ in range(count):
                    rec = r.next()
                    if rec is None:
                        raise TFRecordError(path, r.index, r.offset,
                                            "shard ends early: its manifest or index "
                                            "counts %d records" % int(self.counts[shard]))
                    yield (path,) + rec


def _value(v):
    """A feature's value for users: bytes lists of one become that bytes
    object; numbers stay numpy arrays."""
    if isinstance(v, list):
        return v[0] if len(v) == 1 else v
    return v


class Decoder:
    """payload -> (image numpy array, label, extras dict)."""

    def __init__(self, label_key=LABEL_KEY, keys=(), layout=None):
        if layout not in (None, "hwc", "chw"):
            raise ValueError("layout must be None (as stored), 'hwc' or 'chw'")
        self.label_key = label_key
        self.keys = tuple(keys or ())
        self.layout = layout

    def __call__(self, path, index, offset, payload):
        try:
            ex = parse_example(payload)
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


def stack_images(imgs):
    """One writable C-contiguous array of a batch of same-shape images."""
    out = np.empty((len(imgs),) + imgs[0].shape, imgs[0].dtype)
    for i, a in enumerate(imgs):
        if a.shape != imgs[0].shape:
            raise ValueError("images of one batch differ in shape: %s and %s" % (imgs[0].shape, a.shape))
        out[i] = a
    return out


class Stream:
    """The streaming plan of one rank (see tfrec.plan): yields decoded
    items (image view, label, extras) of one worker's share of an epoch."""

    def __init__(self, paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                 batch_size, drop_last_batch, decoder, verify):
        self.shards = Shards(paths)
        self.shuffle, self.seed, self.buffer = bool(shuffle), int(seed), int(shuffle_buffer)
        self.drop_last = bool(drop_last)
        self.rank, self.world_size = plan.resolve_rank(rank, world_size)
        self.batch_size = int(batch_size) if batch_size else None
        self.drop_last_batch = bool(drop_last_batch)
        self.decoder = decoder
        self.verify = verify
        self.samples = plan.per_rank(self.shards.total, self.world_size, self.drop_last)

    def __len__(self):
        if self.batch_size:
            return plan.num_batches(self.samples, self.batch_size, self.drop_last_batch)
        return self.samples

    def items(self, epoch, worker, nworkers):
        a, b = plan.worker_range(self.samples, worker, nworkers, self.batch_size, self.drop_last_batch)
        start = self.rank * self.samples
        order = plan.shard_order(len(self.shards.paths), self.seed, epoch, self.shuffle)
        segs = plan.stream_segments(self.shards.counts, order, start + a, start + b)
        recs = self.shards.records(segs, self.verify)
        if self.shuffle:
            recs = plan.shuffle_buffer(recs, self.buffer,
                                       plan.worker_rng(self.seed, epoch, self.rank, worker))
        for path, index, offset, payload in recs:
            yield self.decoder(path, index, offset, payload)

    def batches(self, items):
        """Group items into lists of batch_size (the last may be short)."""
        batch = []
        for it in items:
            batch.append(it)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last_batch:
            yield batch


class Indexed:
    """Random access through .idx sidecars: offsets in int64 arrays, not
    Python lists (about 16 bytes a record: 20 MB for ImageNet's 1.28 M),
    and open files kept per process, at most MAX_OPEN at once."""

    MAX_OPEN = 64

    def __init__(self, paths):
        self.paths = plan.resolve_paths(paths)
        offs, sizes, ends, n = [], [], [], 0
        for p in self.paths:
            comp = file_compression(p)
            if comp != "none":
                raise ValueError(
                    "%s: %s-compressed: IndexedDataset reads records at the offsets of "
                    ".idx sidecars, which a compressed stream cannot seek to; use "
                    "ShardDataset, or write uncompressed shards with "
                    "`tfrec shard --compression none --index -o PREFIX SHARD...`" % (p, comp.upper()))
            idx = p + ".idx"
            if not os.path.exists(idx):
                raise FileNotFoundError("%s: no index sidecar '%s': write one with `tfrec index %s`"
                                        % (p, idx, p))
            o, s = read_index(idx)
            offs.append(o)
            sizes.append(s)
            n += o.size
            ends.append(n)
        self.offsets = np.concatenate(offs) if offs else np.zeros(0, np.int64)
        s = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
        self.sizes = s.astype(np.uint32) if s.size == 0 or s.max() < 1 << 32 else s
        self.ends = np.array(ends, dtype=np.int64)
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
