#!/bin/sh
# t0130-install: `make install` puts the binary, every man page and the
# bash completion in place; the completion knows every option that each
# command's --help lists, and completes commands and option values.
# It installs tfrec.h and tfrec.pc (a program builds with pkg-config and
# checks a CRC), the Python package where its Python looks, runs ldconfig
# only for the real root, and `make uninstall` removes it all.  The Python
# package: `pip install ./python` and a wheel from `pip wheel ./python`
# carry libtfrec (crc_backend() is the C one with no environment variable)
# and leave nothing in the source tree; the pure-Python fallback warns
# once, naming the cause and the fix.
. "${TOP_SRCDIR}/tests/lib.sh"
B=${TOP_BUILDDIR:-}
[ -n "$B" ] && [ -f "$B/Makefile" ] || skip_all "no build tree"
D=$TMP/dest
check "make install DESTDIR=..." make -s -C "$B" install DESTDIR="$D" prefix=/usr/local
check "the binary is installed" test -x "$D/usr/local/bin/tfrec"
for page in tfrec tfrec-convert tfrec-shard tfrec-inspect tfrec-verify tfrec-index; do
	check "man page $page.1 is installed" test -f "$D/usr/local/share/man/man1/$page.1"
done
C=$D/usr/local/share/bash-completion/completions/tfrec
check "the bash completion is installed as 'tfrec'" test -f "$C"
if command -v bash >/dev/null 2>&1; then
	for cmd in convert shard inspect verify index; do
		for opt in $("$TFREC" $cmd --help | grep -oE '^ +(-[a-zA-Z], )?--[a-z0-9-]+' | sed 's/.*--/--/' | sort -u); do
			got=$(bash -c ". '$C'; COMP_WORDS=(tfrec $cmd $opt); COMP_CWORD=2; _tfrec; printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -cx -- "$opt")
			[ "$got" -ge 1 ] || { not_ok "completion lacks $cmd $opt"; continue 2; }
		done
		ok "completion knows every option of $cmd"
	done
	got=$(bash -c ". '$C'; COMP_WORDS=(tfrec sh); COMP_CWORD=1; _tfrec; echo \"\${COMPREPLY[@]}\"")
	[ "$got" = "shard" ] && ok "completes the command name" || not_ok "completes the command name ($got)"
	got=$(bash -c ". '$C'; COMP_WORDS=(tfrec convert --dtype f); COMP_CWORD=3; _tfrec; echo \"\${COMPREPLY[@]}\"")
	[ "$got" = "float16 float32" ] && ok "completes option values" || not_ok "completes option values ($got)"
fi
check "libtfrec.so.0 and its link are installed" test -f "$D/usr/local/lib/libtfrec.so.0" -a -L "$D/usr/local/lib/libtfrec.so"
check "the C API header is installed as tfrec.h" test -f "$D/usr/local/include/tfrec.h"
check "tfrec.pc is installed with the prefix's paths" grep -qx 'libdir=/usr/local/lib' "$D/usr/local/lib/pkgconfig/tfrec.pc"
if grep -q '^PYTHON = :' "$B/Makefile"; then
	ok "# SKIP configure found no Python: the package is not installed"
else
	PD=$(dirname "$(find "$D" -path '*/tfrec/__init__.py' | head -1)")
	check "the Python package is installed under the prefix" sh -c "case '$PD' in '$D/usr/local/lib/python'*/tfrec) ;; *) exit 1;; esac"
	check "it records where libtfrec.so went" grep -qx 'LIBDIR = "/usr/local/lib"' "$PD/_paths.py"
	# Where configure's Python looks: installed into that Python's own
	# prefix, the package lands in one of its site directories (on Debian's
	# python3, dist-packages: site-packages is never read there).
	CPY=$(sed -n 's/^PYTHON = //p' "$B/Makefile")
	PP=$("$CPY" -c 'import sys; print(sys.prefix)')
	make -s -C "$B" install-data-hook DESTDIR="$TMP/pyd" prefix="$PP" >/dev/null 2>&1
	PYD=$(dirname "$(dirname "$(find "$TMP/pyd" -path '*/tfrec/__init__.py' | head -1)")")
	check "make install puts the package in a site directory of $CPY (${PYD#"$TMP/pyd"})" \
		"$CPY" -c 'import site, sys; assert sys.argv[1] in site.getsitepackages(), site.getsitepackages()' "${PYD#"$TMP/pyd"}"
	if "$CPY" -c 'import sysconfig, sys; sys.exit("deb_system" not in sysconfig.get_scheme_names())'; then
		check "with Debian's Python, /usr/local gets dist-packages" sh -c "case '$PD' in '$D/usr/local/lib/python3'*/dist-packages/tfrec) ;; *) exit 1;; esac"
	else
		skip "with Debian's Python, /usr/local gets dist-packages" "configure found a Python that is not Debian's ($CPY)"
	fi
	rm -rf "$TMP/pyd"
	if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
		# Installed for real (no DESTDIR) into a prefix, it finds its library
		# there; ldconfig runs for such an install, never for a DESTDIR one.
		check "make install DESTDIR=... runs no ldconfig" make -s -C "$B" install DESTDIR="$TMP/d2" prefix=/usr LDCONFIG="touch $TMP/ldconfig-destdir"
		check "(none ran)" test ! -e "$TMP/ldconfig-destdir"
		rm -rf "$TMP/d2"
		check "make install prefix=..." make -s -C "$B" install prefix="$TMP/inst" LDCONFIG="touch $TMP/ldconfig-ran"
		check "make install to the real root runs ldconfig" test -e "$TMP/ldconfig-ran"
		if command -v pkg-config >/dev/null && command -v cc >/dev/null; then
			check "a program builds with pkg-config --cflags --libs tfrec" sh -c "cc -o '$TMP/pc-crc' '$TOP_SRCDIR/tests/pkgconfig-crc.c' \$(PKG_CONFIG_PATH='$TMP/inst/lib/pkgconfig' pkg-config --cflags --libs tfrec)"
			check "and checks a CRC through the installed libtfrec.so.0" env LD_LIBRARY_PATH="$TMP/inst/lib" "$TMP/pc-crc"
		else
			skip "a program builds with pkg-config" "pkg-config or cc is missing"
		fi
		I=$(dirname "$(dirname "$(find "$TMP/inst" -path '*/tfrec/__init__.py' | head -1)")")
		check "import tfrec from the site directory uses the installed libtfrec.so" env -u TFREC_LIBRARY \
			PYTHONPATH="$I" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c "
import tfrec; assert tfrec.crc_backend().startswith('libtfrec'), tfrec.crc_backend()
from tfrec import _clib; assert _clib.LIB._name == '$TMP/inst/lib/libtfrec.so.0', _clib.LIB._name"
		rm -f "$TMP/ldconfig-ran"
		check "make uninstall from that prefix" make -s -C "$B" uninstall prefix="$TMP/inst" LDCONFIG="touch $TMP/ldconfig-ran"
		check "and ldconfig forgets the library" test -e "$TMP/ldconfig-ran"
		left=$(find "$TMP/inst" -type f -o -type l | wc -l)
		[ "$left" -eq 0 ] && ok "nothing is left there" || not_ok "files left in the prefix: $left"
	fi
fi
check "make uninstall removes it all" make -s -C "$B" uninstall DESTDIR="$D" prefix=/usr/local
left=$(find "$D" -type f -o -type l | wc -l)
[ "$left" -eq 0 ] && ok "nothing is left after uninstall" || not_ok "files left after uninstall: $left"

# --- the Python package built by pip: it carries its library -------------
PY=/usr/bin/python3
if ! { "$PY" -c 'import numpy, setuptools, wheel, pip' && "$PY" -m venv --help; } >/dev/null 2>&1; then
	skip "pip install ./python and its wheel" "Debian's python3 with numpy, setuptools, wheel, pip and venv is missing"
	done_testing
	exit
fi
# Nothing from outside: no TFREC_LIBRARY, no build tree's library.
unset TFREC_LIBRARY TFREC_NO_CLIB
export PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONPATH=
mkdir -p "$TMP/shards"
check "two shards to read" "$TFREC" convert -q --no-fsync --resize 24x24 --shards 2 -o "$TMP/shards/s" "$TOP_SRCDIR/sample-data/photos"
listing() { (cd "$TOP_SRCDIR" && find python -print | LC_ALL=C sort); }
listing >"$TMP/before"
read_check='import sys, glob, tfrec, tfrec._clib as c
assert tfrec.crc_backend().startswith("libtfrec"), tfrec.crc_backend()
assert c.LIB._name.startswith(sys.prefix), (c.LIB._name, sys.prefix)
n = sum(1 for f in sorted(glob.glob(sys.argv[1] + "/s-*.tfrecord")) for _ in tfrec.read_records(f))
assert n == 6, n
print(tfrec.crc_backend(), c.LIB._name)'
mkdir -p "$TMP/elsewhere"
if "$PY" -m venv --system-site-packages "$TMP/v1" >"$TMP/venv.log" 2>&1; then
	check "pip install --no-build-isolation --no-index ./python" "$TMP/v1/bin/python" -m pip install -q --no-build-isolation "$TOP_SRCDIR/python"
	check "then crc_backend() is the C one, from the package, with no variable set" sh -c "cd '$TMP/elsewhere' && '$TMP/v1/bin/python' -W error::RuntimeWarning -c '$read_check' '$TMP/shards'"
	check "pip wheel ./python -w dist/" sh -c "cd '$TMP' && '$PY' -m pip wheel -q --no-deps --no-build-isolation '$TOP_SRCDIR/python' -w '$TMP/dist'"
	W=$(ls "$TMP"/dist/tfrec-*.whl 2>/dev/null | head -1)
	check "the wheel holds libtfrec.so.0, exporting only the C API" sh -c "'$PY' -m zipfile -e '$W' '$TMP/unz' && ! nm -D --defined-only '$TMP/unz/tfrec/libtfrec.so.0' | grep -v ' tfrec_' | grep ' T '"
	mv "$W" "$TMP/elsewhere/" && W=$TMP/elsewhere/$(basename "$W")
	"$PY" -m venv --system-site-packages "$TMP/v2" >/dev/null 2>&1
	check "the wheel installs into a fresh venv, from another directory" sh -c "cd '$TMP/elsewhere' && '$TMP/v2/bin/python' -m pip install -q '$W'"
	check "and reads shards with the C backend" sh -c "cd '$TMP/elsewhere' && '$TMP/v2/bin/python' -W error::RuntimeWarning -c '$read_check' '$TMP/shards'"
else
	skip "pip install ./python and its wheel" "python3 -m venv failed: $(head -1 "$TMP/venv.log")"
fi
listing >"$TMP/after"
check "pip left nothing in the source tree (python/)" cmp "$TMP/before" "$TMP/after"

# setup.py compiles what Makefile.am's CAPI_SRC lists (+= lines, if/else
# blocks, continuation lines, $(VAR)s, headers left out) and links what
# CAPI_LIBS names, through configure.ac's PKG_CHECK_MODULES and pkg-config:
# a longer list than today's, as the library grows.
mkdir -p "$TMP/am/python"
cp "$TOP_SRCDIR/configure.ac" "$TMP/am/"
cp "$TOP_SRCDIR/python/setup.py" "$TMP/am/python/"
cat >"$TMP/am/Makefile.am" <<'AMEOF'
DEPS = $(ZLIB_LIBS) -lm
CAPI_SRC = src/capi/tfrec.c src/lib/format/crc32c.c \
	src/lib/format/record.h src/lib/format/record.c
if TFR_X86
CAPI_SRC += src/lib/x86/crc32c_sse42.c
if !TFR_X86
CAPI_SRC += never.c
endif
else
CAPI_SRC += src/lib/portable-only.c
endif
CAPI_SRC += $(top_srcdir)/src/lib/format/example.pb-c.c
other_SOURCES = not-this.c
CAPI_LIBS = $(DEPS) $(PNG_LIBS) $(OPENMP_CFLAGS)
libtfrec.so.0: $(CAPI_SRC)
	$(CC) -o $@ $(CAPI_SRC) # a recipe, not an assignment: CAPI_SRC = x.c
AMEOF
if command -v pkg-config >/dev/null && pkg-config --exists zlib libpng; then
	x86=$("$PY" -c 'import platform, re; print(str(re.match(r"^(x86_64|amd64|i\d86)$", platform.machine().lower()) is not None).lower())')
	check "setup.py reads CAPI_SRC and CAPI_LIBS from Makefile.am" sh -c "'$PY' '$TMP/am/python/setup.py' --tfrec-capi >'$TMP/capi.json'"
	check "(the sources and flags it found)" "$PY" - "$TMP/capi.json" "$x86" <<'PYEOF'
import json, subprocess, sys
got = json.load(open(sys.argv[1]))
x86 = sys.argv[2] == "true"
want = ["src/capi/tfrec.c", "src/lib/format/crc32c.c", "src/lib/format/record.c"]
want += ["src/lib/x86/crc32c_sse42.c"] if x86 else ["src/lib/portable-only.c"]
want += ["src/lib/format/example.pb-c.c"]
assert got["sources"] == want, got["sources"]
pc = lambda *a: subprocess.run(["pkg-config"] + list(a), stdout=subprocess.PIPE,
                               universal_newlines=True, check=True).stdout.split()
for flag in pc("--libs", "zlib >= 1.2.5") + pc("--libs", "libpng >= 1.6.31") + ["-lm", "-fopenmp"]:
    assert flag in got["libs"], (flag, got["libs"])
for flag in pc("--cflags", "libpng >= 1.6.31") + ["-fopenmp"]:
    assert flag in got["cflags"], (flag, got["cflags"])
PYEOF
else
	skip "setup.py reads CAPI_SRC and CAPI_LIBS from Makefile.am" "pkg-config, zlib or libpng's .pc is missing"
fi
sed -i 's/^CAPI_LIBS = .*/CAPI_LIBS = $(NO_SUCH_LIBS)/' "$TMP/am/Makefile.am"
check_exit 1 "a CAPI_LIBS name it cannot turn into flags stops the build" "$PY" "$TMP/am/python/setup.py" --tfrec-capi
err_has "(naming it)" 'CAPI_LIBS names $(NO_SUCH_LIBS)'

# --- the slow path speaks: one RuntimeWarning with the cause and the fix --
warn_check='import sys, glob, warnings
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    import tfrec
    for f in sorted(glob.glob(sys.argv[1] + "/s-*.tfrecord")):
        for _ in tfrec.read_records(f):
            pass
msgs = [str(x.message) for x in w if issubclass(x.category, RuntimeWarning)]
want = int(sys.argv[2])
assert len(msgs) == want, msgs
for m in msgs:
    assert "pure Python" in m and "fix:" in m and sys.argv[3] in m, m
    print(m)'
check "with the library, reading warns nothing" env PYTHONPATH="$TOP_SRCDIR/python" TFREC_LIBRARY="$B/libtfrec.so.0" "$PY" -c "$warn_check" "$TMP/shards" 0 -
check "TFREC_NO_CLIB=1: one warning naming it, for two shards" env PYTHONPATH="$TOP_SRCDIR/python" TFREC_NO_CLIB=1 "$PY" -c "$warn_check" "$TMP/shards" 1 "unset TFREC_NO_CLIB"
mkdir -p "$TMP/bare"
cp -r "$TOP_SRCDIR/python/tfrec" "$TMP/bare/"
rm -f "$TMP/bare/tfrec/_paths.py" "$TMP/bare/tfrec/libtfrec.so.0"
# (Both need a system without libtfrec.so.0 on its library path, which
# the package would find after the broken or missing copy: t0135, which
# may run beside this test, installs it only while it holds this lock.)
LOCK=/tmp/tfrec-packages.lock
touch "$LOCK" 2>/dev/null
if command -v flock >/dev/null 2>&1 && [ -r "$LOCK" ]; then
	exec 9<"$LOCK"
	flock -s 9
fi
if ldconfig -p 2>/dev/null | grep -q 'libtfrec\.so\.0'; then
	skip "no library anywhere: the warning says it was not found" "libtfrec.so.0 is installed on this system"
	skip "a library that does not load: the warning gives the loader's error" "libtfrec.so.0 is installed on this system"
else
	check "no library anywhere: the warning says it was not found, and how to fix it" env PYTHONPATH="$TMP/bare" LD_LIBRARY_PATH= "$PY" -c "$warn_check" "$TMP/shards" 1 "pip install ./python"
	out_has "(it names the cause)" "was not found"
	echo 'not an ELF file' >"$TMP/bare/tfrec/libtfrec.so.0"
	check "a library that does not load: the warning gives the loader's error" env PYTHONPATH="$TMP/bare" LD_LIBRARY_PATH= "$PY" -c "$warn_check" "$TMP/shards" 1 "$TMP/bare/tfrec/libtfrec.so.0"
	out_has "(the error text)" "did not load"
fi
exec 9>&-
done_testing
