#!/bin/sh
# t0070-fuzz-replay: run the fuzz targets' entry points (without
# libFuzzer) over seed inputs made here, the sample data, hostile
# inputs, every past crash (tests/fuzz-regress/) and, when present, the
# shared corrupt files.  Under the sanitizer build this is a memory-error
# check of every parser on every hostile input we have.
. "${TOP_SRCDIR}/tests/lib.sh"
R=${TOP_BUILDDIR:-.}/tests
find_python
mkdir -p "$TMP/rec" "$TMP/ex" "$TMP/img"
if [ -n "$PY" ]; then
	$PY "$TOP_SRCDIR/tests/gen-records.py" examples "$TMP/rec/a.tfrecord" 5
	$PY "$TOP_SRCDIR/tests/gen-records.py" examples "$TMP/rec/a.tfrecord.gz" 5
	$PY "$TOP_SRCDIR/tests/gen-records.py" raw "$TMP/rec/r.tfrecord.zlib" 3
	$PY "$TOP_SRCDIR/tests/gen-images.py" "$TMP/img"
else
	skip "replay over generated records and images" "python3 is not installed"
fi
# Mutations: truncations and bit flips of a record file, a length
# claiming exabytes, a gzip bomb of zeros.
if [ -f "$TMP/rec/a.tfrecord" ]; then
	n=$(stat -c %s "$TMP/rec/a.tfrecord")
	for cut in 1 5 11 12 13 40 $((n - 1)); do head -c $cut "$TMP/rec/a.tfrecord" >"$TMP/rec/cut-$cut"; done
	for off in 0 3 8 9 12 20 30; do
		cp "$TMP/rec/a.tfrecord" "$TMP/rec/flip-$off"
		printf '\377' | dd of="$TMP/rec/flip-$off" bs=1 seek=$off conv=notrunc 2>/dev/null
	done
fi
printf '\377\377\377\377\377\377\377\177' >"$TMP/rec/exabyte"
head -c 2000000 /dev/zero | gzip -c >"$TMP/rec/bomb.gz"
"$TFREC" convert -q --no-fsync --resize 16x16 --shards 1 -o "$TMP/rec/conv" "$TOP_SRCDIR/sample-data/photos" && \
	"$TFREC" inspect --dump --limit 2 "$TMP/rec/conv-00000-of-00001.tfrecord" >/dev/null
i=0
for f in "$TMP"/rec/*.tfrecord "$TMP"/rec/conv-*.tfrecord; do
	[ -f "$f" ] || continue
	# Example payloads for the Example target: the framed data, minus
	# header and footer, of the first record.
	len=$(od -An -tu4 -N4 "$f" | tr -d ' ')
	[ -n "$len" ] && [ "$len" -lt 1000000 ] && dd if="$f" of="$TMP/ex/p$i" bs=1 skip=12 count="$len" 2>/dev/null
	i=$((i + 1))
done
printf '\n\002\n\000' >"$TMP/ex/trunc"

run() {
	name=$1
	shift
	if out=$("$R/replay-$name" "$@" 2>&1); then
		ok "replay-$name over $(echo "$out" | tail -1) inputs"
	else
		not_ok "replay-$name"
		echo "$out" | tail -20 | sed 's/^/# /'
	fi
}
run record "$TMP/rec" "$TOP_SRCDIR/tests/fuzz-regress/record"
# Past out-of-memory finds must now stay small.
if [ -n "$PY" ]; then
	"$PY" "$TOP_SRCDIR/bench/peak-rss.py" "$R/replay-image" "$TOP_SRCDIR/tests/fuzz-regress/image" \
		>/dev/null 2>"$TMP/rss"
	mib=$(sed -n 's/^peak_rss_mib //p' "$TMP/rss" | cut -d. -f1)
	if [ "${mib:-9999}" -lt 256 ]; then ok "past image finds replay in $mib MiB"; else not_ok "past image finds use $mib MiB"; fi
else
	skip "past image finds replay in little memory" "python3 is not installed"
fi
run example "$TMP/ex" "$TOP_SRCDIR/tests/fuzz-regress/example"
run image "$TMP/img" "$TOP_SRCDIR/sample-data/photos" "$TOP_SRCDIR/tests/fuzz-regress/image"
# Annotation parsers: seeds of every format, good and hostile.
mkdir -p "$TMP/annot"
if command -v "$PY" >/dev/null 2>&1; then
	$PY "$TOP_SRCDIR/tests/gen-annot.py" seeds "$TMP/annot"
	for c in 1 20 77 200; do
		[ -f "$TMP/annot/coco.json" ] && head -c $c "$TMP/annot/coco.json" >"$TMP/annot/cut-$c.json"
	done
fi
run annot "$TMP/annot" "$TOP_SRCDIR/tests/fuzz-regress/annot"
if have_testdata dataset/dali-coco "replay-annot over the shared COCO file"; then
	run annot "$TESTDATA/dataset/dali-coco/instances.json"
fi
# Every codec's seeds and hostile headers (tests/gen-formats.py, Pillow).
if /usr/bin/python3 "$TOP_SRCDIR/tests/gen-formats.py" "$TMP/fmt" 2>/dev/null &&
   /usr/bin/python3 "$TOP_SRCDIR/tests/gen-formats.py" --hostile "$TMP/fmt-hostile"; then
	run image "$TMP/fmt" "$TMP/fmt-hostile"
else
	ok "replay-image over every format # SKIP /usr/bin/python3 has no Pillow"
fi
if have_testdata tfrecord "replay of the shared corrupt files"; then
	run record "$TESTDATA/tfrecord"
	run image "$TESTDATA/images" "$TESTDATA/images-bad"
fi
done_testing
