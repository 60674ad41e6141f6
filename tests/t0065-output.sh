#!/bin/sh
# t0065-output: the output layer never loses or mislabels data: the
# prefix lock, the old manifest gone before the first shard, refused
# in-place reshards, --resume checked against the resume state, dead
# runs' temporary files swept, a failed run's shards removed, the first
# real error reported for every -j, and skipped items named.
. "${TOP_SRCDIR}/tests/lib.sh"
PHOTOS=$TOP_SRCDIR/sample-data/photos
CONV="$TFREC convert -q --no-fsync"
SH="$TFREC shard -q --no-fsync"
SMALL="--resize 16x16"

# --- a skipped item is named by the item (was "skipped ''") ------------------
mkdir -p "$TMP/l/o"
first=$(cd "$PHOTOS" && ls */* | head -1)
cp -r "$PHOTOS" "$TMP/l/photos"
printf 'photos/%s 0\nphotos/missing.jpg 1\n' "$first" >"$TMP/l/list"
check "--list, --on-error skip, --resize and a missing file" \
	$CONV $SMALL --on-error skip -l "$TMP/l/list" -o "$TMP/l/o/p"
err_has "the skipped file is named" "l/photos/missing.jpg': cannot open"
check "the manifest names it" grep -q '"file": "[^"]*photos/missing.jpg"' "$TMP/l/o/p.json"
check_exit 1 "no empty file name in the manifest" grep -q '"file": ""' "$TMP/l/o/p.json"

# --- the lock -----------------------------------------------------------------
mkdir -p "$TMP/k"
if command -v flock >/dev/null 2>&1; then
	# -o: only flock itself holds the lock, so killing it frees the lock
	flock -o "$TMP/k/p.lock" sleep 30 &
	holder=$!
	i=0
	# until it is held (flock -n fails), not for a time
	while flock -n "$TMP/k/p.lock" true 2>/dev/null && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	check_exit 1 "a locked prefix is refused" $CONV $SMALL -o "$TMP/k/p" "$PHOTOS"
	err_has "naming the lock" "'$TMP/k/p.lock' is locked by another run"
	check_exit 1 "no shard was written" sh -c "ls '$TMP/k' | grep -q tfrecord"
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	check "a part locks only its part" sh -c "flock '$TMP/k/p.lock' $CONV $SMALL --part 1/2 -o '$TMP/k/p' '$PHOTOS'"
else
	for d in "a locked prefix is refused" "naming the lock" "no shard was written" "a part locks only its part"; do
		ok "# SKIP $d (no flock(1) here)"
	done
fi
: >"$TMP/k/p.lock"
check "a lock file nobody holds (a killed run's) does not block" $CONV $SMALL -o "$TMP/k/p" "$PHOTOS"
check_exit 1 "the lock file is gone after the run" test -e "$TMP/k/p.lock"

# --- a failed re-run leaves neither its shards nor the old manifest ----------
mkdir -p "$TMP/f/in" "$TMP/f/o"
cp -r "$PHOTOS"/* "$TMP/f/in/"
check "a first run" $CONV $SMALL --shards 3 -o "$TMP/f/o/p" "$TMP/f/in"
printf 'not an image' >"$TMP/f/in/goat/zz-bad.jpg"
check_exit 1 "a re-run with a bad image in its last shard fails" \
	$CONV $SMALL --shards 3 -j 1 -o "$TMP/f/o/p" "$TMP/f/in"
check_exit 1 "the old manifest is gone" test -e "$TMP/f/o/p.json"
n=$(ls "$TMP/f/o" | grep -c 'tfrecord' || true)
[ "$n" -eq 0 ] && ok "no shard of the failed run is left" || not_ok "no shard of the failed run is left ($n)"
n=$(ls -A "$TMP/f/o" | grep -c 'tmp-' || true)
[ "$n" -eq 0 ] && ok "no temporary file is left" || not_ok "no temporary file is left ($n)"

# --- the first real error reaches the user for every -j ----------------------
for j in 1 2 4; do
	for shards in 1 3; do
		check_exit 1 "-j $j, $shards shards: the bad image fails the run" \
			$CONV $SMALL --shards $shards -j $j -o "$TMP/f/o/p" "$TMP/f/in"
		err_has "-j $j, $shards shards: the bad file is named" "zz-bad.jpg"
		if grep -q "stopped" "$TMP/.err"; then not_ok "-j $j, $shards shards: not a bare 'stopped'"; else ok "-j $j, $shards shards: not a bare 'stopped'"; fi
	done
done

# --- in-place reshard is refused, inputs intact --------------------------------
mkdir -p "$TMP/ip"
$CONV $SMALL --flip --copies 5 --shards 3 -o "$TMP/ip/x" "$PHOTOS"
(cd "$TMP/ip" && sha256sum x-*.tfrecord >../ip.sum)
check_exit 1 "shard -o x over x-* is refused" $SH --shards 3 -o "$TMP/ip/x" "$TMP"/ip/x-*.tfrecord
err_has "saying which input is an output" "an output file of prefix"
check_exit 1 "... also shuffled, with other shard counts" $SH --shuffle --shards 2 -o "$TMP/ip/x" "$TMP"/ip/x-*.tfrecord
ln "$TMP/ip/x-00000-of-00003.tfrecord" "$TMP/ip/hard.tfrecord"
check_exit 1 "... also through a hard link (device and inode)" $SH --shards 3 -o "$TMP/ip/x" "$TMP/ip/hard.tfrecord"
check "the inputs are intact" sh -c "cd '$TMP/ip' && sha256sum -c ../ip.sum"
check "the manifest is still there (refused before anything)" test -e "$TMP/ip/x.json"
check "resharding to another prefix works" $SH --shards 3 -o "$TMP/ip/y" "$TMP"/ip/x-*.tfrecord
check_exit 2 "index -o FILE FILE is refused (a usage error)" "$TFREC" index -o "$TMP/ip/x-00000-of-00003.tfrecord" "$TMP/ip/x-00000-of-00003.tfrecord"
err_has "saying why" "the index would replace it"
check "... and the shard is intact" sh -c "cd '$TMP/ip' && sha256sum -c ../ip.sum"

# --- --resume keeps only shards of this plan, whole -----------------------------
mkdir -p "$TMP/r/ref" "$TMP/r/o"
OPTS="$SMALL --copies 6 --shards 4 --shuffle --flip"
$CONV $OPTS --seed 1 -o "$TMP/r/ref/p" "$PHOTOS"
$CONV $OPTS --seed 2 -o "$TMP/r/o/p" "$PHOTOS"
check "--resume with another --seed" $CONV $OPTS --seed 1 --resume -o "$TMP/r/o/p" "$PHOTOS"
check "rebuilds every shard of the other seed" diff "$TMP/r/o/p-00000-of-00004.tfrecord" "$TMP/r/ref/p-00000-of-00004.tfrecord"
check "all shards and the manifest equal a fresh run" sh -c "cd '$TMP/r/ref' && for f in p-*.tfrecord p.json; do cmp \$f '$TMP/r/o/'\$f || exit 1; done"
# a shard cut at a record boundary reads cleanly but is short
last=$("$TFREC" index -o - "$TMP/r/ref/p-00001-of-00004.tfrecord" | tail -1 | cut -d' ' -f1)
head -c "$last" "$TMP/r/ref/p-00001-of-00004.tfrecord" >"$TMP/r/o/p-00001-of-00004.tfrecord"
check "the cut shard is still a clean file" "$TFREC" verify -q "$TMP/r/o/p-00001-of-00004.tfrecord"
check "--resume" $CONV $OPTS --seed 1 --resume -o "$TMP/r/o/p" "$PHOTOS"
check "rebuilds the shard cut at a record boundary" cmp "$TMP/r/o/p-00001-of-00004.tfrecord" "$TMP/r/ref/p-00001-of-00004.tfrecord"
check "--resume with another --shards" $CONV $SMALL --copies 6 --shards 3 --shuffle --flip --seed 1 --resume -o "$TMP/r/o/p" "$PHOTOS"
n=$(ls "$TMP/r/o" | grep -c -- '-of-00004' || true)
[ "$n" -eq 0 ] && ok "shards of the old layout are gone" || not_ok "shards of the old layout are gone ($n left)"
# skipped items survive a resume
mkdir -p "$TMP/r/s"
check "--on-error skip with a bad image" $CONV $SMALL --shards 2 --on-error skip -o "$TMP/r/s/p" "$TMP/f/in"
cp "$TMP/r/s/p.json" "$TMP/r/s.json"
check "--resume of that run" "$TFREC" convert --no-fsync $SMALL --shards 2 --on-error skip --resume -o "$TMP/r/s/p" "$TMP/f/in"
err_has "keeps both shards" "(2 kept by --resume)"
check "its manifest still lists the skipped image" cmp "$TMP/r/s/p.json" "$TMP/r/s.json"
# a changed input invalidates
touch -d '2001-01-01' "$TMP/f/in/goat/zz-bad.jpg"
check "--resume after an input changed" "$TFREC" convert --no-fsync $SMALL --shards 2 --on-error skip --resume -o "$TMP/r/s/p" "$TMP/f/in"
if grep -q "kept by --resume" "$TMP/.err"; then not_ok "nothing is kept when an input changed"; else ok "nothing is kept when an input changed"; fi

# --- temporary files of a dead run are swept -----------------------------------
mkdir -p "$TMP/t"
sh -c 'exit 0' &
dead=$!
wait $dead
: >"$TMP/t/.p-00000-of-00002.tfrecord.tmp-$dead-0"
: >"$TMP/t/.p.json.tmp-$dead-3"
: >"$TMP/t/.other-00000-of-00002.tfrecord.tmp-$dead-0"
: >"$TMP/t/.p-00000-of-00002.tfrecord.tmp-$$-0"
check "a run over a dead run's leftovers" $CONV $SMALL --shards 2 -o "$TMP/t/p" "$PHOTOS"
check_exit 1 "its temporary shard is gone" test -e "$TMP/t/.p-00000-of-00002.tfrecord.tmp-$dead-0"
check_exit 1 "its temporary manifest is gone" test -e "$TMP/t/.p.json.tmp-$dead-3"
check "another prefix's are left alone" test -e "$TMP/t/.other-00000-of-00002.tfrecord.tmp-$dead-0"
check "a live process's temporary file of a shard this run writes is swept" sh -c "! test -e '$TMP/t/.p-00000-of-00002.tfrecord.tmp-$$-0'"

# --- a whole run replaces a split one ------------------------------------------
mkdir -p "$TMP/w"
for i in 1 2; do $CONV $SMALL --shards 4 --part $i/2 -o "$TMP/w/p" "$PHOTOS"; done
check "a split run left part manifests" test -e "$TMP/w/p.part-00002-of-00002.json"
check "a whole run over it" $CONV $SMALL --shards 3 -o "$TMP/w/p" "$PHOTOS"
n=$(ls "$TMP/w" | grep -c 'part-\|of-00004' || true)
[ "$n" -eq 0 ] && ok "the parts' manifests, states and shards are gone" || not_ok "the parts' manifests, states and shards are gone ($n left)"

# --- names: PREFIX-*.tfrecord* matches shards only -----------------------------
mkdir -p "$TMP/g"
check "--index run" $CONV $SMALL --shards 2 --index -o "$TMP/g/p" "$PHOTOS"
n=$(cd "$TMP/g" && ls -d p-*.tfrecord | wc -l)
[ "$n" -eq 2 ] && ok "PREFIX-*.tfrecord matches the 2 shards" || not_ok "PREFIX-*.tfrecord matches the 2 shards ($n)"
n=$(cd "$TMP/g" && ls -d p-* | grep -vc '\.tfrecord\(\.idx\)\{0,1\}$' || true)
[ "$n" -eq 0 ] && ok "PREFIX-* matches only shards and their .idx" || not_ok "PREFIX-* matches only shards and their .idx ($n others)"

# --- -o makes its folder, with parents, for every command (issue 25) ------------
mkdir -p "$TMP/fresh"
check "convert -o new/a/b/p in a fresh folder" sh -c "cd '$TMP/fresh' && $CONV $SMALL -o new/a/b/p '$PHOTOS'"
check "... made the folders and the shard" test -f "$TMP/fresh/new/a/b/p-00000-of-00001.tfrecord"
check "shard -o s/t/p" $SH --shards 2 -o "$TMP/fresh/s/t/p" "$TMP/fresh/new/a/b/p-00000-of-00001.tfrecord"
check "... made the folders and the shards" test -f "$TMP/fresh/s/t/p-00001-of-00002.tfrecord"
check "index -o i/j/p.idx" "$TFREC" index -o "$TMP/fresh/i/j/p.idx" "$TMP/fresh/new/a/b/p-00000-of-00001.tfrecord"
check "... made the folders and the index" test -s "$TMP/fresh/i/j/p.idx"
: >"$TMP/fresh/file"
check_exit 1 "a folder under a file is an error" $CONV $SMALL -o "$TMP/fresh/file/x/p" "$PHOTOS"
err_has "... naming it" "output directory '$TMP/fresh/file/x'"

done_testing
