"""PyTorch datasets over tfrec shards: ShardDataset (iterable, streaming)
and IndexedDataset (map-style, random access through .idx sidecars).

Both split by records, so every rank yields the same number of samples
whatever the shard count (drop_last=False pads by repeating a few
records, drop_last=True leaves the remainder out: DistributedSampler's
rule), and both give a new, deterministic order for each set_epoch(n)
from seed.  See tfrec.plan for exactly which records go where.

Items are (image, label), or (image, label, extras) with keys=, where
image is a writable torch tensor in the stored layout (layout='chw' or
'hwc' converts), label the int64 label (label_key=None leaves it out:
items are image or (image, extras)), and extras a dict of the features
named in keys (bytes features with one value as bytes, numbers as
tensors).  transform gets the image tensor, target_transform the label.

Rank and world size: the rank and world_size arguments when given, else
an initialized torch.distributed, else $RANK and $WORLD_SIZE, else a
single process.  They are read when the dataset is made, so make it
after init_process_group.

Classes are defined at module level and hold only arrays, paths and a
shared-memory epoch counter, so they pickle: the spawn and forkserver
start methods and persistent_workers work, and set_epoch reaches
persistent workers too.
"""
import numpy as np
import torch
import torch.utils.data

from . import plan
from ._core import LABEL_KEY, Decoder, Indexed, Stream, stack_images

__all__ = ["ShardDataset", "IndexedDataset"]


def _epoch_counter():
    # Shared memory, so that workers started once (persistent_workers)
    # still see the epoch that set_epoch() sets in the main process.
    return torch.zeros(1, dtype=torch.int64).share_memory_()


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

    def _batch(self, decoded):
        """A batch as one tensor of images (one copy of each record, and
        one object for a DataLoader worker to pass), a tensor of labels
        and a dict of lists of extras."""
        if self.transform is None:
            images = torch.from_numpy(stack_images([d[0] for d in decoded]))
        else:
            images = torch.stack([self._tensor(d[0]) for d in decoded])
        out = [images]
        if self.label_key is not None:
            labels = [d[1] for d in decoded]
            if self.target_transform is not None:
                labels = [self.target_transform(x) for x in labels]
            try:
                labels = torch.as_tensor(labels)
            except (TypeError, ValueError, RuntimeError):
                pass  # not numbers of one shape: a list
            out.append(labels)
        if self.keys:
            out.append({k: [self._extras(d[2])[k] for d in decoded] for k in self.keys})
        return out[0] if len(out) == 1 else tuple(out)


class ShardDataset(_Items, torch.utils.data.IterableDataset):
    """Streams records of shards in order, with a shard order drawn per
    epoch and a bounded shuffle buffer (see tfrec.plan).  Plain, GZIP and
    ZLIB shards; files are closed when each is done.

    paths: list of shard paths, or a glob ('out/train-*.tfrecord*'; .idx
    files are left out).  batch_size: yield whole batches (use
    DataLoader(batch_size=None)), so that workers pass one tensor per
    batch and len() is exact with any num_workers; drop_last_batch drops
    a short last batch.  shuffle_buffer: records held per worker (memory
    is shuffle_buffer times the record size).  verify: check data CRCs.

    len() is this rank's samples (or batches).  With DataLoader-level
    batching and several workers, each worker's last batch may be short,
    so the loader's batch count can exceed len(loader); the dataset's
    batch_size= avoids that.
    """

    def __init__(self, paths, *, batch_size=None, shuffle=True, seed=0, shuffle_buffer=256,
                 drop_last=False, drop_last_batch=False, rank=None, world_size=None,
                 transform=None, target_transform=None, label_key=LABEL_KEY, keys=(),
                 layout=None, verify=True):
        super().__init__()
        self._setup_items(transform, target_transform, label_key, keys)
        self.stream = Stream(paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                             batch_size, drop_last_batch, Decoder(label_key, keys, layout), verify)
        self._epoch = _epoch_counter()

    @property
    def rank(self):
        return self.stream.rank

    @property
    def world_size(self):
        return self.stream.world_size

    def set_epoch(self, epoch):
        self._epoch[0] = int(epoch)

    def __len__(self):
        return len(self.stream)

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
        items = self.stream.items(int(self._epoch[0]), wid, nw)
        if self.stream.batch_size:
            for b in self.stream.batches(items):
                yield self._batch(b)
        else:
            for it in items:
                yield self._item(it)


class IndexedDataset(_Items, torch.utils.data.Dataset):
    """Random access through each shard's .idx sidecar (`tfrec convert
    --index` or `tfrec index`), with a full permutation per epoch.

    Index i of this dataset is this rank's i-th sample of the epoch, so
    use DataLoader(shuffle=False) without a sampler: the dataset is its
    own DistributedSampler.  Compressed shards are refused (an .idx
    offset is a place in the uncompressed stream); the error says how to
    rewrite them.
    """

    def __init__(self, paths, *, shuffle=True, seed=0, drop_last=False, rank=None,
                 world_size=None, transform=None, target_transform=None,
                 label_key=LABEL_KEY, keys=(), layout=None, verify=True):
        super().__init__()
        self._setup_items(transform, target_transform, label_key, keys)
        self.index = Indexed(paths)
        self.decoder = Decoder(label_key, keys, layout)
        self.shuffle, self.seed, self.drop_last, self.verify = bool(shuffle), int(seed), bool(drop_last), verify
        self.rank, self.world_size = plan.resolve_rank(rank, world_size)
        self.samples = plan.per_rank(self.index.total, self.world_size, self.drop_last)
        self._epoch = _epoch_counter()
        self._perm, self._perm_epoch = None, None

    def set_epoch(self, epoch):
        self._epoch[0] = int(epoch)

    def __len__(self):
        return self.samples

    def __getstate__(self):
        d = dict(self.__dict__)
        d["_perm"], d["_perm_epoch"] = None, None  # each worker draws its own
        return d

    def record_number(self, i):
        """Which of all the records (0-based, shards in the given order) is
        this rank's sample i in the current epoch."""
        if not -self.samples <= i < self.samples:
            raise IndexError("index %d is out of range for %d samples" % (i, self.samples))
        i %= self.samples
        epoch = int(self._epoch[0])
        if self._perm_epoch != epoch:
            p = plan.permutation(self.index.total, self.seed, epoch, self.shuffle)
            self._perm = p.astype(np.int32) if self.index.total < 1 << 31 else p
            self._perm_epoch = epoch
        return int(self._perm[(self.rank + i * self.world_size) % self.index.total])

    def __getitem__(self, i):
        path, local, off, payload = self.index.read(self.record_number(i), self.verify)
        return self._item(self.decoder(path, local, off, payload))

    def close(self):
        """Close the shards this process opened (also done at exit)."""
        self.index.close()
