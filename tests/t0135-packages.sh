#!/bin/sh
# t0135-packages: the Debian packages (debian/) build from a clean copy of
# the sources (make distdir) with `dpkg-buildpackage -b -us -uc`, lintian
# finds no errors, and `apt-get install ./*.deb` gives a working tfrec:
# the command and its man pages, a C program built with pkg-config that
# checks a CRC through libtfrec0, and python3-tfrec checking CRCs in C.
# Then apt-get purge removes every file they put in place.
#
# It installs into the system, so it needs root and apt: otherwise it
# SKIPs, unless TFREC_REQUIRE_PACKAGES=1 (scripts/test.sh, CI), where a
# skip is a failure.  The tests already ran: the build is nocheck.
. "${TOP_SRCDIR}/tests/lib.sh"
B=${TOP_BUILDDIR:-}
[ -n "$B" ] && [ -f "$B/Makefile" ] || skip_all "no build tree"
# The sanitizer pass of scripts/test.sh runs every test again: the
# packages do not depend on that build, and the plain pass tested them.
grep -q '^SAN_CFLAGS = .*-fsanitize' "$B/Makefile" &&
	skip_all "a sanitizer build: the plain build's pass builds and tests the packages"
[ "${TFREC_IN_PACKAGE_BUILD:-0}" = 1 ] &&
	skip_all "inside a Debian package build (debian/rules): no packages within packages"
why=
if [ "$(id -u)" -ne 0 ]; then
	why="not root: the packages are installed into the system"
else
	for t in apt-get dpkg-buildpackage dpkg-checkbuilddeps lintian pkg-config cc man flock; do
		command -v $t >/dev/null 2>&1 || { why="$t is missing (sh scripts/deps.sh --test)"; break; }
	done
fi
if [ -z "$why" ] && dpkg-query -W -f='${Status}\n' tfrec libtfrec0 libtfrec-dev python3-tfrec 2>/dev/null | grep -q 'ok installed'; then
	why="tfrec's packages are installed already: this test would remove them"
fi
if [ -n "$why" ]; then
	[ "${TFREC_REQUIRE_PACKAGES:-0}" = 1 ] || skip_all "$why"
	not_ok "TFREC_REQUIRE_PACKAGES=1 but the packages cannot be tested: $why"
	done_testing
	exit
fi
PKGS="tfrec libtfrec0 libtfrec-dev python3-tfrec"
APT="apt-get -y -q -o DPkg::Lock::Timeout=300"
export DEBIAN_FRONTEND=noninteractive
S=$TMP/src/tfrec
mkdir -p "$TMP/src"
check "a clean copy of the sources (make distdir)" make -s -C "$B" distdir distdir="$S"
check "dpkg-checkbuilddeps: the build dependencies are installed" sh -c "cd '$S' && dpkg-checkbuilddeps"
# PATH without a user's own python3 (pyenv and the like): Debian's build.
check "dpkg-buildpackage -b -us -uc" sh -c "cd '$S' && env DEB_BUILD_OPTIONS='nocheck parallel=2' \
	PATH=/usr/sbin:/usr/bin:/sbin:/bin dpkg-buildpackage -b -us -uc >'$TMP/build.log' 2>&1 || { tail -40 '$TMP/build.log' >&2; exit 1; }"
for p in $PKGS; do
	check "it built $p" sh -c "ls '$TMP/src/'${p}_*.deb"
done
if [ "$T_FAIL" -ne 0 ]; then
	echo "# the build failed: nothing to install"
	done_testing
	exit
fi
check "lintian: no errors" sh -c "cd '$TMP/src' && lintian --fail-on error tfrec_*.changes >&2"
sed 's/^/# lintian: /' "$TMP/.err" | head -20
# The four packages, not the -dbgsym ones.
debs=
for p in $PKGS; do debs="$debs $(ls "$TMP/src/"${p}_*.deb)"; done
# Installed only under this lock: t0130, which may run at the same time,
# checks the Python package where no libtfrec.so.0 is installed.
LOCK=/tmp/tfrec-packages.lock
touch "$LOCK" 2>/dev/null
exec 9<"$LOCK"
flock 9
check "apt-get install ./*.deb" sh -c "$APT install --no-install-recommends $debs >&2"
check "tfrec --version" /usr/bin/tfrec --version
check "man -w tfrec-convert finds the page" sh -c "man -w tfrec-convert | grep -q '^/usr/share/man/man1/tfrec-convert.1'"
check "the bash completion is in place" test -f /usr/share/bash-completion/completions/tfrec
check "cc prog.c \$(pkg-config --cflags --libs tfrec)" sh -c "cc -o '$TMP/pc-crc' '$TOP_SRCDIR/tests/pkgconfig-crc.c' \$(pkg-config --cflags --libs tfrec)"
check "it checks a CRC through libtfrec0" env -u LD_LIBRARY_PATH "$TMP/pc-crc"
check "python3-tfrec checks CRCs in C (libtfrec0)" sh -c "cd / && env -u PYTHONPATH -u TFREC_LIBRARY -u TFREC_NO_CLIB \
	/usr/bin/python3 -c 'import tfrec; b = tfrec.crc_backend(); print(b); assert b.startswith(\"libtfrec\"), b; assert tfrec.__file__.startswith(\"/usr/lib/python3/dist-packages/\")'"
check "and it is byte-compiled by the package (py3compile)" sh -c "ls /usr/lib/python3/dist-packages/tfrec/__pycache__/*.pyc"
# What the packages own, to check that purge leaves none of it.
dpkg -L $PKGS 2>/dev/null | while read -r f; do [ -f "$f" ] && echo "$f"; done | sort >"$TMP/files"
check "apt-get purge" sh -c "$APT purge $PKGS >&2"
left=$(dpkg-query -W -f='${Package} ${Status}\n' $PKGS 2>/dev/null | grep -c 'ok installed')
[ "$left" -eq 0 ] && ok "the packages are gone" || not_ok "packages still installed: $left"
n=0
while read -r f; do [ -e "$f" ] && { echo "# left: $f"; n=$((n + 1)); }; done <"$TMP/files"
[ "$n" -eq 0 ] && ok "none of their $(wc -l <"$TMP/files") files is left" || not_ok "$n of their files are left"
check "the Python package's directory is gone" test ! -e /usr/lib/python3/dist-packages/tfrec
check "and libtfrec.so.0 is not in the linker cache" sh -c "! ldconfig -p | grep -q 'libtfrec\.so\.0 .*=> /usr/lib/'"
exec 9>&-
done_testing
