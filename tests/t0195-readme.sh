#!/bin/sh
# t0195-readme: a newcomer's walk through the README on a fresh machine.
# Every shell example of README.md (tests/readme-walk.py finds them) runs
# as written, in a fresh folder holding only sample-data/ and data/train
# (a copy of sample-data/photos, the README's placeholder for the user's
# data), with tfrec on PATH as the README says to put it.  Each must exit
# 0; the tour's commands must also print what the README shows.  Examples
# that cannot run here (the two build commands, Slurm, Kubernetes, COCO,
# VOC, torch DDP) are listed as SKIP lines with the reason given in
# readme-walk.py.  examples/parallel.sh and the man-page commands of the
# README run too.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
W=$TMP/walk
mkdir -p "$W/bin" "$W/data"
cp -R "$TOP_SRCDIR/sample-data" "$W/sample-data"
cp -R "$TOP_SRCDIR/sample-data/photos" "$W/data/train"
# tfrec on PATH, as after 'PATH=$PWD:$PATH' in the tree (or make install);
# the binary under test, also when it is the valgrind wrapper.
printf '#!/bin/sh\nexec "%s" "$@"\n' "$TFREC" >"$W/bin/tfrec"
chmod +x "$W/bin/tfrec"
PATH=$W/bin:$PATH
export PATH

$PY "$TOP_SRCDIR/tests/readme-walk.py" "$TOP_SRCDIR/README.md" >"$TMP/examples" ||
	not_ok "readme-walk.py lists the README's examples"
n=$(grep -c '^run' "$TMP/examples")
[ "$n" -ge 8 ] && ok "the README has $n examples to run" || not_ok "the README has examples to run ($n)"

tab=$(printf '\t')
while IFS="$tab" read -r what cmd extra; do
	case $what in
	skip)
		skip "README: $cmd" "$extra"
		continue
		;;
	esac
	case $cmd in
	parallel*)
		if ! command -v parallel >/dev/null 2>&1; then
			skip "README: $cmd" "GNU parallel is not installed (deps.sh --test installs it)"
			continue
		fi
		;;
	esac
	(cd "$W" && sh -c "$cmd") >"$TMP/got" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		ok "README: $cmd"
	else
		not_ok "README: $cmd (exit $rc)"
		sed 's/^/# /' "$TMP/got" | tail -10
	fi
	if [ -n "$extra" ]; then
		printf '%s\n' "$extra" | tr '\037' '\n' >"$TMP/want"
		if cmp -s "$TMP/want" "$TMP/got"; then
			ok "... prints what the README shows"
		else
			not_ok "... prints what the README shows"
			diff "$TMP/want" "$TMP/got" | head -20 | sed 's/^/# /'
		fi
	fi
done <"$TMP/examples"

# The README's GNU parallel example wrote its parts into a fresh out/.
check "the parallel parts merge" sh -c "cd '$W' && tfrec manifest merge -q out/train"
if command -v parallel >/dev/null 2>&1; then
	check "examples/parallel.sh in a fresh folder" sh -c \
		"cd '$W' && SHARDS=8 sh '$TOP_SRCDIR/examples/parallel.sh' data/train new/dir/ptrain 4"
	check "... wrote the merged manifest" test -s "$W/new/dir/ptrain.json"
else
	skip "examples/parallel.sh in a fresh folder" "GNU parallel is not installed"
fi

# Reading the man pages from the tree, as the README says.
if command -v mandoc >/dev/null 2>&1; then
	check "mandoc -a man/tfrec-convert.1 (minbase)" sh -c \
		"cd '$TOP_SRCDIR' && mandoc -a man/tfrec-convert.1 | grep -q 'tfrec convert'"
else
	skip "mandoc -a man/tfrec-convert.1" "mandoc is not installed"
fi
if man --version 2>/dev/null | grep -q "^man "; then
	check "man -l man/tfrec-convert.1" sh -c \
		"cd '$TOP_SRCDIR' && MANPAGER=cat PAGER=cat man -l man/tfrec-convert.1 | grep -q 'tfrec convert'"
else
	skip "man -l man/tfrec-convert.1" "no man-db man here (minbase has mandoc's mman)"
fi
done_testing
