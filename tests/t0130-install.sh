#!/bin/sh
# t0130-install: `make install` puts the binary, every man page and the
# bash completion in place; the completion knows every option that each
# command's --help lists, and completes commands and option values.
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
if grep -q '^PYTHON = :' "$B/Makefile"; then
	ok "# SKIP configure found no Python: the package is not installed"
else
	PD=$(dirname "$(find "$D" -path '*/tfrec/__init__.py' | head -1)")
	check "the Python package is installed under the prefix" sh -c "case '$PD' in '$D/usr/local/lib/python'*/tfrec) ;; *) exit 1;; esac"
	check "it records where libtfrec.so went" grep -qx 'LIBDIR = "/usr/local/lib"' "$PD/_paths.py"
	if command -v /usr/bin/python3 >/dev/null && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
		# Installed for real (no DESTDIR) into a prefix, it finds its library there.
		check "make install prefix=..." make -s -C "$B" install prefix="$TMP/inst"
		I=$(dirname "$(dirname "$(find "$TMP/inst" -path '*/tfrec/__init__.py' | head -1)")")
		check "import tfrec from the site directory uses the installed libtfrec.so" env -u TFREC_LIBRARY \
			PYTHONPATH="$I" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c "
import tfrec; assert tfrec.crc_backend().startswith('libtfrec'), tfrec.crc_backend()
from tfrec import _clib; assert _clib.LIB._name == '$TMP/inst/lib/libtfrec.so.0', _clib.LIB._name"
		check "make uninstall from that prefix" make -s -C "$B" uninstall prefix="$TMP/inst"
		left=$(find "$TMP/inst" -type f | wc -l)
		[ "$left" -eq 0 ] && ok "nothing is left there" || not_ok "files left in the prefix: $left"
	fi
fi
check "make uninstall removes it all" make -s -C "$B" uninstall DESTDIR="$D" prefix=/usr/local
left=$(find "$D" -type f | wc -l)
[ "$left" -eq 0 ] && ok "nothing is left after uninstall" || not_ok "files left after uninstall: $left"
done_testing
