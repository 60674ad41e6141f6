"""Build the tfrec Python package with libtfrec compiled into it.

`pip install ./python` and `pip wheel ./python` run this through
setuptools' build_ext.  The C library is not a Python extension: it is
the same libtfrec.so.0 that `make` builds (the C API of src/capi/tfrec.h),
placed inside the package as tfrec/libtfrec.so.0, where tfrec/_clib.py
looks first, so the installed package checks CRCs in C with no
environment variable.

One list of sources: the .so's files are the CAPI_SRC variable of the
top-level Makefile.am (its `+=` lines and `if` blocks included), and its
libraries are what CAPI_LIBS names there, turned into compiler and linker
flags by pkg-config through configure.ac's PKG_CHECK_MODULES lines.  So
this file needs no edit when the library grows.  Generated sources
(src/lib/format/example.pb-c.c) are made with protoc-c, and config.h is a small
generated one, both in the build directory.

Nothing is written into the source tree: build/ and *.egg-info go to a
temporary directory that is removed when the build ends, since pip builds
a local directory in place.  The wheel needs the whole tfrec checkout
(../Makefile.am and ../src), so it is built from a checkout, not from an
sdist of python/ alone.
"""
import atexit
import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
LIBNAME = "libtfrec.so.0"  # the soname of `make`'s build, and what _clib.py loads


def read_makefile_am(path, conditions):
    """Makefile.am's variables as {name: value}, `+=` appended and `if`
    blocks taken or left by conditions[name] (absent names are false)."""
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    values, stack = {}, []
    for line in text.splitlines():
        line = line.split("#", 1)[0].rstrip()
        word = line.split()
        if word and word[0] == "if":
            stack.append(conditions.get(word[1].lstrip("!"), False) != word[1].startswith("!"))
            continue
        if word and word[0] == "else":
            stack[-1] = not stack[-1]
            continue
        if word and word[0] == "endif":
            stack.pop()
            continue
        if not all(stack) or line.startswith("\t"):
            continue  # a block not taken, or a rule's recipe
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*)\s*(\+?=)\s*(.*)$", line)
        if m:
            name, op, value = m.groups()
            values[name] = (values.get(name, "") + " " + value) if op == "+=" else value
    return values


def expand(value, values, depth=0):
    """$(VAR) of Makefile.am replaced by its value; configure's
    substitutions (like $(ZLIB_LIBS)) are left for pkg_flags()."""
    if depth > 20:
        raise RuntimeError("setup.py: Makefile.am variables refer to themselves: " + value)

    def sub(m):
        name = m.group(1)
        return expand(values[name], values, depth + 1) if name in values else m.group(0)
    return re.sub(r"\$\((\w+)\)", sub, value)


def pkg_modules(configure_ac):
    """{'ZLIB': 'zlib >= 1.2.5', ...} from PKG_CHECK_MODULES([X], [mods])."""
    with open(configure_ac) as f:
        text = f.read()
    return dict(re.findall(r"PKG_CHECK_MODULES\(\[(\w+)\],\s*\[([^\]]+)\]", text))


def pkg_config(what, mods):
    try:
        out = subprocess.run(["pkg-config", what, mods], check=True,
                             stdout=subprocess.PIPE, universal_newlines=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise RuntimeError("setup.py: pkg-config %s '%s' failed (%s): install pkgconf "
                           "and the -dev packages of scripts/deps.sh" % (what, mods, e))
    return shlex.split(out)


def pkg_flags(words, modules):
    """Compiler and linker flags for CAPI_LIBS's words: $(X_LIBS) and
    $(X_CFLAGS) through pkg-config, $(OPENMP_CFLAGS) as -fopenmp, plain
    flags (-lm) as they are."""
    cflags, libs = [], []
    for w in words:
        m = re.match(r"^\$\((\w+)_(LIBS|CFLAGS)\)$", w)
        if w == "$(OPENMP_CFLAGS)":
            cflags.append("-fopenmp")
            libs.append("-fopenmp")
        elif m and m.group(1) in modules:
            # the headers of a library linked are needed too
            cflags += pkg_config("--cflags", modules[m.group(1)])
            if m.group(2) == "LIBS":
                libs += pkg_config("--libs", modules[m.group(1)])
        elif w.startswith("$("):
            raise RuntimeError("setup.py: CAPI_LIBS names %s, which setup.py cannot "
                               "turn into flags: teach pkg_flags() about it" % w)
        else:
            libs.append(w)
    return cflags, libs


def capi():
    """(sources relative to TOP, cflags, libs, x86?) of libtfrec.so.0."""
    am, ac = os.path.join(TOP, "Makefile.am"), os.path.join(TOP, "configure.ac")
    if not os.path.exists(am):
        raise RuntimeError("setup.py: %s is missing: build the package from a tfrec "
                           "checkout (pip install ./python), not from an sdist" % am)
    x86 = re.match(r"^(x86_64|amd64|i\d86)$", platform.machine().lower()) is not None
    values = read_makefile_am(am, {"TFR_X86": x86, "HAVE_PYTHON": True})
    for d in ("srcdir", "top_srcdir", "builddir", "top_builddir"):
        values[d] = "."  # paths are taken from the top of the checkout
    # (headers may be listed as prerequisites; only .c files are compiled)
    srcs = [os.path.normpath(w) for w in expand(values["CAPI_SRC"], values).split()
            if w.endswith(".c")]
    cflags, libs = pkg_flags(expand(values.get("CAPI_LIBS", ""), values).split(),
                             pkg_modules(ac))
    return srcs, cflags, libs, x86


def package_version():
    with open(os.path.join(TOP, "configure.ac")) as f:
        return re.search(r"AC_INIT\(\[tfrec\],\s*\[([^\]]+)\]", f.read()).group(1)


class BuildLib(build_ext):
    """Builds tfrec/libtfrec.so.0: a plain shared object for ctypes,
    with only tfrec.h's names exported, as the Makefile's rule does."""

    def get_ext_filename(self, fullname):
        return os.path.join(*fullname.split(".")[:-1], LIBNAME)

    def build_extension(self, ext):
        gen = os.path.abspath(self.build_temp)
        os.makedirs(os.path.join(gen, "src", "lib"), exist_ok=True)
        # config.h: configure's, cut to what the C API's sources use.
        with open(os.path.join(gen, "config.h"), "w") as f:
            f.write("/* config.h for the Python package's build (python/setup.py) */\n"
                    "#define _GNU_SOURCE 1\n#define _FILE_OFFSET_BITS 64\n"
                    '#define PACKAGE_VERSION "%s"\n' % package_version())
            if self.x86:
                f.write("#define TFR_X86 1\n")
        sources = []
        for s in ext.sources:
            if s.endswith(".pb-c.c"):  # generated from the .proto beside it
                proto = os.path.join(TOP, s[:-len(".pb-c.c")] + ".proto")
                out = os.path.join(gen, os.path.dirname(s))
                os.makedirs(out, exist_ok=True)
                self.spawn(["protoc-c", "--proto_path=" + os.path.dirname(proto),
                            "--c_out=" + out, proto])
                sources.append(os.path.join(gen, s))
            else:
                sources.append(os.path.join(TOP, s))
        ext.sources = sources
        # AM_CPPFLAGS's include path, with the build directory for config.h.
        ext.include_dirs = [gen, os.path.join(gen, "src", "lib"), os.path.join(TOP, "src"),
                            os.path.join(TOP, "src", "lib")]
        super().build_extension(ext)


def main():
    srcs, cflags, libs, x86 = capi()
    BuildLib.x86 = x86
    # Out of the source tree: pip builds ./python in place.
    tmp = tempfile.mkdtemp(prefix="tfrec-pybuild-")
    atexit.register(shutil.rmtree, tmp, True)
    cmdclass = {"build_ext": BuildLib}
    try:  # the library is no CPython extension: any Python 3 can load it
        try:
            from setuptools.command.bdist_wheel import bdist_wheel
        except ImportError:
            from wheel.bdist_wheel import bdist_wheel

        class Wheel(bdist_wheel):
            def get_tag(self):
                return ("py3", "none", super().get_tag()[2])
        cmdclass["bdist_wheel"] = Wheel
    except ImportError:
        pass
    setup(
        ext_modules=[Extension("tfrec._libtfrec", sources=srcs,
                               extra_compile_args=["-std=c11", "-fvisibility=hidden"] + cflags,
                               extra_link_args=["-Wl,-soname," + LIBNAME] + libs)],
        cmdclass=cmdclass,
        options={"build": {"build_base": os.path.join(tmp, "build")},
                 "egg_info": {"egg_base": tmp}},
    )


if sys.argv[1:] == ["--tfrec-capi"]:
    # What the build would compile and link, for tests/t0130-install.sh.
    print(json.dumps(dict(zip(("sources", "cflags", "libs", "x86"), capi()))))
else:
    main()
