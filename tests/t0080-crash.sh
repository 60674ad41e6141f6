#!/bin/sh
# t0080-crash: SIGKILL mid-run leaves only complete shards under final
# names and --resume finishes the job with the same bytes; SIGINT and
# SIGTERM remove temporary files and exit non-zero; full disks, missing
# or unwritable output directories and /dev/full are clear errors.
. "${TOP_SRCDIR}/tests/lib.sh"
PHOTOS=$TOP_SRCDIR/sample-data/photos
SLOW="--resize-short 256 --crop 224x224 --random-crop --copies 40 --shards 24"
mkdir -p "$TMP/ref" "$TMP/k" "$TMP/s"

"$TFREC" convert -q --no-fsync -j 1 $SLOW -o "$TMP/ref/p" "$PHOTOS"

# wait_for_shards DIR N: until N shards exist under final names.
wait_for_shards() {
	i=0
	while [ "$(ls "$1" 2>/dev/null | grep -c '\.tfrecord$')" -lt "$2" ] && [ $i -lt 600 ]; do
		sleep 0.05
		i=$((i + 1))
	done
}

# --- SIGKILL and --resume (convert) ------------------------------------------
"$TFREC" convert -q -j 1 $SLOW -o "$TMP/k/p" "$PHOTOS" &
pid=$!
wait_for_shards "$TMP/k" 3
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$(ls "$TMP/k" | grep -c '\.tfrecord$')
if [ "$n" -ge 1 ] && [ "$n" -lt 24 ]; then ok "killed mid-run with $n of 24 shards done"; else not_ok "killed mid-run ($n shards)"; fi
bad=0
for f in "$TMP"/k/*.tfrecord; do
	cmp -s "$f" "$TMP/ref/$(basename "$f")" || bad=1
done
[ $bad = 0 ] && ok "every shard under a final name is complete and correct" || not_ok "every shard under a final name is complete and correct"
check "every one of them verifies" sh -c "'$TFREC' verify -q '$TMP'/k/*.tfrecord"
check "--resume finishes the job" "$TFREC" convert -q --no-fsync -j 1 --resume $SLOW -o "$TMP/k/p" "$PHOTOS"
rm -f "$TMP"/k/*.tmp-*
check "--resume output equals an uninterrupted run" diff -r "$TMP/k" "$TMP/ref"

# --- SIGKILL and rerun (shard) -------------------------------------------------
"$TFREC" convert -q --no-fsync --resize 64x64 --flip --copies 60 --shards 1 -o "$TMP/s/in" "$PHOTOS"
"$TFREC" shard -q --no-fsync --shuffle --shards 40 -o "$TMP/s/ref" "$TMP/s/in-00000-of-00001.tfrecord"
mkdir -p "$TMP/s/k"
"$TFREC" shard -q --shuffle --shards 40 -j 1 -o "$TMP/s/k/ref" "$TMP/s/in-00000-of-00001.tfrecord" &
pid=$!
wait_for_shards "$TMP/s/k" 2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
bad=0
for f in "$TMP"/s/k/*.tfrecord; do
	[ -f "$f" ] || continue
	cmp -s "$f" "$TMP/s/$(basename "$f")" || bad=1
done
[ $bad = 0 ] && ok "killed shard: every final-named shard is complete" || not_ok "killed shard: every final-named shard is complete"
check "a rerun of shard completes" "$TFREC" shard -q --no-fsync --shuffle --shards 40 -o "$TMP/s/k/ref" "$TMP/s/in-00000-of-00001.tfrecord"
rm -f "$TMP"/s/k/*.tmp-*
ok_all=1
for f in "$TMP"/s/ref-*.tfrecord; do cmp -s "$f" "$TMP/s/k/$(basename "$f")" || ok_all=0; done
[ $ok_all = 1 ] && ok "rerun output equals an uninterrupted run" || not_ok "rerun output equals an uninterrupted run"

# --- SIGINT / SIGTERM clean up ---------------------------------------------------
for sig in INT TERM; do
	mkdir -p "$TMP/sig$sig"
	"$TFREC" convert -q -j 1 $SLOW -o "$TMP/sig$sig/p" "$PHOTOS" &
	pid=$!
	wait_for_shards "$TMP/sig$sig" 1
	kill -$sig $pid
	wait $pid
	rc=$?
	[ $rc -ne 0 ] && ok "SIG$sig: exit status $rc is non-zero" || not_ok "SIG$sig: exit status non-zero"
	ls "$TMP/sig$sig" | grep -q '\.tmp-' && not_ok "SIG$sig: temporary files removed" || ok "SIG$sig: temporary files removed"
done

# --- bad output places -------------------------------------------------------------
check_exit 1 "an output directory under a file" "$TFREC" convert -o "$TMP/ref/p.json/sub/p" "$PHOTOS"
err_has "named" "output directory '$TMP/ref/p.json/sub'"
check_exit 1 "output directory is a file" "$TFREC" shard -o "$TMP/ref/p.json/x" "$TMP/ref/p-00000-of-00024.tfrecord"
mkdir -p "$TMP/ro" && chmod 555 "$TMP/ro"
if [ ! -w "$TMP/ro" ]; then
	check_exit 1 "unwritable output directory" "$TFREC" convert -o "$TMP/ro/p" "$PHOTOS"
	err_has "named" "cannot write in output directory"
else
	skip "unwritable output directory" "running as root"
fi
if [ -w /dev/full ]; then
	check_exit 1 "inspect --dump to /dev/full" sh -c "'$TFREC' inspect --dump '$TMP/ref/p-00000-of-00024.tfrecord' >/dev/full"
	err_has "stdout error named" "cannot write standard output"
	check_exit 1 "index -o - to /dev/full" sh -c "'$TFREC' index -o - '$TMP/ref/p-00000-of-00024.tfrecord' >/dev/full"
	check_exit 1 "verify to /dev/full" sh -c "'$TFREC' verify '$TMP/ref/p-00000-of-00024.tfrecord' >/dev/full"
else
	skip "writing to /dev/full" "/dev/full is not writable here"
fi
# A full disk: a 64 KiB tmpfs, when this machine lets us mount one.
mkdir -p "$TMP/full"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$TMP/full" 2>/dev/null; then
	check_exit 1 "convert onto a full disk fails" "$TFREC" convert --shards 2 -o "$TMP/full/p" "$PHOTOS"
	err_has "with the file and the reason" "No space left on device"
	left=$(ls -A "$TMP/full" | grep -c 'tfrecord' || true)
	[ "$left" -eq 0 ] && ok "no shard left on the full disk" || not_ok "no shard left on the full disk ($left)"
	# a later shard hits the full disk while other threads write: the
	# real error, not the other workers' "stopped", must be reported
	for j in 2 4; do
		check_exit 1 "-j $j, 8 shards onto a full disk fails" "$TFREC" convert -q -j $j --resize 64x64 --flip --copies 4 --shards 8 -o "$TMP/full/p" "$PHOTOS"
		err_has "-j $j: the shard and the reason are named" "No space left on device"
		if grep -q "stopped" "$TMP/.err"; then not_ok "-j $j: not a bare 'stopped'"; else ok "-j $j: not a bare 'stopped'"; fi
	done
	left=$(ls -A "$TMP/full" | grep -c 'tfrecord' || true)
	[ "$left" -eq 0 ] && ok "no shard of the failed runs is left" || not_ok "no shard of the failed runs is left ($left)"
	check_exit 1 "shard onto a full disk fails" "$TFREC" shard --shards 1 -o "$TMP/full/s" "$TMP/ref/p-00000-of-00024.tfrecord"
	err_has "with the reason" "No space left on device"
	umount "$TMP/full"
else
	skip "convert and shard onto a full disk" "cannot mount a tmpfs here"
fi
done_testing
