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
# The format lists of convert --help come from the codec table; the man
# page's FORMATS list and --store line must name the same formats.
help_fmts=$("$TFREC" convert --help | sed -n 's/^Image formats: \(.*\)\.$/\1/p' |
	sed 's/, /\n/g; s/ or /\n/' | sort)
man_fmts=$(sed -n '/^\.Sh FORMATS/,/^\.El/s/^\.It \(.*\) Pq .*/\1/p' \
	"$TOP_SRCDIR/man/tfrec-convert.1" | sort)
check "convert --help's image formats are the man page's FORMATS ($(echo $help_fmts))" \
	test -n "$help_fmts" -a "$help_fmts" = "$man_fmts"
help_store=$("$TFREC" convert --help | sed -n 's/.*tensor: \(.*\)$/\1/p' |
	sed 's/\[[^]]*\]//g; s/, /\n/g; s/ or /\n/' | sort)
man_store=$(sed -n 's/^\.It Fl \\-store //p' "$TOP_SRCDIR/man/tfrec-convert.1" | sed 's/Oo[^O]*Oc//g' |
	tr '|' '\n' | sed -n 's/^ *Cm \([a-z0-9]*\).*/\1/p' | sort)
check "convert --help's --store formats are the man page's ($(echo $help_store))" \
	test -n "$help_store" -a "$help_store" = "$man_store"
done_testing
