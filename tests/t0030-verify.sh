#!/bin/sh
# t0030-verify: sound files pass; every kind of damage fails with a
# position; --all lists every problem; .idx sidecars are checked.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
GEN="$PY $TOP_SRCDIR/tests/gen-records.py"
$GEN examples "$TMP/a.tfrecord" 20
$GEN examples "$TMP/a.tfrecord.gz" 20
$GEN raw "$TMP/raw.tfrecord" 3

check "sound file verifies" "$TFREC" verify "$TMP/a.tfrecord"
out_has "reports ok and the count" "a.tfrecord: ok, 20 records, none"
check "gzip file verifies" "$TFREC" verify "$TMP/a.tfrecord.gz"
check "quiet prints nothing" "$TFREC" verify -q "$TMP/a.tfrecord"
[ -s "$TMP/.out" ] && not_ok "quiet output is empty" || ok "quiet output is empty"
check_exit 1 "non-Example payloads fail" "$TFREC" verify "$TMP/raw.tfrecord"
err_has "non-Example named with position" "record 0 at offset 0: payload is not a tf.train.Example"
check "--no-examples accepts raw payloads" "$TFREC" verify --no-examples "$TMP/raw.tfrecord"

# Flip one payload byte in record 5 and one header byte in record 12.
cp "$TMP/a.tfrecord" "$TMP/bad.tfrecord"
off5=$("$TFREC" index -o - "$TMP/a.tfrecord" | sed -n 6p | cut -d' ' -f1)
off12=$("$TFREC" index -o - "$TMP/a.tfrecord" | sed -n 13p | cut -d' ' -f1)
printf 'X' | dd of="$TMP/bad.tfrecord" bs=1 seek=$((off5 + 14)) conv=notrunc 2>/dev/null
printf 'X' | dd of="$TMP/bad.tfrecord" bs=1 seek=$((off12 + 3)) conv=notrunc 2>/dev/null
check_exit 1 "corrupt file fails" "$TFREC" verify "$TMP/bad.tfrecord"
err_has "first problem: record 5 data CRC" "record 5 at offset $off5: data CRC mismatch"
check_exit 1 "--all fails too" "$TFREC" verify --all "$TMP/bad.tfrecord"
err_has "--all reports record 5" "record 5 at offset $off5: bad data CRC"
err_has "--all reports the smashed header" "record 12 at offset $off12: bad length CRC"

# Truncated gzip stream.
head -c 60 "$TMP/a.tfrecord.gz" >"$TMP/cut.gz"
check_exit 1 "truncated gzip fails" "$TFREC" verify "$TMP/cut.gz"
err_has "truncated gzip is named" "gzip stream is truncated"

# Index sidecars.
"$TFREC" index "$TMP/a.tfrecord"
check "file with a correct .idx verifies" "$TFREC" verify "$TMP/a.tfrecord"
out_has "index reported ok" "index ok"
sed '3s/^[0-9]*/7/' "$TMP/a.tfrecord.idx" >"$TMP/x" && mv "$TMP/x" "$TMP/a.tfrecord.idx"
check_exit 1 "wrong .idx fails" "$TFREC" verify "$TMP/a.tfrecord"
err_has "wrong .idx line is named" "a.tfrecord.idx': line 3"
"$TFREC" index "$TMP/a.tfrecord"
head -n 5 "$TMP/a.tfrecord.idx" >"$TMP/x" && mv "$TMP/x" "$TMP/a.tfrecord.idx"
check_exit 1 "short .idx fails" "$TFREC" verify "$TMP/a.tfrecord"
err_has "short .idx says so" "index lists 5 records, the file has 20"

# Exit status over several files: one bad one makes it 1, all are checked.
check_exit 1 "one bad file among good ones gives 1" "$TFREC" verify "$TMP/a.tfrecord.gz" "$TMP/bad.tfrecord" "$TMP/a.tfrecord.gz"
out_has "later good files still checked" "a.tfrecord.gz: ok"

# A glob that caught an .idx or a manifest: named as what it is not.
"$TFREC" index -o "$TMP/a.idx" "$TMP/a.tfrecord"
check_exit 1 "verify on an .idx file fails" "$TFREC" verify "$TMP/a.idx"
err_has "... saying it is not a TFRecord file" "a.idx': record 0 at offset 0: length CRC mismatch: not a TFRecord file"
printf '{"records": 20}\n' >"$TMP/a.json"
check_exit 1 "verify on a JSON manifest fails" "$TFREC" verify "$TMP/a.json"
err_has "... saying it is not a TFRecord file" "a.json': record 0 at offset 0: length CRC mismatch: not a TFRecord file"
if have_testdata tfrecord "checks on the shared TFRecord files"; then
	td=$TESTDATA/tfrecord
	check "TF-written Examples verify" "$TFREC" verify "$td/pytorch-data/example.tfrecord" "$td/pytorch-data/sequence_example.tfrecord" "$td/pwnall-tfrecord/singles.tfrecords"
	check_exit 1 "Beam raw payloads are not Examples" "$TFREC" verify "$td/apache-beam-vectors/foo_bar.tfrecord"
	check "Beam raw payloads frame correctly" "$TFREC" verify --no-examples "$td/apache-beam-vectors/foo_bar.tfrecord" "$td/derived-from-beam-tests/foo_bar.tfrecord.gz" "$td/derived-from-beam-tests/foo_bar.tfrecord.zlib"
	check_exit 1 "bad data CRC fails" "$TFREC" verify --no-examples "$td/derived-from-beam-tests/python_foo_bad_data_crc.tfrecord"
	err_has "with the position" "python_foo_bad_data_crc.tfrecord': record 0 at offset 0: data CRC mismatch"
fi
done_testing
