#!/bin/sh
# t0040-index: DALI index format, stdout, refusal of compressed input.
. "${TOP_SRCDIR}/tests/lib.sh"
need_python
GEN="$PY $TOP_SRCDIR/tests/gen-records.py"
$GEN examples "$TMP/a.tfrecord" 5
$GEN examples "$TMP/a.tfrecord.gz" 5

check "index writes FILE.idx" "$TFREC" index "$TMP/a.tfrecord"
# Independent index: walk the framing in Python.
"$PY" - "$TMP/a.tfrecord" >"$TMP/want.idx" <<'PYEOF'
import struct, sys
data = open(sys.argv[1], "rb").read()
off = 0
while off < len(data):
    (n,) = struct.unpack_from("<Q", data, off)
    print(off, n + 16)
    off += n + 16
PYEOF
check "index equals the independent walk" cmp "$TMP/a.tfrecord.idx" "$TMP/want.idx"
check "index -o - writes to stdout" sh -c "'$TFREC' index -o - '$TMP/a.tfrecord' | cmp - '$TMP/want.idx'"
check "index -o FILE" "$TFREC" index -o "$TMP/other.idx" "$TMP/a.tfrecord"
check "index -o FILE content" cmp "$TMP/other.idx" "$TMP/want.idx"
check_exit 2 "-o with two inputs is a usage error" "$TFREC" index -o "$TMP/x.idx" "$TMP/a.tfrecord" "$TMP/a.tfrecord"
check_exit 1 "compressed input is refused" "$TFREC" index "$TMP/a.tfrecord.gz"
err_has "refusal says why" "cannot index a gzip-compressed file"
[ -e "$TMP/a.tfrecord.gz.idx" ] && not_ok "no index left for refused input" || ok "no index left for refused input"
head -c 150 "$TMP/a.tfrecord" >"$TMP/cut.tfrecord"
check_exit 1 "truncated input fails" "$TFREC" index "$TMP/cut.tfrecord"
[ -e "$TMP/cut.tfrecord.idx" ] && not_ok "no index for a failed file" || ok "no index for a failed file"
ls "$TMP" | grep -q '\.tmp-' && not_ok "no temporary files left" || ok "no temporary files left"
if [ -w /dev/full ]; then
	check_exit 1 "index -o - to /dev/full fails" sh -c "'$TFREC' index -o - '$TMP/a.tfrecord' >/dev/full"
fi
if have_testdata tfrecord/dali-extra-idx-only "the DALI sample index"; then
	# DALI's own index files have exactly this line shape.
	check "DALI sample index has 'offset size' lines" sh -c "grep -Evq '^[0-9]+ [0-9]+\$' '$TESTDATA/tfrecord/dali-extra-idx-only/train.idx' && exit 1 || exit 0"
fi
done_testing
