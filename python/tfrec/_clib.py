"""Load libtfrec.so, the stable C API of src/capi/tfrec.h, with ctypes.

The library does the byte crunching that is slow in Python (CRC-32C over
every payload).  Where it is missing, tfrec falls back to pure Python,
which gives the same answers far more slowly (about 12 MB/s).

Where it is looked for, first match wins:

1. ``$TFREC_LIBRARY``, a path; if set, failing to load it is an error
   (so that a test or a deployment that means the C path gets it);
2. the ``libdir`` that ``make install`` recorded in ``_paths.py``;
3. the top of a build tree that holds this package (``python/`` in it);
4. the system's library path (``libtfrec.so.0``).

``TFREC_NO_CLIB=1`` skips the library (tests cover both paths with it).
"""
import ctypes
import os

API_VERSION = 1  # the version of tfrec.h this binding was written for


def _candidates():
    try:
        from ._paths import LIBDIR
        yield os.path.join(LIBDIR, "libtfrec.so.0")
    except ImportError:
        pass
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "..", "..", "libtfrec.so.0")
    yield "libtfrec.so.0"


def _setup(lib):
    if lib.tfrec_api_version() < API_VERSION:
        raise OSError("libtfrec API version %d is older than %d"
                      % (lib.tfrec_api_version(), API_VERSION))
    u64p = ctypes.POINTER(ctypes.c_uint64)
    lib.tfrec_crc32c.argtypes = [ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t]
    lib.tfrec_crc32c.restype = ctypes.c_uint32
    lib.tfrec_masked_crc32c.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    lib.tfrec_masked_crc32c.restype = ctypes.c_uint32
    lib.tfrec_crc32c_impl.argtypes = []
    lib.tfrec_crc32c_impl.restype = ctypes.c_char_p
    lib.tfrec_scan.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
                               ctypes.c_uint64, u64p, u64p, ctypes.c_size_t,
                               ctypes.POINTER(ctypes.c_size_t), u64p]
    lib.tfrec_scan.restype = ctypes.c_long
    return lib


def load():
    """The loaded library, or None when it is absent or disabled."""
    if os.environ.get("TFREC_NO_CLIB", "") not in ("", "0"):
        return None
    env = os.environ.get("TFREC_LIBRARY")
    if env:
        return _setup(ctypes.CDLL(env))  # asked for: failure is an error
    for path in _candidates():
        try:
            return _setup(ctypes.CDLL(path))
        except (OSError, AttributeError):
            continue
    return None


LIB = load()
