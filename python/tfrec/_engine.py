"""The low-level binding of the C loader (src/capi/tfrec.h, API version 2; version 3 adds tfrec_loader_read, Engine.read).

    from tfrec._engine import Engine, available
    e = Engine(paths, 256, threads=4, random_resized_crop=224, flip=True)
    while (b := e.next()) is not None:
        b["images"], b["labels"], b["sizes"], b["ids"], b["extras"]

The C library reads, checks, decodes and augments in its own threads;
ctypes releases the GIL during every call, so Python threads run while a
batch is filled.  The arrays of a batch are numpy views of the loader's
memory: the slot goes back to the loader only when the last view of it
is gone (weakref.finalize on the slot's owner object), so a batch kept
by the caller is never overwritten, and a loop that drops each batch
reuses the same memory forever.

An engine belongs to the process that made it: after fork, make a new
one in the child (tfrec.loader.Loader does so by itself).

Errors from the loader, its threads included, are raised in the calling
thread as tfrec.records.TFRecordError (path, index, offset, reason);
bad arguments as ValueError.  The order is the loader contract's plan:
it depends on the shards' record counts, seed, epoch, rank, world size,
batch size, shuffle mode, shuffle buffer and drop_last, never on threads.
"""
import ctypes
import glob as _glob
import os
import re
import weakref

import numpy as np

from . import _clib
from .records import TFRecordError

__all__ = ["Engine", "available", "can_read"]

API_VERSION = 2

_u32, _i32, _u64, _f = ctypes.c_uint32, ctypes.c_int32, ctypes.c_uint64, ctypes.c_float


class _Options(ctypes.Structure):
    _fields_ = [("size", _u32), ("reserved", _u32), ("batch_size", _u64), ("threads", _i32),
                ("shuffle", _i32), ("seed", _u64), ("shuffle_buffer", _u64), ("rank", _u64),
                ("world_size", _u64), ("drop_last", _i32), ("verify", _i32),
                ("image_key", ctypes.c_char_p), ("label_key", ctypes.c_char_p),
                ("keys", ctypes.POINTER(ctypes.c_char_p)), ("nkeys", _u64),
                ("num_classes", _u32), ("dtype", _i32), ("layout", _i32), ("norm", _i32),
                ("mean", _f * 3), ("std", _f * 3), ("rrc_h", _u32), ("rrc_w", _u32),
                ("scale", _f * 2), ("ratio", _f * 2), ("crop_h", _u32), ("crop_w", _u32),
                ("flip", _i32), ("resize_h", _u32), ("resize_w", _u32), ("pad_resize", _i32),
                ("on_error_skip", _i32), ("prefetch", _i32), ("max_record", _u64)]


class _Error(ctypes.Structure):
    # subject and reason: API 3 (an older library leaves them empty).
    _fields_ = [("size", _u32), ("status", _i32), ("record", _u64), ("offset", _u64),
                ("message", ctypes.c_char * 640), ("subject", ctypes.c_char * 1024),
                ("reason", ctypes.c_char * 640)]


class _Extra(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("kind", _i32), ("width", _u64),
                ("counts", ctypes.POINTER(_i32)), ("values", ctypes.c_void_p)]


class _Batch(ctypes.Structure):
    _fields_ = [("size", _u32), ("reserved", _u32), ("epoch", _u64), ("index", _u64),
                ("n", _u64), ("images", ctypes.c_void_p), ("dtype", _i32), ("layout", _i32),
                ("h", _u32), ("w", _u32), ("c", _u32), ("sizes", ctypes.c_void_p),
                ("ids", ctypes.c_void_p), ("label_mode", _i32), ("label_width", _u64),
                ("labels", ctypes.c_void_p), ("label_counts", ctypes.c_void_p),
                ("multi_hot", ctypes.c_void_p), ("nextras", _u64),
                ("extras", ctypes.POINTER(_Extra)), ("priv", ctypes.c_void_p)]


class _State(ctypes.Structure):
    _fields_ = [("size", _u32), ("version", _u32), ("epoch", _u64), ("batch", _u64),
                ("plan", ctypes.c_char * 17), ("records", _u64), ("shards", _u64),
                ("seed", _u64), ("rank", _u64), ("world_size", _u64), ("batch_size", _u64),
                ("shuffle", _u64), ("shuffle_buffer", _u64), ("drop_last", _u64)]


_PLAN_FIELDS = ("records", "shards", "seed", "rank", "world_size", "batch_size", "shuffle",
                "shuffle_buffer", "drop_last")
_DTYPES = {"float16": 0, "float32": 1, "uint8": 2}
_NP = {0: np.float16, 1: np.float32, 2: np.uint8}
_LAYOUTS = {"hwc": 0, "chw": 1}
_SHUFFLES = {"none": 0, "buffer": 1, "full": 2}
_VERIFY = {"full": 0, "length": 1, "none": 2}


def _setup(lib):
    if lib is None or not hasattr(lib, "tfrec_loader_open") or lib.tfrec_api_version() < API_VERSION:
        return None
    P = ctypes.POINTER
    vp = ctypes.c_void_p
    lib.tfrec_loader_options_init.argtypes = [P(_Options)]
    lib.tfrec_loader_options_init.restype = None
    lib.tfrec_error_init.argtypes = [P(_Error)]
    lib.tfrec_error_init.restype = None
    lib.tfrec_loader_open.argtypes = [P(vp), P(ctypes.c_char_p), ctypes.c_size_t,
                                      P(_Options), P(_Error)]
    lib.tfrec_loader_open.restype = ctypes.c_int
    for name in ("len", "records", "skipped"):
        f = getattr(lib, "tfrec_loader_" + name)
        f.argtypes = [vp]
        f.restype = _u64
    lib.tfrec_loader_set_epoch.argtypes = [vp, _u64, P(_Error)]
    lib.tfrec_loader_set_epoch.restype = ctypes.c_int
    lib.tfrec_loader_set_stride.argtypes = [vp, _u64]
    lib.tfrec_loader_set_stride.restype = None
    lib.tfrec_loader_next.argtypes = [vp, P(P(_Batch)), P(_Error)]
    lib.tfrec_loader_next.restype = ctypes.c_int
    if hasattr(lib, "tfrec_loader_read"):  # API version 3
        lib.tfrec_loader_read.argtypes = [vp, _u64, P(P(_Batch)), P(_Error)]
        lib.tfrec_loader_read.restype = ctypes.c_int
    lib.tfrec_loader_release.argtypes = [vp, P(_Batch)]
    lib.tfrec_loader_release.restype = None
    lib.tfrec_loader_state_get.argtypes = [vp, P(_State)]
    lib.tfrec_loader_state_get.restype = None
    lib.tfrec_loader_state_set.argtypes = [vp, P(_State), P(_Error)]
    lib.tfrec_loader_state_set.restype = ctypes.c_int
    lib.tfrec_loader_close.argtypes = [vp]
    lib.tfrec_loader_close.restype = None
    return lib


_LIB = _setup(_clib.LIB)


def can_read():
    """True when the loaded libtfrec.so has tfrec_loader_read (API 3)."""
    return _LIB is not None and hasattr(_LIB, "tfrec_loader_read") and _LIB.tfrec_api_version() >= 3


def available():
    """True when libtfrec.so with the loader (API version >= 2) is loaded."""
    return _LIB is not None


_WHERE = re.compile(r"^(?P<path>.*?): record (?P<index>\d+) at offset (?P<offset>\d+): (?P<reason>.*)$",
                    re.S)


def _raise(err, paths):
    """TFRecordError from a C error: shard, record and offset from its
    fields; a library older than API 3 has them only in its message."""
    index = None if err.record == 2 ** 64 - 1 else err.record
    offset = None if err.offset == 2 ** 64 - 1 else err.offset
    if err.subject:
        raise TFRecordError(os.fsdecode(err.subject), index, offset,
                            err.reason.decode("utf-8", "replace"))
    msg = err.message.decode("utf-8", "replace")
    m = _WHERE.match(msg)
    if m:
        raise TFRecordError(m.group("path"), int(m.group("index")), int(m.group("offset")),
                            m.group("reason"))
    path = next((p for p in paths if p in msg), None)
    if path is not None and msg.startswith(path + ": "):
        msg = msg[len(path) + 2:]
    raise TFRecordError(path if path is not None else "", index, offset, msg)


def _paths(paths):
    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    out = []
    for p in paths:
        p = os.fspath(p)
        if any(c in p for c in "*?["):
            out.extend(q for q in sorted(_glob.glob(p)) if not q.endswith(".idx"))
        else:
            out.append(p)
    if not out:
        raise ValueError("no shards match %r" % (paths,))
    return out


def _hw(v, name):
    if v is None:
        return 0, 0
    if isinstance(v, int):
        v = (v, v)
    h, w = (int(x) for x in v)
    if h < 1 or w < 1:
        raise ValueError("%s must be positive" % name)
    return h, w


class _Slot:
    """Owns one C batch; its finalizer hands the slot back."""
    __slots__ = ("__weakref__",)


class _Life:
    """The C loader's lifetime: closed when the engine is closed and no
    batch view is left (a view never points into freed memory)."""

    def __init__(self, h):
        self.h, self.held, self.closing = h, 0, False

    def release(self, addr):
        if self.h is not None:
            _LIB.tfrec_loader_release(self.h, ctypes.cast(addr, ctypes.POINTER(_Batch)))
        self.held -= 1
        if self.closing and self.held == 0:
            self._free()

    def close(self):
        self.closing = True
        if self.held == 0:
            self._free()

    def _free(self):
        if self.h is not None:
            h, self.h = self.h, None
            _LIB.tfrec_loader_close(h)


class Engine:
    """One rank's batches of shard files, filled by the C loader."""

    def __init__(self, paths, batch_size, *, threads=2, shuffle="buffer", seed=0,
                 shuffle_buffer=10000, rank=0, world_size=1, drop_last=False, verify="full",
                 image_key=None, label_key="image/class/label", keys=(), num_classes=None,
                 dtype=None, layout=None, mean=None, std=None, random_resized_crop=None,
                 scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), crop=None, flip=False, resize=None,
                 pad="pad", on_error="raise", prefetch=2, max_record=1 << 30):
        if _LIB is None:
            raise RuntimeError("libtfrec.so with the loader (API version 2) is not loaded")
        self._h = None
        self.paths = _paths(paths)
        if int(batch_size) < 1:
            raise ValueError("batch_size must be 1 or more")
        if shuffle not in _SHUFFLES:
            raise ValueError("shuffle must be 'none', 'buffer' or 'full'")
        if verify not in _VERIFY:
            raise ValueError("verify must be 'full', 'length' or 'none'")
        if dtype is not None and dtype not in _DTYPES:
            raise ValueError("dtype must be None, 'uint8', 'float16' or 'float32'")
        if layout is not None and layout not in _LAYOUTS:
            raise ValueError("layout must be None, 'hwc' or 'chw'")
        if pad not in ("pad", "resize"):
            raise ValueError("pad must be 'pad' or 'resize'")
        if on_error not in ("raise", "skip"):
            raise ValueError("on_error must be 'raise' or 'skip'")
        if not 0 <= int(rank) < int(world_size):
            raise ValueError("rank must be in [0, world_size)")
        o = _Options()
        _LIB.tfrec_loader_options_init(ctypes.byref(o))
        o.batch_size = int(batch_size)
        o.threads = int(threads)
        o.shuffle = _SHUFFLES[shuffle]
        o.seed = int(seed) % 2 ** 64
        o.shuffle_buffer = int(shuffle_buffer)
        o.rank, o.world_size = int(rank), int(world_size)
        o.drop_last = int(bool(drop_last))
        o.verify = _VERIFY[verify]
        self._keep = []  # bytes the options point to
        o.image_key = image_key.encode() if image_key else None
        o.label_key = label_key.encode() if label_key else None
        self.keys = tuple(keys or ())
        karr = (ctypes.c_char_p * max(1, len(self.keys)))(*[k.encode() for k in self.keys])
        self._keep.append(karr)
        o.keys = ctypes.cast(karr, ctypes.POINTER(ctypes.c_char_p))
        o.nkeys = len(self.keys)
        o.num_classes = self._nc = int(num_classes or 0)
        o.dtype = _DTYPES[dtype] if dtype else -1
        o.layout = _LAYOUTS[layout] if layout else -1
        if mean == "record" or std == "record":
            o.norm = 1
        elif mean is not None or std is not None:
            m = [float(x) for x in np.broadcast_to(np.asarray(mean if mean is not None else 0.0,
                                                              dtype=float), (3,))]
            s = [float(x) for x in np.broadcast_to(np.asarray(std if std is not None else 1.0,
                                                              dtype=float), (3,))]
            if min(s) <= 0:
                raise ValueError("std must be positive")
            o.norm = 2
            o.mean[:] = m
            o.std[:] = s
        o.rrc_h, o.rrc_w = _hw(random_resized_crop, "random_resized_crop")
        o.scale[:] = [float(scale[0]), float(scale[1])]
        o.ratio[:] = [float(ratio[0]), float(ratio[1])]
        o.crop_h, o.crop_w = _hw(crop, "crop")
        o.flip = int(bool(flip))
        o.resize_h, o.resize_w = _hw(resize, "resize")
        o.pad_resize = int(pad == "resize")
        o.on_error_skip = int(on_error == "skip")
        o.prefetch = max(1, int(prefetch))
        o.max_record = int(max_record)
        arr = (ctypes.c_char_p * len(self.paths))(*[os.fsencode(p) for p in self.paths])
        err = self._err()
        h = ctypes.c_void_p()
        if _LIB.tfrec_loader_open(ctypes.byref(h), arr, len(self.paths), ctypes.byref(o),
                                  ctypes.byref(err)) != 0:
            if err.status in (-6, -7):  # TFR_ERR_INVALID, TFR_ERR_UNSUPPORTED
                raise ValueError(err.message.decode("utf-8", "replace"))
            _raise(err, self.paths)
        self._h = h
        self._life = _Life(h)
        self._len = _LIB.tfrec_loader_len(h)

    @staticmethod
    def _err():
        e = _Error()
        _LIB.tfrec_error_init(ctypes.byref(e))
        return e

    def _handle(self):
        if self._h is None:
            raise ValueError("the engine is closed")
        return self._h

    def __len__(self):
        return int(self._len)

    def _state(self):
        s = _State()
        s.size = ctypes.sizeof(s)
        _LIB.tfrec_loader_state_get(self._handle(), ctypes.byref(s))
        return s

    @property
    def epoch(self):
        return int(self._state().epoch)

    @property
    def batch(self):
        return int(self._state().batch)

    @property
    def skipped(self):
        return int(_LIB.tfrec_loader_skipped(self._handle()))

    @property
    def records(self):
        return int(_LIB.tfrec_loader_records(self._handle()))

    def set_epoch(self, n):
        err = self._err()
        if _LIB.tfrec_loader_set_epoch(self._handle(), int(n), ctypes.byref(err)) != 0:
            _raise(err, self.paths)

    def set_stride(self, stride):
        """From the next batch on, hand out every stride-th batch only
        (DataLoader worker w of n: load_state_dict to batch w, stride n)."""
        _LIB.tfrec_loader_set_stride(self._handle(), max(1, int(stride)))

    def state_dict(self):
        s = self._state()
        return {"version": 1, "epoch": int(s.epoch), "batch": int(s.batch),
                "plan": s.plan.decode(), "plan_fields": {k: int(getattr(s, k)) for k in _PLAN_FIELDS}}

    def load_state_dict(self, d):
        if d.get("version") != 1:
            raise ValueError("unknown loader state version %r" % (d.get("version"),))
        s = self._state()
        fields = d.get("plan_fields") or {}
        for k in _PLAN_FIELDS:
            if k in fields and int(fields[k]) != getattr(s, k):
                raise ValueError("loader state: the plan differs: %s was %d, is %d"
                                 % (k, int(fields[k]), getattr(s, k)))
        if d.get("plan") != s.plan.decode():
            raise ValueError("loader state: the plan differs (digest %s, is %s)"
                             % (d.get("plan"), s.plan.decode()))
        s.epoch, s.batch = int(d["epoch"]), int(d["batch"])
        err = self._err()
        if _LIB.tfrec_loader_state_set(self._handle(), ctypes.byref(s), ctypes.byref(err)) != 0:
            raise ValueError(err.message.decode("utf-8", "replace"))

    def next(self):
        """The next batch as a dict of numpy views, or None at the end of
        the epoch (the engine then moves on to the next epoch)."""
        h = self._handle()
        bp = ctypes.POINTER(_Batch)()
        err = self._err()
        rc = _LIB.tfrec_loader_next(h, ctypes.byref(bp), ctypes.byref(err))
        if rc == 1:
            return None
        if rc != 0:
            _raise(err, self.paths)
        return self._wrap(bp)

    def read(self, gid):
        """Record gid (global id: shards in the given order) alone, read
        and decoded as next() would in the current epoch, as a batch dict
        of one (API version 3, tfrec_loader_read); None when it failed
        under on_error="skip".  Batches next() prefetched are kept."""
        if not can_read():
            raise RuntimeError("libtfrec.so has no tfrec_loader_read (API version 3)")
        h = self._handle()
        bp = ctypes.POINTER(_Batch)()
        err = self._err()
        rc = _LIB.tfrec_loader_read(h, int(gid), ctypes.byref(bp), ctypes.byref(err))
        if rc == 1:
            return None
        if rc != 0:
            if err.status == -6:  # TFR_ERR_INVALID: an id past the end
                raise IndexError(err.message.decode("utf-8", "replace"))
            _raise(err, self.paths)
        return self._wrap(bp)

    def _wrap(self, bp):
        b = bp.contents
        owner = _Slot()
        life = self._life
        life.held += 1
        weakref.finalize(owner, life.release, ctypes.addressof(b))
        n = int(b.n)

        def view(ptr, ctype, shape, dtype):
            count = int(np.prod(shape)) if len(shape) else 1
            if count == 0 or not ptr:
                return np.zeros(shape, dtype)
            buf = (ctypes.c_uint8 * (count * np.dtype(dtype).itemsize)).from_address(ptr)
            buf._tfrec_owner = owner  # the slot lives while any view does
            return np.frombuffer(buf, dtype=dtype, count=count).reshape(shape)

        dt = _NP[b.dtype]
        shape = (n, b.h, b.w, b.c) if b.layout == 0 else (n, b.c, b.h, b.w)
        isz = np.dtype(dt).itemsize
        out = {"images": view(b.images, ctypes.c_uint8 * isz, shape, dt),
               "sizes": view(b.sizes, _i32, (n, 2), np.int32),
               "ids": view(b.ids, ctypes.c_int64, (n,), np.int64),
               "epoch": int(b.epoch), "index": int(b.index),
               "layout": "hwc" if b.layout == 0 else "chw"}
        if b.label_mode == 1:
            out["labels"] = view(b.labels, ctypes.c_int64, (n,), np.int64)
        elif b.label_mode == 2:
            out["labels"] = view(b.labels, ctypes.c_int64, (n, int(b.label_width)), np.int64)
            out["label_counts"] = view(b.label_counts, _i32, (n,), np.int32)
        elif b.label_mode == 3:
            out["labels"] = view(b.multi_hot, _f, (n, self._nc), np.float32)
        else:
            out["labels"] = None
        extras = {}
        for i in range(int(b.nextras)):
            x = b.extras[i]
            key = x.key.decode()
            width = int(x.width)
            counts = np.ctypeslib.as_array(x.counts, (n,)).copy() if n else np.zeros(0, np.int32)
            if x.kind == 1:  # bytes: copied out, lists of bytes objects
                spans = (ctypes.c_uint64 * (2 * n * width)).from_address(x.values) if n * width else []
                vals = []
                for t in range(n):
                    items = [ctypes.string_at(spans[2 * (t * width + j)], spans[2 * (t * width + j) + 1])
                             for j in range(int(counts[t]))]
                    vals.append(items[0] if width == 1 and len(items) == 1 else items)
                extras[key] = vals
            elif x.kind in (2, 3):
                ct, npt = (_f, np.float32) if x.kind == 2 else (ctypes.c_int64, np.int64)
                extras[key] = view(x.values, ct, (n, width), npt)
                extras[key + "/count"] = counts
            else:
                extras[key] = [None] * n
        out["extras"] = extras
        return out

    def _forget(self):
        """Drop the handle without closing it: in a forked child, whose
        copy of the loader has no threads to stop."""
        self._life.h = None
        self._h = None

    def close(self):
        """Stop the loader's threads; its memory goes when the last batch
        still held is dropped."""
        if self._h is not None:
            self._h = None
            self._life.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
