#!/bin/sh
# t0087-small-answers: the small wrong answers of issue 10, each pinned.
# Overflows in the plan and in resizing, one record-size limit for
# writing and reading, options that are usage errors (exit 2), index
# names, and output paths longer than a fixed buffer.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
PHOTOS=$TOP_SRCDIR/sample-data/photos
CONV="$TFREC convert --no-fsync"
O=$TMP/o
mkdir -p "$O"

# --- the shard plan: --records-per-shard 2^64-1 was 0 shards, exit 0 ---
check "convert --records-per-shard 2^64-1" $CONV --resize 8x8 --records-per-shard 18446744073709551615 -o "$O/r" "$PHOTOS"
check "wrote all 6 records in one shard" sh -c "'$TFREC' inspect --count '$O/r-00000-of-00001.tfrecord' | grep -q '^6 '"
check "shard --records-per-shard 2^64-1" "$TFREC" shard --no-fsync --records-per-shard 18446744073709551615 -o "$O/rs" "$O/r-00000-of-00001.tfrecord"
check "kept all 6 records" sh -c "'$TFREC' inspect --count '$O/rs-00000-of-00001.tfrecord' | grep -q '^6 '"

# --- usage errors exit 2 and write nothing ---------------------------
for m in nan inf -inf 0.5,nan,0.5 NAN; do
	check_exit 2 "--mean $m is a usage error" $CONV --resize 8x8 --mean "$m" --std 0.25 -o "$O/m" "$PHOTOS"
done
check_exit 2 "--std inf is a usage error" $CONV --resize 8x8 --mean 0.5 --std inf -o "$O/m" "$PHOTOS"
check_exit 2 "--std 1e-5 overflows float16: a usage error" $CONV --resize 8x8 --mean 0 --std 0.00001 -o "$O/m" "$PHOTOS"
err_has "naming float16's largest value" "beyond float16's 65504"
check "--std 1e-5 with --dtype float32 converts" $CONV -q --resize 8x8 --mean 0 --std 0.00001 --dtype float32 -o "$O/f32" "$PHOTOS"
check "--mean 0.5 --std 0.0000077 (65000 at most) converts" $CONV -q --resize 8x8 --mean 0.5 --std 0.0000077 -o "$O/f16" "$PHOTOS"
check "and nothing was written" sh -c "! ls '$O' | grep -q '^m'"
mkdir -p "$TMP/cwd"
(cd "$TMP/cwd" && "$TFREC" convert --no-fsync --resize 8x8 -o '' "$PHOTOS" >"$TMP/.out" 2>"$TMP/.err"; echo $? >"$TMP/rc")
err_has "-o '' says the prefix is empty" "output prefix is empty"
check "and exits 2" test "$(cat "$TMP/rc")" = 2
check "and leaves no hidden files in the working directory" test -z "$(ls -A "$TMP/cwd")"
check_exit 2 "shard -o '' exits 2" "$TFREC" shard -o '' "$O/r-00000-of-00001.tfrecord"
check_exit 2 "convert -o / exits 2" $CONV --resize 8x8 -o / "$PHOTOS"
check_exit 2 "shard -o / exits 2" "$TFREC" shard -o / "$O/r-00000-of-00001.tfrecord"
check_exit 2 "convert --shards 99999999 exits 2" $CONV --resize 8x8 --shards 99999999 -o "$O/k" "$PHOTOS"
err_has "naming the limit" "at most 99999"
check_exit 2 "shard --shards 100000 exits 2" "$TFREC" shard --shards 100000 -o "$O/k" "$O/r-00000-of-00001.tfrecord"
check "--shards 99999 is still allowed" $CONV --resize 8x8 --shards 99999 -o "$O/k" "$PHOTOS"

# --- index: standard input, and an output that is the input ------------
cp "$O/r-00000-of-00001.tfrecord" "$TMP/f.tfrecord"
cp "$TMP/f.tfrecord" "$TMP/f.orig"
"$TFREC" index -o - "$TMP/f.tfrecord" >"$TMP/want.idx"
(cd "$TMP" && "$TFREC" index - <f.tfrecord >"$TMP/got.idx" 2>"$TMP/.err"; echo $? >"$TMP/rc")
check "index - reads standard input" test "$(cat "$TMP/rc")" = 0
check "and writes the index to standard output" cmp "$TMP/want.idx" "$TMP/got.idx"
check "not to a file named '-.idx'" test ! -e "$TMP/-.idx"
check_exit 2 "index -o f.tfrecord f.tfrecord is refused" "$TFREC" index -o "$TMP/f.tfrecord" "$TMP/f.tfrecord"
err_has "saying why" "is the input"
check_exit 2 "also under another spelling" "$TFREC" index -o "$TMP/../$(basename "$TMP")/./f.tfrecord" "$TMP/f.tfrecord"
ln "$TMP/f.tfrecord" "$TMP/hard.tfrecord"
check_exit 2 "and through a hard link" "$TFREC" index -o "$TMP/hard.tfrecord" "$TMP/f.tfrecord"
check "the shard is intact" cmp "$TMP/f.tfrecord" "$TMP/f.orig"
check "index -o OTHER still works" "$TFREC" index -o "$TMP/other.idx" "$TMP/f.tfrecord"
check "with the same index" cmp "$TMP/want.idx" "$TMP/other.idx"
gzip -c "$TMP/f.tfrecord" >"$TMP/f.tfrecord.gz"
check_exit 1 "a gzip file cannot be indexed" "$TFREC" index "$TMP/f.tfrecord.gz"
err_has "the library says why" "cannot index a gzip-compressed file: index readers seek to byte offsets"
err_has "the command says what to do" "tfrec shard --compression none --index"

# --- an output directory path longer than 4096 bytes -------------------
long=$TMP/long
i=0
while [ $i -lt 20 ]; do long=$long/$(printf '%0250d' 0); i=$((i + 1)); done
# (test -d cannot see it: stat fails past PATH_MAX, as tfrec's did)
if mkdir -p "$long" 2>/dev/null; then
	check_exit 1 "a 5000-byte output directory fails" $CONV --resize 8x8 -o "$long/p" "$PHOTOS"
	if grep -q "does not exist" "$TMP/.err"; then not_ok "it is not reported as missing"; else ok "it is not reported as missing"; fi
	err_has "the system's reason is given" "File name too long"
else
	skip "a 5000-byte output directory" "cannot make one here"
fi

# --- one record size for writing and reading (issue 10, item 8) --------
# A 177-byte 100000x1 PNG: --resize-short 256 planned a 39 GB record.
$PY - "$TMP/wide" <<'PYEOF'
import os, struct, sys, zlib
def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
os.makedirs(sys.argv[1])
w, h = 100000, 1
with open(os.path.join(sys.argv[1], "wide.png"), "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" + b"\x80" * w, 9)) + chunk(b"IEND", b""))
PYEOF
cp "$PHOTOS/cat/cat-800x600-2.jpg" "$TMP/wide/"
RSS="$PY $TOP_SRCDIR/bench/peak-rss.py"
check_exit 1 "a 100000x1 PNG with --resize-short 256 fails" $CONV --resize-short 256 -o "$O/w" "$TMP/wide"
err_has "naming the file and the limit" "wide.png': a 25600000x256 output is a tensor of 36.6 GiB, past the limit of 1023 MiB"
check "with --on-error skip it is skipped" $RSS $CONV --resize-short 256 --on-error skip -o "$O/w" "$TMP/wide"
if [ "${TFREC_VALGRIND:-0}" = 1 ]; then
	skip "in little memory" "memory is not measured under valgrind"
else
	mib=$(sed -n 's/^peak_rss_mib //p' "$TMP/.err" | cut -d. -f1)
	if [ "${mib:-999}" -lt 200 ]; then ok "in little memory ($mib MiB)"; else not_ok "in little memory ($mib MiB)"; fi
fi
check "and the manifest lists it, with the other image written" $PY -c "import json; m=json.load(open('$O/w.json')); assert m['records'] == 1 and len(m['skipped']) == 1 and m['skipped'][0]['file'].endswith('wide.png'), m"
# --resize-short 65535: a double past 2^32 was converted to uint32_t
# (undefined; the UBSan build, with float-cast-overflow, caught it).
check_exit 1 "--resize-short 65535 on it is an error, not undefined behaviour" $CONV --resize-short 65535 --crop 16x16 -o "$O/w" "$TMP/wide/wide.png"
err_has "saying why" "past the 2^31-1 pixels a side may have"
# A fixed shape too large for a record is known before any input is read.
# 18919 x 18919 x 3 bytes is just over 1 GiB: a record readers refuse.
check_exit 2 "--resize 18919x18919 --dtype uint8 is refused" $CONV --resize 18919x18919 --dtype uint8 -o "$O/big" "$PHOTOS"
err_has "because a record must stay within the reading limit" "keeps a record within 1 GiB"
check_exit 2 "--resize 30000x30000 (float16) is refused" $CONV --resize 30000x30000 -o "$O/big" "$PHOTOS"
check_exit 2 "--encoded with --max-file 2G is refused" $CONV --encoded --max-file 2G -o "$O/big" "$PHOTOS"
check "--encoded with --max-file 1000M is allowed" $CONV --encoded --max-file 1000M -o "$O/enc" "$PHOTOS"
done_testing
