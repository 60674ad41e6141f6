#!/bin/sh
# t0015-skips: a test that cannot run says so with a TAP SKIP and exits 0
# (Automake's TAP driver reads exit 77 as an ERROR): without mandoc,
# without ../shared/testdata, and for single checks.
. "${TOP_SRCDIR}/tests/lib.sh"
T=$TOP_SRCDIR/tests
# The scripts run here are about skipping, not memory: the plain binary.
TFREC=${TFREC_REAL:-$TFREC}
TFREC_VALGRIND=0
export TFREC TFREC_VALGRIND

# A PATH that has every command of this machine but mandoc.
mkdir -p "$TMP/bin"
for d in /usr/local/bin /usr/bin /bin; do
	for f in "$d"/*; do
		n=${f##*/}
		[ "$n" = mandoc ] || [ -e "$TMP/bin/$n" ] || ln -s "$f" "$TMP/bin/$n"
	done
done
check "t0090-man without mandoc exits 0" env MANDOC= PATH="$TMP/bin" sh "$T/t0090-man.sh"
out_has "and skips the whole script, saying why" "1..0 # SKIP mandoc is not installed"

check "t0040-index without shared test data exits 0" env TESTDATA=/nonexistent sh "$T/t0040-index.sh"
out_match "and prints a SKIP line for the checks on it" '^ok [0-9]+ - .* # SKIP shared test data \(tfrecord/dali-extra-idx-only\) is absent$'

cat >"$TMP/whole.sh" <<'SH'
. "$TOP_SRCDIR/tests/lib.sh"
need_testdata no-such-folder
ok "never reached"
SH
check "need_testdata skips a script with exit 0" env TESTDATA=/nonexistent sh "$TMP/whole.sh"
out_has "with a plan of 0 and the reason" "1..0 # SKIP shared test data (no-such-folder) is absent"
if grep -q "never reached" "$TMP/.out"; then not_ok "nothing runs after the skip"; else ok "nothing runs after the skip"; fi

cat >"$TMP/one.sh" <<'SH'
. "$TOP_SRCDIR/tests/lib.sh"
skip "a check" "a reason"
ok "another check"
done_testing
SH
check "a skipped check does not fail the script" sh "$TMP/one.sh"
out_has "it is an ok line with the SKIP directive" "ok 1 - a check # SKIP a reason"
out_has "and counts in the plan" "1..2"
done_testing
