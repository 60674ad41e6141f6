"""Load libtfrec.so, the stable C API of src/capi/tfrec.h, with ctypes.

The library does the byte crunching that is slow in Python (CRC-32C over
every payload).  Where it is missing, tfrec falls back to pure Python,
which gives the same answers far more slowly (about 12 MB/s), and the
first read says so once with a RuntimeWarning (``fallback_warning()``)
that names the cause and the fix: a 30-100x slower read must not pass
unnoticed.

Where it is looked for, first match wins:

1. ``$TFREC_LIBRARY``, a path; if set, failing to load it is an error
   (so that a test or a deployment that means the C path gets it);
2. the copy inside this package (``tfrec/libtfrec.so.0``), which
   ``pip install ./python`` compiles (python/setup.py);
3. the ``libdir`` that ``make install`` recorded in ``_paths.py``;
4. the top of a build tree that holds this package (``python/`` in it);
5. the system's library path (``libtfrec.so.0``; Debian's libtfrec0).

``TFREC_NO_CLIB=1`` skips the library (tests cover both paths with it).
"""
import ctypes
import os
import sys
import warnings

API_VERSION = 1  # the version of tfrec.h this binding was written for


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    yield os.path.join(here, "libtfrec.so.0")
    try:
        from ._paths import LIBDIR
        yield os.path.join(LIBDIR, "libtfrec.so.0")
    except ImportError:
        pass
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


# Why LIB is None, for the warning: set by load().
WHY = None
_warned = False


def load():
    """The loaded library, or None when it is absent or disabled (then
    WHY says why)."""
    global WHY
    if os.environ.get("TFREC_NO_CLIB", "") not in ("", "0"):
        WHY = ("TFREC_NO_CLIB is set in the environment",
               "unset TFREC_NO_CLIB")
        return None
    env = os.environ.get("TFREC_LIBRARY")
    if env:
        return _setup(ctypes.CDLL(env))  # asked for: failure is an error
    errors = []
    for path in _candidates():
        try:
            return _setup(ctypes.CDLL(path))
        except (OSError, AttributeError) as e:
            # A library that is there but does not load is worth naming;
            # a place where there is none is the normal miss.
            if os.path.sep in path:
                missing = not os.path.exists(path)
            else:
                missing = "No such file" in str(e)
            if not missing:
                errors.append(str(e))
    if errors:
        WHY = ("libtfrec.so.0 did not load: " + "; ".join(errors),
               "rebuild and reinstall it (pip install ./python, or make && make install), "
               "or point TFREC_LIBRARY at a good libtfrec.so.0")
    else:
        WHY = ("libtfrec.so.0 was not found (not in the package, not installed by "
               "make install, not on the library path)",
               "pip install ./python from a tfrec checkout (it builds the library into the "
               "package), or install the libtfrec0 package, or make install and ldconfig, or set "
               "TFREC_LIBRARY=/path/to/libtfrec.so.0")
    return None


def fallback_warning():
    """Once per process, when the pure-Python CRC runs: a RuntimeWarning
    naming why libtfrec is not used and how to fix it, reported at the
    caller's line outside this package."""
    global _warned
    if _warned or LIB is not None:
        return
    _warned = True
    pkg = os.path.dirname(os.path.abspath(__file__)) + os.path.sep
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(pkg):
        frame, level = frame.f_back, level + 1
    cause, fix = WHY or ("libtfrec is not loaded", "see tfrec._clib")
    warnings.warn("tfrec: CRC checks run in pure Python, 30-100x slower than with "
                  "libtfrec (about 12 MB/s): %s; fix: %s" % (cause, fix),
                  RuntimeWarning, stacklevel=level)


LIB = load()
