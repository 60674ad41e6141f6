"""Batches of numpy arrays for JAX and other frameworks, in the order of
tfrec.plan (the same as tfrec.torch.ShardDataset and tfrec's C Loader).

    from tfrec.numpy import Batches
    data = Batches("out/train-*.tfrecord*", batch_size=256)  # rank from $RANK/$WORLD_SIZE
    for epoch in range(10):
        data.set_epoch(epoch)
        for images, labels in data:   # (256, 224, 224, 3) float16, (256,) int64
            ...

Each batch is (images, labels), or (images, labels, extras) with keys=;
images is one writable C-contiguous array (images of different sizes
zero-padded to the batch's largest, or resized with pad='resize'; with
keys=, extras["sizes"] holds the true (h, w) of each).  Multi-label
records give (B, L) labels padded with -1, or a (B, num_classes) float32
multi-hot with num_classes=.  len() is the batches of this rank, the
same on every rank.  state_dict() and load_state_dict() resume in the
middle of an epoch.  No torch needed.
"""

from . import plan
from ._core import LABEL_KEY, Decoder, Stream

__all__ = ["Batches", "batches", "Loader"]

try:  # the C engine's face (python/tfrec/loader.py, when it is there)
    from .loader import Loader  # noqa: F401
except ImportError:
    pass


class Batches:
    """An iterable of numpy batches of this rank's share of each epoch."""

    def __init__(self, paths, batch_size, *, shuffle=True, seed=0, shuffle_buffer=256,
                 drop_last=False, drop_last_batch=False, rank=None, world_size=None,
                 label_key=LABEL_KEY, keys=(), layout=None, verify=True, pad="pad",
                 resize=None, num_classes=None):
        if int(batch_size) < 1:
            raise ValueError("batch_size must be 1 or more")
        if pad not in ("pad", "resize"):
            raise ValueError("pad must be 'pad' or 'resize'")
        self.label_key, self.keys = label_key, tuple(keys or ())
        self.stream = Stream(paths, shuffle, seed, shuffle_buffer, drop_last, rank, world_size,
                             batch_size, drop_last_batch, Decoder(label_key, keys, layout), verify)
        self.pad, self.num_classes = pad, num_classes
        self.resize = (resize, resize) if isinstance(resize, int) else (tuple(resize) if resize else None)
        self.epoch, self.start, self.delivered = 0, 0, 0

    def set_epoch(self, epoch):
        self.epoch, self.start, self.delivered = int(epoch), 0, 0

    def __len__(self):
        return len(self.stream)

    def state_dict(self):
        """{"version": 1, "epoch", "batch" (delivered this epoch), "plan",
        "fields"}; see tfrec.plan."""
        return plan.make_state(self.stream.fields(), self.epoch, self.start + self.delivered)

    def load_state_dict(self, state):
        """Continue at the state's batch of its epoch (ValueError naming
        what differs when it was made under another plan)."""
        e, k = plan.check_state(state, self.stream.fields())
        if not 0 <= k <= len(self):
            raise ValueError("state batch %d is not in 0..%d" % (k, len(self)))
        self.epoch, self.start, self.delivered = e, k, 0

    def __iter__(self):
        self.delivered = 0
        for images, labels, sizes, extras in self.stream.batches(
                self.epoch, 0, 1, self.start, self.pad, self.resize, self.num_classes):
            out = [images]
            if self.label_key is not None:
                out.append(labels)
            if self.keys:
                extras["sizes"] = sizes
                out.append(extras)
            self.delivered += 1
            yield out[0] if len(out) == 1 else tuple(out)
        self.start, self.delivered = 0, 0


def batches(paths, batch_size, **kw):
    """An iterator over one epoch of Batches(paths, batch_size, **kw)
    (epoch= picks the epoch, 0 by default)."""
    epoch = kw.pop("epoch", 0)
    b = Batches(paths, batch_size, **kw)
    b.set_epoch(epoch)
    return iter(b)
