#!/bin/sh
# t0060-shard: tfrec shard keeps every record exactly once, in order or
# perfectly shuffled, deterministically for a seed and for any -j or
# --part; recompresses; refuses or salvages corrupt input.
. "${TOP_SRCDIR}/tests/lib.sh"
PY=${PYTHON3:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"; exit 77
fi
GEN="$PY $TOP_SRCDIR/tests/gen-records.py"
export PYTHONPATH="$TOP_SRCDIR/scripts"
SH="$TFREC shard -q --no-fsync"
mkdir -p "$TMP/in" "$TMP/o"
$GEN examples "$TMP/in/a.tfrecord" 300
$GEN examples "$TMP/in/b.tfrecord.gz" 200
$GEN raw "$TMP/in/c.tfrecord.zlib" 150
$GEN big "$TMP/in/d.tfrecord" 100
: >"$TMP/in/e.tfrecord"
IN="$TMP/in/a.tfrecord $TMP/in/b.tfrecord.gz $TMP/in/c.tfrecord.zlib $TMP/in/d.tfrecord $TMP/in/e.tfrecord"

# payloads FILE... : one hex digest per record, in order
cat >"$TMP/payloads.py" <<'PYEOF'
import hashlib, sys, tfrec_read as tr
for f in sys.argv[1:]:
    for _, data in tr.read_records(f, verify=False):
        print(hashlib.sha1(data).hexdigest())
PYEOF
P="$PY $TMP/payloads.py"
$P $IN >"$TMP/want"
[ "$(wc -l <"$TMP/want")" -eq 750 ] && ok "inputs hold 750 records" || not_ok "inputs hold 750 records"

# Unshuffled: shards in order are the inputs in order.
for j in 1 3; do
	mkdir -p "$TMP/o/m$j"
	check "merge -j$j into 4 shards" $SH -j $j --shards 4 -o "$TMP/o/m$j/m" $IN
done
$P "$TMP"/o/m1/m-*.tfrecord >"$TMP/got"
check "unshuffled shards concatenated equal the inputs in order" cmp "$TMP/got" "$TMP/want"
check "-j1 and -j3 equal (unshuffled)" diff -r "$TMP/o/m1" "$TMP/o/m3"
check "shards are balanced (187 or 188 records)" sh -c "'$TFREC' inspect --count '$TMP'/o/m1/m-*.tfrecord | awk '\$1 < 187 || \$1 > 188 {exit 1}'"
mkdir -p "$TMP/o/mp"
for i in 1 2 3; do $SH --shards 4 --part $i/3 -o "$TMP/o/mp/m" $IN; done
ok_parts=1
for f in "$TMP"/o/m1/m-*.tfrecord; do cmp -s "$f" "$TMP/o/mp/$(basename "$f")" || ok_parts=0; done
[ $ok_parts = 1 ] && ok "unshuffled parts equal the whole" || not_ok "unshuffled parts equal the whole"

# Splitting one big file by size; the budget is exact.
mkdir -p "$TMP/o/sz"
check "split by --shard-size 64K" $SH --shard-size 64K --index -o "$TMP/o/sz/s" "$TMP/in/d.tfrecord"
check "no shard passes 64K" sh -c "for f in '$TMP'/o/sz/*.tfrecord; do [ \$(stat -c %s \"\$f\") -le 65536 ] || exit 1; done"
check "shards are full (15 records of 4146 bytes each)" sh -c "'$TFREC' inspect --count '$TMP/o/sz/s-00000-of-00007.tfrecord' | grep -q '^15 '"
check "indexes verify" "$TFREC" verify -q "$TMP"/o/sz/s-*.tfrecord
check "--records-per-shard" $SH --records-per-shard 100 -o "$TMP/o/rps" $IN
check "8 shards of at most 100" test -f "$TMP/o/rps-00007-of-00008.tfrecord"

# Shuffled.
for j in 1 2 4; do
	mkdir -p "$TMP/o/s$j"
	check "shuffle -j$j" $SH -j $j --shuffle --seed 5 --shards 3 -o "$TMP/o/s$j/s" $IN
done
$P "$TMP"/o/s1/s-*.tfrecord >"$TMP/got"
sort "$TMP/got" >"$TMP/got.sorted"; sort "$TMP/want" >"$TMP/want.sorted"
check "shuffle keeps the multiset of records" cmp "$TMP/got.sorted" "$TMP/want.sorted"
if cmp -s "$TMP/got" "$TMP/want"; then not_ok "shuffle changes the order"; else ok "shuffle changes the order"; fi
check "-j1 and -j2 equal (shuffled)" diff -r "$TMP/o/s1" "$TMP/o/s2"
check "-j1 and -j4 equal (shuffled)" diff -r "$TMP/o/s1" "$TMP/o/s4"
mkdir -p "$TMP/o/sm"
check "a tiny --memory budget (buckets split again) gives the same bytes" $SH --memory 64K --shuffle --seed 5 --shards 3 -o "$TMP/o/sm/s" $IN
check "tiny budget equals default budget" diff -r "$TMP/o/s1" "$TMP/o/sm"
mkdir -p "$TMP/o/sp"
for i in 1 2; do $SH --shuffle --seed 5 --shards 3 --part $i/2 -o "$TMP/o/sp/s" $IN; done
ok_parts=1
for f in "$TMP"/o/s1/s-*.tfrecord; do cmp -s "$f" "$TMP/o/sp/$(basename "$f")" || ok_parts=0; done
[ $ok_parts = 1 ] && ok "shuffled parts equal the whole" || not_ok "shuffled parts equal the whole"
mkdir -p "$TMP/o/s6"
$SH --shuffle --seed 6 --shards 3 -o "$TMP/o/s6/s" $IN
if cmp -s "$TMP/o/s1/s-00000-of-00003.tfrecord" "$TMP/o/s6/s-00000-of-00003.tfrecord"; then
	not_ok "another seed, another order"; else ok "another seed, another order"; fi
# A perfect shuffle moves records across inputs: the first shard holds
# records of every input.
check "records of every input reach the first shard" sh -c "$P '$TMP/o/s1/s-00000-of-00003.tfrecord' | sort >'$TMP/first'; for f in $IN; do [ -s \"\$f\" ] || continue; $P \"\$f\" | sort | comm -12 - '$TMP/first' | grep -q . || exit 1; done"
mkdir -p "$TMP/o/sb"
check "shuffle with --shard-size" $SH --shuffle --seed 5 --shard-size 100K -o "$TMP/o/sb/s" $IN
check "shuffled shards within the budget" sh -c "for f in '$TMP'/o/sb/*.tfrecord; do [ \$(stat -c %s \"\$f\") -le 102400 ] || exit 1; done"
$P "$TMP"/o/sb/s-*.tfrecord | sort >"$TMP/got.sorted"
check "and the multiset is kept" cmp "$TMP/got.sorted" "$TMP/want.sorted"

# Recompression.
for c in gzip zlib; do
	mkdir -p "$TMP/o/$c"
	check "recompress to $c" $SH --compression $c --shards 2 -o "$TMP/o/$c/z" $IN
	check "$c shards verify" "$TFREC" verify -q --no-examples "$TMP"/o/$c/z-*
	$P "$TMP"/o/$c/z-* >"$TMP/got"
	check "$c shards hold the records in order" cmp "$TMP/got" "$TMP/want"
	check "$c manifest: sizes and SHA-256 match the files" $PY - "$TMP/o/$c" <<'PYEOF'
import hashlib, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "z.json")))
for s in m["shards"]:
    data = open(os.path.join(d, s["file"]), "rb").read()
    assert len(data) == s["bytes"], (s, len(data))
    assert hashlib.sha256(data).hexdigest() == s["sha256"], s
PYEOF
done
mkdir -p "$TMP/o/back"
check "GZIP to indexed uncompressed" $SH --index --shards 1 -o "$TMP/o/back/u" "$TMP"/o/gzip/z-*
check "which verifies with its index" "$TFREC" verify --no-examples "$TMP/o/back/u-00000-of-00001.tfrecord"
out_has "index checked" "index ok"

# Corrupt input.
cp "$TMP/in/a.tfrecord" "$TMP/bad.tfrecord"
off=$("$TFREC" index -o - "$TMP/in/a.tfrecord" | sed -n 11p | cut -d' ' -f1)
off2=$("$TFREC" index -o - "$TMP/in/a.tfrecord" | sed -n 101p | cut -d' ' -f1)
printf 'X' | dd of="$TMP/bad.tfrecord" bs=1 seek=$((off + 20)) conv=notrunc 2>/dev/null
printf 'XYZ' | dd of="$TMP/bad.tfrecord" bs=1 seek=$((off2 + 2)) conv=notrunc 2>/dev/null
mkdir -p "$TMP/o/bad"
check_exit 1 "corrupt input is refused" $SH --shards 2 -o "$TMP/o/bad/b" "$TMP/bad.tfrecord"
err_has "with file, record and offset" "bad.tfrecord': record 10 at offset $off: data CRC mismatch"
if ls "$TMP/o/bad" | grep -q .; then not_ok "nothing left after the failure"; else ok "nothing left after the failure"; fi
check "--skip-corrupt salvages" $TFREC shard --no-fsync --skip-corrupt --shards 2 -o "$TMP/o/bad/b" "$TMP/bad.tfrecord"
err_has "the bad record is reported" "at offset $off of '$TMP/bad.tfrecord': bad data CRC"
err_has "the smashed header is reported" "at offset $off2 of '$TMP/bad.tfrecord': bad length CRC"
$P "$TMP"/o/bad/b-* >"$TMP/got"
$P "$TMP/in/a.tfrecord" | sed '11d;101d' >"$TMP/want2"
check "salvage keeps exactly the 298 sound records, in order" cmp "$TMP/got" "$TMP/want2"
check "the manifest lists 2 skipped spans" $PY -c "import json; m=json.load(open('$TMP/o/bad/b.json')); assert len(m['skipped'])==2 and m['records']==298, m"
# split: each damaged span is listed by one part only (the part holding
# the next record), so the parts together list what the whole run does
mkdir -p "$TMP/o/badp"
for i in 1 2 3; do
	$SH --skip-corrupt --shards 6 --part $i/3 -o "$TMP/o/badp/b" "$TMP/bad.tfrecord" 2>/dev/null
done
check "salvage with --part: the parts list each span once" $PY -c "
import json
n = [len(json.load(open('$TMP/o/badp/b.part-0000%d-of-00003.json' % i))['skipped']) for i in (1, 2, 3)]
assert sum(n) == 2 and max(n) == 1, n"
mkdir -p "$TMP/o/bads"
check "salvage while shuffling" $SH --skip-corrupt --shuffle --shards 2 -o "$TMP/o/bads/b" "$TMP/bad.tfrecord"
$P "$TMP"/o/bads/b-* | sort >"$TMP/got"
sort "$TMP/want2" >"$TMP/want2.sorted"
check "shuffled salvage keeps the 298 sound records" cmp "$TMP/got" "$TMP/want2.sorted"
head -c 5000 "$TMP/in/b.tfrecord.gz" >"$TMP/cut.gz"
check_exit 1 "a truncated gzip input is refused" $SH -o "$TMP/o/bad/c" "$TMP/cut.gz"
err_has "and named" "cut.gz': gzip stream is truncated"

# --skip-corrupt on compressed input keeps every record before a break
# and starts again at the next gzip member (or zlib flush marker).
mkdir -p "$TMP/o/z"
$P "$TMP/in/b.tfrecord.gz" >"$TMP/b.all"
# kept_prefix NAME OUT: OUT's records are the first records of b, in order
kept_prefix() {
	$P "$2" >"$TMP/got"
	n=$(wc -l <"$TMP/got")
	if [ "$n" -gt 0 ] && head -n "$n" "$TMP/b.all" | cmp -s - "$TMP/got"; then
		ok "$1: the $n records before the cut are kept, in order"
	else
		not_ok "$1: the records before the cut are kept ($n)"
	fi
}
check "--skip-corrupt on a truncated gzip file" $SH --skip-corrupt --shards 1 -o "$TMP/o/z/t" "$TMP/cut.gz"
err_has "the break is reported" "gzip stream is truncated at compressed byte"
kept_prefix gzip "$TMP/o/z/t-00000-of-00001.tfrecord"
$SH --shards 1 --compression zlib -o "$TMP/o/z/zl" "$TMP/in/b.tfrecord.gz"
zsize=$(wc -c <"$TMP/o/z/zl-00000-of-00001.tfrecord.zlib")
head -c $((zsize / 2)) "$TMP/o/z/zl-00000-of-00001.tfrecord.zlib" >"$TMP/cut.zlib"
check "--skip-corrupt on a truncated zlib file" $SH --skip-corrupt --shards 1 -o "$TMP/o/z/zt" "$TMP/cut.zlib"
kept_prefix zlib "$TMP/o/z/zt-00000-of-00001.tfrecord"
# two gzip members, the first damaged in its middle: the second is whole
gsize=$(wc -c <"$TMP/in/b.tfrecord.gz")
cp "$TMP/in/b.tfrecord.gz" "$TMP/two.gz"
printf '\377\377\377\377\377\377\377\377' | dd of="$TMP/two.gz" bs=1 seek=$((gsize / 2)) conv=notrunc 2>/dev/null
cat "$TMP/in/b.tfrecord.gz" >>"$TMP/two.gz"
check "--skip-corrupt on two gzip members, the first damaged" $SH --skip-corrupt --shards 1 -o "$TMP/o/z/two" "$TMP/two.gz"
$P "$TMP/o/z/two-00000-of-00001.tfrecord" >"$TMP/got"
check "the second member's 200 records all come through" sh -c "tail -n 200 '$TMP/got' | cmp - '$TMP/b.all'"
n=$(wc -l <"$TMP/got")
[ "$n" -gt 200 ] && ok "and records of the first member before the damage ($((n - 200)))" || not_ok "records of the first member before the damage ($n in all)"

check_exit 2 "no -o is a usage error" "$TFREC" shard "$TMP/in/a.tfrecord"
check_exit 1 "a directory input is refused" $SH -o "$TMP/o/x" "$TMP/in"
err_has "with a hint" "Is a directory"
check_exit 2 "--index with gzip is a usage error" "$TFREC" shard --index --compression gzip -o "$TMP/o/x" "$TMP/in/a.tfrecord"
ls -a "$TMP/o" | grep -q 'tmp-\|spill' && not_ok "no temporary files left" || ok "no temporary files left"

if [ -d "${TESTDATA:-/nonexistent}/tfrecord" ]; then
	td=$TESTDATA/tfrecord
	mkdir -p "$TMP/o/tf"
	check "TensorFlow-written files merge" $SH --shards 1 -o "$TMP/o/tf/t" "$td/pytorch-data/example.tfrecord" "$td/pytorch-data/sequence_example.tfrecord" "$td/derived-from-beam-tests/foo_bar.tfrecord.gz" "$td/derived-from-beam-tests/foo_bar.tfrecord.zlib"
	check "12 records" sh -c "'$TFREC' inspect --count '$TMP/o/tf/t-00000-of-00001.tfrecord' | grep -q '^12 '"
	check "a single plain input copies byte for byte" sh -c "$SH --shards 1 -o '$TMP/o/tf/c' '$td/pytorch-data/example.tfrecord' && cmp '$TMP/o/tf/c-00000-of-00001.tfrecord' '$td/pytorch-data/example.tfrecord'"
	check_exit 1 "bad CRC files are refused" $SH -o "$TMP/o/tf/x" "$td/derived-from-beam-tests/python_foo_bad_data_crc.tfrecord"
	check "and salvaged to nothing" $SH --skip-corrupt -o "$TMP/o/tf/x" "$td/derived-from-beam-tests/python_foo_bad_data_crc.tfrecord" "$td/derived-from-beam-tests/python_foo_bad_length_crc.tfrecord" "$td/derived-from-beam-tests/short_bar.tfrecord"
fi
done_testing
