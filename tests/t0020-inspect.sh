#!/bin/sh
# t0020-inspect: counts, schema, JSON and dumps against an independent
# Python encoder, in all three compressions; then TensorFlow-written files.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
GEN="$PY $TOP_SRCDIR/tests/gen-records.py"

for ext in tfrecord tfrecord.gz tfrecord.zlib; do
	f="$TMP/ex.$ext"
	$GEN examples "$f" 25
	case $ext in *.gz) comp=gzip ;; *.zlib) comp=zlib ;; *) comp=none ;; esac
	check "inspect $ext" "$TFREC" inspect "$f"
	out_has "$ext: compression $comp" "compression   $comp"
	out_has "$ext: 25 records" "records       25"
	out_match "$ext: int64 feature id, 1 value in 25 records" "^ +id +int64 +1 +25\$"
	out_match "$ext: float feature vals, 2 values" "^ +vals +float +2 +25\$"
	out_match "$ext: bytes feature blob" "^ +blob +bytes +1 +25\$"
	out_has "$ext: 25 Examples" "25 Example, 0 SequenceExample, 0 other"
	check "inspect --count $ext" "$TFREC" inspect --count "$f"
	out_has "$ext: --count prints the count" "25 $f"
	check "inspect --json $ext" "$TFREC" inspect --json "$f"
	out_has "$ext: JSON has the compression" "\"compression\":\"$comp\""
	out_has "$ext: JSON has the record count" "\"records\":25"
done

check "dump with a limit" "$TFREC" inspect --dump --limit 3 "$TMP/ex.tfrecord"
if [ "$(wc -l <"$TMP/.out")" -eq 3 ]; then ok "dump --limit 3 gives 3 lines"; else not_ok "dump --limit 3 gives 3 lines"; fi
out_has "dump shows int64 values" '"id":{"int64":[2]}'
out_has "dump shows text bytes" '"name":{"bytes":["rec-1"]}'
out_has "dump shows floats" '"vals":{"float":[2,2.5]}'
out_has "dump base64-encodes binary bytes" '"blob":{"bytes_base64":['
if command -v jq >/dev/null 2>&1; then
	"$TFREC" inspect --dump "$TMP/ex.tfrecord.gz" | jq -r '.features.id.int64[0]' >"$TMP/ids"
	seq 0 24 >"$TMP/want"
	check "dump is valid JSON that jq reads" cmp "$TMP/ids" "$TMP/want"
fi

$GEN raw "$TMP/raw.tfrecord" 4
check "raw payloads are framed" "$TFREC" inspect "$TMP/raw.tfrecord"
out_has "raw payloads are reported as other" "0 Example, 0 SequenceExample, 4 other"

# Big records: --count seeks over payloads and still counts right.
$GEN big "$TMP/big.tfrecord" 300
check "count big records" "$TFREC" inspect --count "$TMP/big.tfrecord"
out_has "count of 300" "300 $TMP/big.tfrecord"
head -c 100000 "$TMP/big.tfrecord" >"$TMP/bigcut.tfrecord"
check_exit 1 "--count notices truncation" "$TFREC" inspect --count "$TMP/bigcut.tfrecord"
err_has "truncation names record and offset" "record 24 at offset 99504: truncated record (496 of 4146 bytes present)"

check_exit 1 "missing file fails" "$TFREC" inspect "$TMP/nope"
err_has "missing file is named" "cannot open '$TMP/nope': No such file or directory"
check_exit 1 "a directory fails" "$TFREC" inspect "$TMP"
: >"$TMP/empty"
check "empty file has zero records" "$TFREC" inspect --json "$TMP/empty"
out_has "zero records" '"records":0'

# Files that TensorFlow, Beam and PyTorch's tests wrote.
if have_testdata tfrecord "checks on the shared TFRecord files"; then
	td=$TESTDATA/tfrecord
	for spec in "pytorch-data/example.tfrecord 4 none" \
		"pytorch-data/sequence_example.tfrecord 4 none" \
		"pwnall-tfrecord/singles.tfrecords 3 none" \
		"apache-beam-vectors/foo_bar.tfrecord 2 none" \
		"apache-beam-vectors/bar_foo.tfrecord 2 none" \
		"apache-beam-vectors/python_foo.tfrecord 1 none" \
		"derived-from-beam-tests/foo_bar.tfrecord.gz 2 gzip" \
		"derived-from-beam-tests/foo_bar.tfrecord.zlib 2 zlib"; do
		set -- $spec
		check "TF-written $1" "$TFREC" inspect --json "$td/$1"
		out_has "$1 has $2 records" "\"records\":$2,"
		out_has "$1 is $3" "\"compression\":\"$3\""
	done
	"$TFREC" inspect "$td/pytorch-data/sequence_example.tfrecord" >"$TMP/.out"
	out_has "SequenceExamples recognised" "0 Example, 4 SequenceExample"
	out_match "feature lists in the schema" "x_float_seq +float +list 3\\.\\.9 +4"
	"$TFREC" inspect --dump "$td/pytorch-data/example.tfrecord" >"$TMP/.out"
	out_has "packed floats decoded" '"x_float":{"float":[10,11,12,13,14,15,16,17,18,19]}'
	"$TFREC" inspect "$td/apache-beam-vectors/foo_bar.tfrecord" >"$TMP/.out"
	out_has "Beam payloads are not Examples" "0 Example, 0 SequenceExample, 2 other"
	"$TFREC" inspect --dump "$td/pwnall-tfrecord/singles.tfrecords" >"$TMP/.out"
	out_has "float 3.14 printed in shortest form" '"float_feature":{"float":[3.14]}'
	check_exit 1 "bad data CRC is an error" "$TFREC" inspect "$td/derived-from-beam-tests/python_foo_bad_data_crc.tfrecord"
	err_has "bad data CRC has record and offset" "record 0 at offset 0: data CRC mismatch"
	check_exit 1 "bad length CRC is an error" "$TFREC" inspect "$td/derived-from-beam-tests/python_foo_bad_length_crc.tfrecord"
	err_has "bad length CRC has record and offset" "record 0 at offset 0: length CRC mismatch"
	check_exit 1 "3-byte file is an error" "$TFREC" inspect "$td/derived-from-beam-tests/short_bar.tfrecord"
	err_has "short file: truncated header" "truncated header (3 of 12 bytes)"
fi
done_testing
