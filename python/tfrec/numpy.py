"""Batches of numpy arrays for JAX and other frameworks, with the same
rank split and epoch shuffle as tfrec.torch.ShardDataset (see tfrec.plan).

    from tfrec.numpy import Batches
    data = Batches("out/train-*.tfrecord*", batch_size=256)  # rank from $RANK/$WORLD_SIZE
    for epoch in range(10):
        data.set_epoch(epoch)
        for images, labels in data:   # (256, 224, 224, 3) float16, (256,) int64
            ...

Each batch is (images, labels), or (images, labels, extras) with keys=;
images is one writable C-contiguous array.  len() is the batches of this
rank, the same on every rank.  No torch needed.
"""
import numpy as np

from ._core import LABEL_KEY, Decoder, Stream, stack_images

__all__ = ["Batches", "batches"]


class Batches:
    """An iterable of numpy batches of this rank's share of each epoch."""

    def __init__(self, paths, batch_size, *, shuffle=True, seed=0, shuffle_buffer=256,
                 drop_last=False, drop_last_batch=False, rank=None, world_size=None,
                 label_key=LABEL_KEY, keys=(), layout=None, verify=True):
        if int(batch_size) < 1:
            raise ValueError("batch_size must be 1 or more")
        self.label_key, self.keys = label_key, tuple(keys or ())
        self.stream = Stream(paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                             batch_size, drop_last_batch, Decoder(label_key, keys, layout), verify)
        self.epoch = 0

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __len__(self):
        return len(self.stream)

    def __iter__(self):
        for b in self.stream.batches(self.stream.items(self.epoch, 0, 1)):
            out = [stack_images([d[0] for d in b])]
            if self.label_key is not None:
                labels = [d[1] for d in b]
                try:
                    out.append(np.asarray(labels))
                except ValueError:
                    out.append(labels)
            if self.keys:
                out.append({k: [d[2][k] for d in b] for k in self.keys})
            yield out[0] if len(out) == 1 else tuple(out)


def batches(paths, batch_size, **kw):
    """An iterator over one epoch of Batches(paths, batch_size, **kw)
    (epoch= picks the epoch, 0 by default)."""
    epoch = kw.pop("epoch", 0)
    b = Batches(paths, batch_size, **kw)
    b.set_epoch(epoch)
    return iter(b)
