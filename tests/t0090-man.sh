#!/bin/sh
# t0090-man: every man page is clean under mandoc -Tlint -Wwarning and
# groff -ww, has EXAMPLES, and every command has a page.
. "${TOP_SRCDIR}/tests/lib.sh"
M=${MANDOC:-}
[ -n "$M" ] || M=$(command -v mandoc || true)
if [ -z "$M" ]; then
	skip_all "mandoc is not installed"
fi
for page in "$TOP_SRCDIR"/man/*.1; do
	name=$(basename "$page")
	check "$name: mandoc -Tlint -Wwarning clean" "$M" -Tlint -Wwarning "$page"
	if command -v groff >/dev/null 2>&1; then
		if groff -man -ww -z "$page" 2>&1 | grep -q .; then
			not_ok "$name: groff -man -ww -z clean"
			groff -man -ww -z "$page" 2>&1 | sed 's/^/# /' | head
		else
			ok "$name: groff -man -ww -z clean"
		fi
	fi
	check "$name has EXAMPLES" grep -q '^\.Sh EXAMPLES' "$page"
done
for cmd in $("$TFREC" --help | sed -n 's/^  \([a-z]*\) .*/\1/p'); do
	check "tfrec-$cmd.1 exists" test -f "$TOP_SRCDIR/man/tfrec-$cmd.1"
done
done_testing
