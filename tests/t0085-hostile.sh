#!/bin/sh
# t0085-hostile: hostile TFRecords through every command.  Truncation at
# many offsets and bit flips must be errors naming file, record and
# offset (never a crash, hang or success); a length claiming exabytes and
# a gzip bomb are refused quickly in little memory; a JPEG header claiming
# 60000x60000 is refused from the header; empty files, directories given
# as files, and odd file names are handled.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
RSS="$PY $TOP_SRCDIR/bench/peak-rss.py"
$PY "$TOP_SRCDIR/tests/gen-records.py" examples "$TMP/a.tfrecord" 12
$PY "$TOP_SRCDIR/tests/gen-records.py" examples "$TMP/a.tfrecord.gz" 12
mkdir -p "$TMP/o"

# Under valgrind every run costs a second: sample more sparsely there.
CUT_STEP=7
FLIP_STEP=5
BOMB_MB=1024
if [ "${TFREC_VALGRIND:-0}" = 1 ]; then CUT_STEP=41; FLIP_STEP=23; BOMB_MB=8; fi

# rss_under MIB NAME: the peak RSS that peak-rss.py left in .err is under
# MIB.  Valgrind's own memory would be measured under valgrind: skipped.
rss_under() {
	if [ "${TFREC_VALGRIND:-0}" = 1 ]; then
		skip "$2" "memory is not measured under valgrind"
		return
	fi
	mib=$(sed -n 's/^peak_rss_mib //p' "$TMP/.err" | cut -d. -f1)
	if [ "${mib:-999}" -lt "$1" ]; then ok "$2 ($mib MiB)"; else not_ok "$2 ($mib MiB)"; fi
}

# Truncations at every 7th offset, through inspect, verify, index, shard.
size=$(stat -c %s "$TMP/a.tfrecord")
"$TFREC" index -o - "$TMP/a.tfrecord" | cut -d' ' -f1 >"$TMP/bounds"
echo "$size" >>"$TMP/bounds"
bad=0
cut=1
while [ $cut -lt "$size" ]; do
	head -c $cut "$TMP/a.tfrecord" >"$TMP/cut.tfrecord"
	if grep -qx "$cut" "$TMP/bounds"; then want=0; else want=1; fi
	for cmd in "inspect" "verify -q" "index -o -" "shard -q --no-fsync -o $TMP/o/c"; do
		# shellcheck disable=SC2086
		"$TFREC" $cmd "$TMP/cut.tfrecord" >/dev/null 2>"$TMP/err"
		rc=$?
		if [ $rc -ne $want ]; then bad=$((bad + 1)); echo "# cut $cut: $cmd exit $rc"; fi
		if [ $want = 1 ] && ! grep -q "cut.tfrecord': record [0-9]* at offset [0-9]*: truncated" "$TMP/err"; then
			bad=$((bad + 1)); echo "# cut $cut: $cmd: $(cat "$TMP/err")"
		fi
	done
	cut=$((cut + CUT_STEP))
done
[ $bad = 0 ] && ok "truncations: errors with record and offset from all four commands" || not_ok "truncations ($bad wrong)"

# Bit flips at every 5th byte: always an error, never success.
bad=0
off=0
while [ $off -lt "$size" ]; do
	cp "$TMP/a.tfrecord" "$TMP/flip.tfrecord"
	printf '\001' | dd of="$TMP/flip.tfrecord" bs=1 seek=$off conv=notrunc 2>/dev/null
	# XOR would be better; writing 0x01 over the byte changes it unless it was 1.
	if cmp -s "$TMP/flip.tfrecord" "$TMP/a.tfrecord"; then off=$((off + FLIP_STEP)); continue; fi
	for cmd in "verify -q --no-examples" "shard -q --no-fsync -o $TMP/o/f"; do
		# shellcheck disable=SC2086
		"$TFREC" $cmd "$TMP/flip.tfrecord" >/dev/null 2>"$TMP/err"
		rc=$?
		[ $rc -eq 1 ] || { bad=$((bad + 1)); echo "# flip at $off: $cmd exit $rc"; }
		grep -q "flip.tfrecord': record [0-9]* at offset [0-9]*:" "$TMP/err" ||
			{ bad=$((bad + 1)); echo "# flip at $off: $(cat "$TMP/err")"; }
	done
	off=$((off + FLIP_STEP))
done
[ $bad = 0 ] && ok "changed bytes: always an error with a position" || not_ok "changed bytes ($bad wrong)"

# A length field claiming exabytes, with a valid length CRC.
$PY - "$TMP/exa.tfrecord" <<'PYEOF'
import struct, sys
sys.path.insert(0, __import__("os").environ["TOP_SRCDIR"] + "/tests")
gen = __import__("gen-records")
n = struct.pack("<Q", 1 << 62)
open(sys.argv[1], "wb").write(n + struct.pack("<I", gen.masked(n)) + b"x" * 100)
PYEOF
for cmd in "inspect" "verify" "index -o -" "shard -q -o $TMP/o/e"; do
	# shellcheck disable=SC2086
	check_exit 1 "exabyte length: $cmd refuses" $RSS "$TFREC" $cmd "$TMP/exa.tfrecord"
	err_has "exabyte length: $cmd says why" "length 4611686018427387904 exceeds the limit"
	rss_under 64 "exabyte length: $cmd stays under 64 MiB"
done

# A gzip bomb: 1 GiB of zeros in about 1 MiB.
head -c $((BOMB_MB * 1048576)) /dev/zero | gzip -1 -c >"$TMP/bomb.gz"
check_exit 1 "gzip bomb: inspect refuses" $RSS "$TFREC" inspect "$TMP/bomb.gz"
err_has "gzip bomb: at the first record" "bomb.gz': record 0 at offset 0 (uncompressed stream): length CRC mismatch"
rss_under 64 "gzip bomb: under 64 MiB"
check_exit 0 "gzip bomb: shard --skip-corrupt scans it through in bounded memory" $RSS "$TFREC" shard -q --no-fsync --skip-corrupt -o "$TMP/o/b" "$TMP/bomb.gz"
rss_under 64 "gzip bomb salvage: under 64 MiB"

# A JPEG header claiming 60000x60000.
$PY "$TOP_SRCDIR/tests/gen-images.py" "$TMP/img" >/dev/null 2>&1
if [ -f "$TMP/img/bad/bomb.jpg" ]; then
	s=$(date +%s%N)
	check_exit 1 "60000x60000 JPEG refused" $RSS "$TFREC" convert -o "$TMP/o/j" "$TMP/img/bad/bomb.jpg"
	e=$(date +%s%N)
	err_has "from its header" "image of 60000x60000 pixels exceeds the limit"
	# the library reports the limit as a code; the CLI names the flag
	err_has "... naming the file and the flag that sets the limit" "bomb.jpg': image of 60000x60000 pixels exceeds the limit of 100000000 pixels (see --max-pixels)"
	rss_under 64 "60000x60000: under 64 MiB"
	[ $(( (e - s) / 1000000 )) -lt 20000 ] && ok "60000x60000: refused quickly" || not_ok "60000x60000 took $(( (e - s) / 1000000 )) ms"
fi

# A PNG whose chunk claims 2 GB (found by fuzz-image): refused from the
# chunk headers, before libpng can allocate for it.
for f in "$TOP_SRCDIR"/tests/fuzz-regress/image/oom-*; do
	[ -f "$f" ] || continue
	check_exit 1 "PNG chunk claiming 2 GB refused" $RSS "$TFREC" convert -o "$TMP/o/png" "$f"
	err_has "with the chunk named" "claims 2046820352 bytes, more than the file holds"
	rss_under 64 "PNG chunk claiming 2 GB: under 64 MiB"
done

# Empty files, directories and unreadable files given as files.
: >"$TMP/empty.tfrecord"
check "empty file: inspect says 0 records" "$TFREC" inspect --count "$TMP/empty.tfrecord"
out_has "0 records" "0 $TMP/empty.tfrecord"
check "empty file: verify passes" "$TFREC" verify "$TMP/empty.tfrecord"
check "empty file: shard writes one empty shard" "$TFREC" shard -q --no-fsync -o "$TMP/o/empty" "$TMP/empty.tfrecord"
for cmd in inspect verify "index -o -"; do
	# shellcheck disable=SC2086
	check_exit 1 "directory as a file: $cmd" "$TFREC" $cmd "$TMP/o"
	err_has "directory named: $cmd" "Is a directory"
done
cp "$TMP/a.tfrecord" "$TMP/noread.tfrecord" && chmod 000 "$TMP/noread.tfrecord"
if [ ! -r "$TMP/noread.tfrecord" ]; then
	check_exit 1 "unreadable file" "$TFREC" verify "$TMP/noread.tfrecord"
	err_has "permission error named" "Permission denied"
else
	skip "unreadable file" "running as root"
fi

# Odd names through every command.
for name in "with space.tfrecord" "q'uo\"te.tfrecord" "caf$(printf '\303\251').tfrecord" "latin1-$(printf '\351').tfrecord"; do
	cp "$TMP/a.tfrecord" "$TMP/$name"
	check "odd name: inspect '$name'" "$TFREC" inspect --json "$TMP/$name"
	check "odd name: verify" "$TFREC" verify -q "$TMP/$name"
	check "odd name: index" "$TFREC" index "$TMP/$name"
	check "odd name: shard" "$TFREC" shard -q --no-fsync --shards 1 -o "$TMP/o/$name" "$TMP/$name"
done
"$TFREC" inspect --json "$TMP/latin1-$(printf '\351').tfrecord" >"$TMP/j"
check "JSON stays valid for a non-UTF-8 name" $PY -c "import json; json.load(open('$TMP/j'))"
done_testing
