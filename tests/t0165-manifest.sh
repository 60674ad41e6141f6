#!/bin/sh
# t0165-manifest: tfrec manifest merge joins the part manifests of
# convert and shard --part I/N runs into the manifest of a single run,
# byte for byte, and names a missing, duplicated or foreign part.
. "${TOP_SRCDIR}/tests/lib.sh"
mkdir -p "$TMP/in" "$TMP/one" "$TMP/par"
cp -r "$TOP_SRCDIR/sample-data/photos/cat" "$TOP_SRCDIR/sample-data/photos/goat" "$TMP/in/"
# A cut JPEG, skipped by every copy that meets it.
head -c 700 "$TMP/in/cat/cat-800x600-2.jpg" >"$TMP/in/goat/cut.jpg"
OPTS="-q --no-fsync --resize-short 64 --crop 48x48 --random-crop --copies 3 --shuffle --seed 5 --shards 7 --on-error skip"
# shellcheck disable=SC2086
"$TFREC" convert $OPTS -o "$TMP/one/t" "$TMP/in" 2>/dev/null
for i in 1 2 3; do
	# shellcheck disable=SC2086
	"$TFREC" convert $OPTS -j 1 --part $i/3 -o "$TMP/par/t" "$TMP/in" 2>/dev/null
done
# part_file DIR PREFIX I N: the part manifest's path, whatever its separator.
part_file() {
	f=$(ls "$1" | grep -E "^$2[.-]part-0*$3-of-0*$4\.json\$")
	echo "$1/$f"
}
P1=$(part_file "$TMP/par" t 1 3)
P2=$(part_file "$TMP/par" t 2 3)
P3=$(part_file "$TMP/par" t 3 3)
check "three part manifests" test -f "$P1" -a -f "$P2" -a -f "$P3"
check "the single run skipped the cut file" grep -q '"reason"' "$TMP/one/t.json"
check "merge of convert parts" "$TFREC" manifest merge --no-fsync "$TMP/par/t"
err_has "the summary counts parts, records and shards" "merged 3 parts: 18 records in 7 shards"
check "equals the single run's manifest, byte for byte" cmp "$TMP/one/t.json" "$TMP/par/t.json"
check "the part manifests are kept" test -f "$P1" -a -f "$P2" -a -f "$P3"
check "-q is quiet" "$TFREC" manifest merge -q --no-fsync "$TMP/par/t"
check "nothing on stderr with -q" test ! -s "$TMP/.err"

# shard parts, with a skip that every part reports (salvage)
"$TFREC" shard -q --no-fsync --shards 5 -o "$TMP/one/s" "$TMP"/one/t-*.tfrecord
for i in 1 2; do
	"$TFREC" shard -q --no-fsync --shards 5 --part $i/2 -o "$TMP/par/s" "$TMP"/one/t-*.tfrecord
done
check "merge of shard parts" "$TFREC" manifest merge -q "$TMP/par/s"
check "equals the single shard run's manifest" cmp "$TMP/one/s.json" "$TMP/par/s.json"
n=$(($(wc -c <"$TMP/one/t-00001-of-00007.tfrecord") - 100))
head -c $n "$TMP/one/t-00001-of-00007.tfrecord" >"$TMP/cut.tfrecord"
"$TFREC" shard -q --no-fsync --skip-corrupt --shards 3 -o "$TMP/one/v" "$TMP/one/t-00000-of-00007.tfrecord" "$TMP/cut.tfrecord" 2>/dev/null
for i in 1 2 3; do
	"$TFREC" shard -q --no-fsync --skip-corrupt --shards 3 --part $i/3 -o "$TMP/par/v" "$TMP/one/t-00000-of-00007.tfrecord" "$TMP/cut.tfrecord" 2>/dev/null
done
check "salvaging shard run lists a skip" grep -q '"reason"' "$TMP/one/v.json"
check "merge of salvaging shard parts" "$TFREC" manifest merge -q "$TMP/par/v"
check "keeps the shared skip once, as the single run does" cmp "$TMP/one/v.json" "$TMP/par/v.json"

# examples/parallel.sh: GNU parallel over the parts, then the merge
if command -v parallel >/dev/null 2>&1 && parallel --version 2>/dev/null | grep -q GNU; then
	mkdir -p "$TMP/gp"
	check "examples/parallel.sh" env TFREC="$TFREC" SHARDS=7 \
		CONVERT_OPTS="--no-fsync --resize-short 64 --crop 48x48 --random-crop --copies 3 --shuffle --seed 5 --on-error skip" \
		sh "$TOP_SRCDIR/examples/parallel.sh" "$TMP/in" "$TMP/gp/t" 3
	check "writes the single run's manifest" cmp "$TMP/one/t.json" "$TMP/gp/t.json"
else
	ok "# SKIP GNU parallel is not installed"
	ok "# SKIP GNU parallel is not installed"
fi

# --- what merge refuses ---------------------------------------------------------
cp -r "$TMP/par" "$TMP/bad"
B1=$(part_file "$TMP/bad" t 1 3)
B2=$(part_file "$TMP/bad" t 2 3)
rm -f "$TMP/bad/t.json" "$B2"
check_exit 1 "a missing part fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming the part" "missing part 2 of 3"
err_has "and its file" "$(basename "$B2")"
check "no manifest is written" test ! -e "$TMP/bad/t.json"

cp "$B1" "$B2"
check_exit 1 "a duplicated part fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming the part and both files" "duplicated part 1 of 3: '$B1' and '$B2'"

cp "$P2" "$B2"
# shellcheck disable=SC2086
"$TFREC" convert $OPTS --seed 6 -j 1 --part 3/3 -o "$TMP/bad/t" "$TMP/in" 2>/dev/null
check_exit 1 "a part of another run fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming the member that differs" "differ in \"options\""

cp "$P3" "$(part_file "$TMP/bad" t 3 3)"
# shellcheck disable=SC2086
"$TFREC" convert $OPTS -j 1 --part 1/2 -o "$TMP/bad/t" "$TMP/in" 2>/dev/null
check_exit 1 "stale parts of another split fail" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming both splits" "two different splits"
rm -f "$(part_file "$TMP/bad" t 1 2)"

sed 's/t-00000-of-00007/t-00002-of-00007/' "$P1" >"$B1"
check_exit 1 "a shard listed by two parts fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming the shard and both parts" "shard 't-00002-of-00007.tfrecord' is listed by both '$B1' and '$B2'"

grep -v 't-00000-of-00007' "$P1" >"$B1"
check_exit 1 "a part missing a shard entry fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "the count of shards" "list 6 shards, not \"shards_total\" 7"

sed 's/"exact": {/"exakt": {/' "$P1" >"$B1"
check_exit 1 "a part whose stats lack their exact sums fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming it" "'$B1': \"stats\" lacks a member"

head -c 200 "$P1" >"$B1"
check_exit 1 "a cut part manifest fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming it" "'$B1': not valid JSON"

echo '[1, 2]' >"$B1"
check_exit 1 "a part manifest that is not an object fails" "$TFREC" manifest merge "$TMP/bad/t"
err_has "naming it" "'$B1': not a tfrec part manifest"

check_exit 1 "no part manifests at all" "$TFREC" manifest merge "$TMP/bad/none"
err_has "says so" "no part manifests of"
check_exit 1 "a missing directory" "$TFREC" manifest merge "$TMP/nodir/t"
err_has "names it" "cannot open directory"

# --- usage ------------------------------------------------------------------------
check "manifest --help" "$TFREC" manifest --help
out_has "shows merge" "tfrec manifest merge"
check "manifest merge --help" "$TFREC" manifest merge --help
check_exit 2 "no action" "$TFREC" manifest
check_exit 2 "an unknown action" "$TFREC" manifest split x
check_exit 2 "merge without a prefix" "$TFREC" manifest merge
check_exit 2 "merge with two prefixes" "$TFREC" manifest merge a b
check_exit 2 "an unknown option" "$TFREC" manifest merge --bogus x
check_exit 1 "a full stdout for --help" sh -c "'$TFREC' manifest --help >/dev/full"
done_testing
