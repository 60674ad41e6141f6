"""Fast batch loaders on the C engine (tfrec._engine): numpy and torch.

    from tfrec.numpy import Loader      # or: from tfrec.torch import Loader
    data = Loader("out/train-*.tfrecord", 256, threads=4, seed=1)
    for epoch in range(10):
        for images, labels in data:     # one epoch per iteration
            ...

The options are those of tfrec._engine.Engine (shuffle, seed, rank,
world_size, drop_last, verify, image_key, label_key, keys, num_classes,
dtype, layout, mean, std, random_resized_crop, scale, ratio, crop, flip,
resize, pad, on_error, prefetch, max_record, threads).  rank and
world_size default to an initialized torch.distributed, else $RANK and
$WORLD_SIZE, else a single process.

Each iteration runs one epoch and then advances the epoch by one;
set_epoch(n) chooses it.  state_dict() taken between two batches and
given to load_state_dict() of a new loader makes its next iteration
continue with exactly the batches an uninterrupted run would have given.

Batches are (images, labels), or (images, labels, extras) with keys=.
They are views of the engine's memory, valid as long as they are
referenced (see tfrec._engine).  Inside a torch DataLoader with
num_workers=n, worker w yields the epoch's batches w, w+n, w+2n, ...,
so that the DataLoader's round-robin gives the order of no workers (use
batch_size=None in the DataLoader: the loader already batches).
"""
import os

from . import _engine

__all__ = ["Loader", "TorchLoader"]


def _rank(rank, world_size):
    if rank is not None and world_size is not None:
        return int(rank), int(world_size)
    try:
        from .plan import resolve_rank
        r, w = resolve_rank(rank, world_size)
        return int(r), int(w)
    except ImportError:  # pragma: no cover
        import os
        return (int(rank if rank is not None else os.environ.get("RANK", 0)),
                int(world_size if world_size is not None else os.environ.get("WORLD_SIZE", 1)))


def _worker():
    """(worker id, workers) inside a torch DataLoader worker, else (0, 1)."""
    import sys
    if "torch" not in sys.modules:
        return 0, 1
    import torch.utils.data
    info = torch.utils.data.get_worker_info()
    return (info.id, info.num_workers) if info is not None else (0, 1)


class Loader:
    """numpy batches of one rank's share of each epoch."""

    def __init__(self, paths, batch_size, *, rank=None, world_size=None, **options):
        if not _engine.available():
            raise RuntimeError("tfrec.Loader needs libtfrec.so with the loader (API version 2)")
        self.paths, self.batch_size = paths, int(batch_size)
        self.rank, self.world_size = _rank(rank, world_size)
        self.options = options
        self.epoch = 0
        self._resume = None   # (epoch, batch) from load_state_dict
        self._engine = None
        self._len = None
        self._pos = 0         # batches delivered in the current epoch
        # open once here so that argument errors surface at once
        self._open()

    def _open(self):
        if self._engine is not None and self._pid != os.getpid():
            # a forked DataLoader worker: the engine's threads stayed in
            # the parent, so open a new one (the copy is dropped unused)
            self._engine._forget()
            self._engine = None
        if self._engine is None:
            self._pid = os.getpid()
            self._engine = _engine.Engine(self.paths, self.batch_size, rank=self.rank,
                                          world_size=self.world_size, **self.options)
            self._len = len(self._engine)
        return self._engine

    def __getstate__(self):  # for DataLoader workers: the engine is reopened there
        d = dict(self.__dict__)
        d["_engine"] = None
        return d

    def __len__(self):
        return int(self._len)

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        self._resume = None

    @property
    def skipped(self):
        return self._open().skipped

    def state_dict(self):
        st = self._open().state_dict()
        st["epoch"], st["batch"] = self.epoch, self._pos
        return st

    def load_state_dict(self, d):
        e = self._open()
        e.load_state_dict(d)           # checks the version and the plan
        self.epoch = int(d["epoch"])
        self._resume = (int(d["epoch"]), int(d["batch"]))

    def _convert(self, a):
        return a

    def _item(self, b):
        images, labels = self._convert(b["images"]), b["labels"]
        if labels is not None:
            labels = self._convert(labels)
        if "label_counts" in b and labels is not None:
            b["extras"]["label_counts"] = b["label_counts"]
        if self.options.get("keys"):
            extras = {k: (self._convert(v) if hasattr(v, "dtype") else v)
                      for k, v in b["extras"].items()}
            return images, labels, extras
        return images, labels

    def __iter__(self):
        e = self._open()
        epoch = self.epoch
        start = 0
        if self._resume is not None and self._resume[0] == epoch:
            start = self._resume[1]
        self._resume = None
        w, nw = _worker()
        # worker w of nw: the epoch's batches w, w + nw, ... (one worker:
        # all); the engine fills only those
        first = start + ((w - start) % nw)
        self._pos = start
        e.load_state_dict(dict(e.state_dict(), epoch=epoch, batch=min(first, self._len)))
        e.set_stride(nw)
        k = first
        while True:
            b = e.next()
            if b is None:
                break
            self._pos = k + 1
            k += nw
            yield self._item(b)
        self.epoch = epoch + 1
        self._pos = 0

    def close(self):
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def _torch_base():
    import torch.utils.data
    return torch.utils.data.IterableDataset


class _TorchMixin:
    def _convert(self, a):
        import torch
        t = torch.from_numpy(a)          # no copy: the view keeps the slot
        if self.pin_memory:
            t = t.pin_memory()
        return t


def TorchLoader(paths, batch_size, *, pin_memory=False, **options):
    """A tfrec.torch.Loader: the same batches as torch tensors (an
    IterableDataset, so it also runs inside a DataLoader)."""
    cls = _torch_class()
    return cls(paths, batch_size, pin_memory=pin_memory, **options)


_TORCH_CLASS = None


def _torch_class():
    global _TORCH_CLASS
    if _TORCH_CLASS is None:
        base = _torch_base()

        class TorchLoaderImpl(_TorchMixin, Loader, base):
            """torch tensors of one rank's share of each epoch."""

            def __init__(self, paths, batch_size, *, pin_memory=False, **options):
                self.pin_memory = bool(pin_memory)
                Loader.__init__(self, paths, batch_size, **options)

        # picklable by name (spawned DataLoader workers), made on demand
        TorchLoaderImpl.__name__ = TorchLoaderImpl.__qualname__ = "_TorchLoaderImpl"
        TorchLoaderImpl.__module__ = __name__
        _TORCH_CLASS = TorchLoaderImpl
    return _TORCH_CLASS


def __getattr__(name):  # PEP 562: torch is imported only when asked for
    if name == "_TorchLoaderImpl":
        return _torch_class()
    raise AttributeError(name)
