"""TFRecord framing: reading records, checking CRCs, counting, .idx files.

A TFRecord stream is a sequence of::

    u64 length | u32 masked_crc32c(length) | data | u32 masked_crc32c(data)

optionally compressed as a whole with GZIP or ZLIB; the compression is
detected from the first bytes, as the tfrec tool does.  Offsets are
always offsets in the uncompressed record stream (file offsets for
uncompressed shards), as in tfrec's own messages.

Both CRCs are checked by default.  With libtfrec.so (see ``_clib``) that
costs a few percent of the read time; the pure-Python fallback is slow
(about 12 MB/s), and ``crc_backend()`` says which one runs.
"""
import ctypes
import gzip
import io
import json
import os
import re
import struct
import zlib

from . import _clib

DEFAULT_MAX_RECORD = 1 << 30  # as tfrec's readers: a payload above 1 GiB is damage

_LIB = _clib.LIB
_POLY = 0x82F63B78
_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)
del _n, _c


def _crc32c_py(data, crc=0):
    _clib.fallback_warning()  # once: the slow path says so, with the fix
    c = crc ^ 0xFFFFFFFF
    t = _TABLE
    for b in bytes(data):
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli) of bytes, continuing crc."""
    if _LIB is not None:
        data = bytes(data) if not isinstance(data, bytes) else data
        return _LIB.tfrec_crc32c(crc, data, len(data))
    return _crc32c_py(data, crc)


def _mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def masked_crc32c(data):
    """TensorFlow's masked CRC-32C, as stored in record framing."""
    return _mask(crc32c(data))


def _masked_prefix(buf, n):
    """Masked CRC of buf[:n] (buf is bytes) without copying the slice."""
    if _LIB is not None:
        return _LIB.tfrec_masked_crc32c(buf, n)
    return _mask(_crc32c_py(memoryview(buf)[:n]))


def _masked_prefix_of(buf, n):
    """_masked_prefix of a bytearray (no copy through libtfrec)."""
    if _LIB is not None:
        return _LIB.tfrec_masked_crc32c((ctypes.c_char * len(buf)).from_buffer(buf), n)
    return _mask(_crc32c_py(memoryview(buf)[:n]))


def crc_backend():
    """'libtfrec (sse4.2x3)' or similar, or 'python' for the slow fallback."""
    if _LIB is None:
        return "python"
    return "libtfrec (%s)" % _LIB.tfrec_crc32c_impl().decode()


class TFRecordError(Exception):
    """A damaged or unreadable record: names the file, record and offset.

    Raised in a DataLoader worker process, it reaches the training loop
    as a TFRecordError too: DataLoader re-raises a worker's exception as
    exc_type(text with the worker's traceback), which this class accepts
    (one argument), recovering path, index, offset and reason from the
    text.  (Classes that cannot be built from one string come back as
    RuntimeError.)  tfrec's Loader raises its threads' errors in the
    calling thread, as TFRecordError.

    Attributes ``path``, ``index`` (0-based record number or None),
    ``offset`` (stream offset of the record's header or None) and
    ``reason``; str() gives 'PATH: record I at offset O: REASON'.
    """

    def __init__(self, path, index=None, offset=None, reason=None):
        if reason is None and index is None and offset is None:
            # One argument: the message of an error re-raised by a
            # DataLoader (exc_type(text)); the attributes come back from
            # its last line, 'tfrec.records.TFRecordError: PATH: ...'.
            text = str(path)
            m = _WHERE_RE.search(text)
            self.path, self.index, self.offset, self.reason = (
                (m.group(1), int(m.group(2)) if m.group(2) else None,
                 int(m.group(3)) if m.group(3) else None, m.group(4)) if m else (None, None, None, text))
            super().__init__(text)
            return
        self.path, self.index, self.offset, self.reason = path, index, offset, reason
        where = str(path)
        if index is not None:
            where += ": record %d" % index
        if offset is not None:
            where += " at offset %d" % offset
        super().__init__("%s: %s" % (where, reason))

    def __reduce__(self):  # so that DataLoader workers can send it back
        return (TFRecordError, (self.path, self.index, self.offset, self.reason))


_WHERE_RE = re.compile(r"TFRecordError: (.+?)(?:: record (\d+))?(?: at offset (\d+))?: ([^\n]*)\s*$")


def detect_compression(head):
    """'none', 'gzip' or 'zlib' from a stream's first bytes."""
    if len(head) >= 12 and masked_crc32c(head[:8]) == struct.unpack("<I", head[8:12])[0]:
        return "none"
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if len(head) >= 2 and head[0] & 0x0F == 8 and head[0] >> 4 <= 7 and ((head[0] << 8) | head[1]) % 31 == 0:
        return "zlib"
    return "none"


def file_compression(path):
    with open(path, "rb") as f:
        return detect_compression(f.read(64))


class _ZlibReader(io.RawIOBase):
    """A raw stream of a ZLIB-compressed file; closing it closes the file.
    Output per call is bounded (1 MiB), so a small compressed file that
    inflates hugely never lands in memory at once."""

    def __init__(self, f, path):
        self.f = f
        self.path = path
        self.d = zlib.decompressobj()
        self.buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while not self.buf:
            chunk = self.d.unconsumed_tail or self.f.read(1 << 16)
            if not chunk:
                self.buf = self.d.flush()
                if not self.buf:
                    if not self.d.eof:
                        raise EOFError("zlib stream is truncated")
                    return 0
                break
            self.buf = self.d.decompress(chunk, 1 << 20)
        n = min(len(b), len(self.buf))
        b[:n] = self.buf[:n]
        self.buf = self.buf[n:]
        return n

    def close(self):
        if not self.closed:
            self.f.close()
        super().close()


def open_stream(path):
    """(binary stream of the uncompressed records, compression name).

    The caller closes the stream; that closes the file too, for every
    compression (a GzipFile over an open file would not).
    """
    comp = file_compression(path)
    if comp == "gzip":
        return gzip.open(path, "rb"), comp
    f = open(path, "rb")
    if comp == "zlib":
        return io.BufferedReader(_ZlibReader(f, path), 1 << 16), comp
    return f, comp


class RecordReader:
    """Records of one shard, in order; a context manager and an iterator.

    Iterating yields ``(index, offset, payload)`` with payload a
    memoryview valid for as long as the caller keeps it.  ``verify``
    checks the data CRC (the length CRC is always checked: a damaged
    length must not drive a huge read).  ``skip(n)`` passes over n
    records reading only their headers where the file allows seeking.
    Errors are TFRecordError naming the shard, record and offset.
    """

    def __init__(self, path, verify=True, max_record=DEFAULT_MAX_RECORD):
        self.path = str(path)
        self.verify = verify
        self.max_record = max_record
        self.stream, self.compression = open_stream(self.path)
        self.index = 0
        self.offset = 0
        self._size = os.fstat(self.stream.fileno()).st_size if self.compression == "none" else None

    def close(self):
        self.stream.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fail(self, reason):
        raise TFRecordError(self.path, self.index, self.offset, reason)

    def _header(self):
        """Payload length of the next record, or None at a clean end."""
        try:
            hdr = self.stream.read(12)
        except (EOFError, OSError, zlib.error) as e:
            self._fail("cannot decompress: %s" % e)
        if not hdr:
            return None
        if len(hdr) < 12:
            self._fail("truncated header (%d of 12 bytes)" % len(hdr))
        n, lcrc = struct.unpack("<QI", hdr)
        if _masked_prefix(hdr, 8) != lcrc:
            self._fail("length CRC mismatch")
        if n > self.max_record:
            self._fail("record length %d is above the limit of %d bytes" % (n, self.max_record))
        return n

    def seek(self, offset, index):
        """Continue at stream offset, the start of record number index
        (uncompressed shards only, for example from an .idx sidecar)."""
        if self.compression != "none":
            raise ValueError("%s: cannot seek in a %s stream" % (self.path, self.compression))
        self.stream.seek(offset)
        self.offset, self.index = offset, index

    def skip(self, count):
        for _ in range(count):
            n = self._header()
            if n is None:
                self._fail("shard ends before the records it was said to hold")
            self._skip_body(n)

    def count(self):
        """Pass over the rest of the shard; the number of records it held."""
        start = self.index
        while True:
            n = self._header()
            if n is None:
                return self.index - start
            self._skip_body(n)

    def _skip_body(self, n):
        if self._size is not None:
            if self.offset + 16 + n > self._size:
                self._fail("truncated record: needs %d bytes, the file has %d"
                           % (n + 16, self._size - self.offset))
            self.stream.seek(n + 4, io.SEEK_CUR)
        else:
            self._read_body(n)
        self.offset += n + 16
        self.index += 1

    def _read_body(self, n):
        try:
            body = self.stream.read(n + 4)
        except (EOFError, OSError, zlib.error) as e:
            self._fail("cannot decompress: %s" % e)
        if len(body) < n + 4:
            self._fail("truncated record: needs %d bytes, the stream has %d" % (n + 16, len(body) + 12))
        return body

    def next(self):
        """(index, offset, payload) of the next record, or None at the end."""
        n = self._header()
        if n is None:
            return None
        body = self._read_body(n)
        if self.verify and _masked_prefix(body, n) != struct.unpack_from("<I", body, n)[0]:
            self._fail("data CRC mismatch")
        rec = (self.index, self.offset, memoryview(body)[:n])
        self.offset += n + 16
        self.index += 1
        return rec

    def next_into(self, slots, k):
        """Read the next record into the bytearray slots[k] (replaced by a
        larger one when the record does not fit, never resized in place, so
        views of the old one stay valid): (index, offset, payload length),
        or None at the end.  The shuffle buffer of tfrec's datasets reuses
        its slots this way instead of allocating a buffer per record."""
        n = self._header()
        if n is None:
            return None
        if len(slots[k]) < n + 4:
            slots[k] = bytearray(max(n + 4, 2 * len(slots[k])))
        view = memoryview(slots[k])
        got = 0
        try:
            while got < n + 4:
                r = self.stream.readinto(view[got:n + 4])
                if not r:
                    break
                got += r
        except (EOFError, OSError, zlib.error) as e:
            self._fail("cannot decompress: %s" % e)
        finally:
            view.release()
        if got < n + 4:
            self._fail("truncated record: needs %d bytes, the stream has %d" % (n + 16, got + 12))
        if self.verify and _masked_prefix_of(slots[k], n) != struct.unpack_from("<I", slots[k], n)[0]:
            self._fail("data CRC mismatch")
        rec = (self.index, self.offset, n)
        self.offset += n + 16
        self.index += 1
        return rec

    def __iter__(self):
        while True:
            rec = self.next()
            if rec is None:
                return
            yield rec


def read_records(path, verify=True):
    """Yield (offset, payload bytes) for every record of path."""
    with RecordReader(path, verify) as r:
        for _, off, data in r:
            yield off, bytes(data)


def read_index(path):
    """(offsets, sizes) of a DALI .idx sidecar, as int64 numpy arrays."""
    import numpy as np
    with open(path, "rb") as f:
        text = f.read()
    try:
        a = np.array(text.split(), dtype=np.int64)
    except ValueError:
        raise TFRecordError(path, None, None, "not an index: want lines of 'offset size'")
    if a.size % 2:
        raise TFRecordError(path, None, None, "not an index: odd number of fields")
    a = a.reshape(-1, 2)
    return a[:, 0].copy(), a[:, 1].copy()


_SHARD_RE = re.compile(r"^(.*)-\d{5}-of-\d{5}\.tfrecord(\.gz|\.zlib)?$")


def _manifest_counts(path, cache):
    """Record count of path from its PREFIX.json manifest, if the manifest
    lists it with the file's current size; else None."""
    d, base = os.path.split(os.path.abspath(path))
    m = _SHARD_RE.match(base)
    if not m:
        return None
    man = os.path.join(d, m.group(1) + ".json")
    if man not in cache:
        cache[man] = {}
        try:
            with open(man) as f:
                for s in json.load(f).get("shards", []):
                    cache[man][s["file"]] = (int(s["records"]), int(s["bytes"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    got = cache[man].get(base)
    if got is None or got[1] != os.path.getsize(path):
        return None
    return got[0]


def record_count(path, _cache=None):
    """Records in a shard: from its manifest (PREFIX.json, when the size
    matches), else its .idx sidecar, else by reading the headers."""
    n = _manifest_counts(path, {} if _cache is None else _cache)
    if n is not None:
        return n
    idx = str(path) + ".idx"
    if os.path.exists(idx) and file_compression(path) == "none":
        return int(read_index(idx)[0].size)
    with RecordReader(path, verify=False) as r:
        return r.count()


def check_framed(path, index, offset, data, size, verify=True,
                 max_record=DEFAULT_MAX_RECORD):
    """The payload (a memoryview) of one framed record read from an .idx
    entry of size bytes; TFRecordError if it is cut short, damaged or
    not the size the index says."""
    if len(data) < size:
        raise TFRecordError(path, index, offset, "truncated record: the index says %d bytes, "
                            "the file has %d" % (size, len(data)))
    if _LIB is not None:
        start, length = ctypes.c_uint64(), ctypes.c_uint64()
        used, need = ctypes.c_size_t(), ctypes.c_uint64()
        rc = _LIB.tfrec_scan(data, len(data), 0 if verify else 1, max_record,
                             ctypes.byref(start), ctypes.byref(length), 1,
                             ctypes.byref(used), ctypes.byref(need))
        if rc < 0:
            raise TFRecordError(path, index, offset, _SCAN_REASONS.get(rc, "damaged record"))
        if rc == 0 or used.value != size:
            raise TFRecordError(path, index, offset, "index and record disagree on the size "
                                "(index %d bytes)" % size)
        return memoryview(data)[12:12 + length.value]
    if len(data) < 16:
        raise TFRecordError(path, index, offset, "index and record disagree on the size")
    n, lcrc = struct.unpack_from("<QI", data)
    if _masked_prefix(data, 8) != lcrc:
        raise TFRecordError(path, index, offset, "length CRC mismatch")
    if n + 16 != size:
        raise TFRecordError(path, index, offset, "index and record disagree on the size "
                            "(index %d bytes, record %d)" % (size, n + 16))
    body = memoryview(data)[12:12 + n]
    if verify and _masked_prefix(bytes(body), n) != struct.unpack_from("<I", data, 12 + n)[0]:
        raise TFRecordError(path, index, offset, "data CRC mismatch")
    return body


_SCAN_REASONS = {-1: "length CRC mismatch", -2: "data CRC mismatch",
                 -3: "record length is above the limit"}
