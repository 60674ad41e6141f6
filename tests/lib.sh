# lib.sh - TAP helpers for the numbered shell tests (git's t/ in spirit).
#
# Each test sources this file, calls plan-less ok/not_ok through
# check, and ends with done_testing.  $TFREC is the binary under test;
# $TESTDATA is ../shared/testdata (tests that need it call need_testdata,
# which skips the whole test with exit 77 when it is absent).
set -u
: "${TFREC:?TFREC must point at the tfrec binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
if [ "${TFREC_VALGRIND:-0}" = 1 ]; then
	TFREC_REAL=$TFREC
	TFREC="$TOP_SRCDIR/tests/valgrind-wrap.sh"
	export TFREC_REAL
fi
T_COUNT=0
T_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfrec-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C

ok() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $*"
}

not_ok() {
	T_COUNT=$((T_COUNT + 1))
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $T_COUNT - $*"
}

# check DESCRIPTION COMMAND...: ok when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@" >"$TMP/.out" 2>"$TMP/.err"; then
		ok "$desc"
	else
		not_ok "$desc (exit $?)"
		# The start of stdout and the end of stderr, where sanitizer
		# reports and the final error are.
		head -10 "$TMP/.out" | sed 's/^/# /'
		tail -30 "$TMP/.err" | sed 's/^/# /'
	fi
}

# check_exit CODE DESCRIPTION COMMAND...: ok when COMMAND exits with CODE.
check_exit() {
	want=$1
	desc=$2
	shift 2
	"$@" >"$TMP/.out" 2>"$TMP/.err"
	got=$?
	if [ "$got" -eq "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, want $want)"
		head -10 "$TMP/.out" | sed 's/^/# /'
		tail -30 "$TMP/.err" | sed 's/^/# /'
	fi
}

# Last command's stderr / stdout contain a fixed string.
err_has() {
	if grep -qF -- "$2" "$TMP/.err"; then ok "$1"; else
		not_ok "$1"; echo "# stderr was:"; sed 's/^/# /' "$TMP/.err" | head -10; fi
}
out_has() {
	if grep -qF -- "$2" "$TMP/.out"; then ok "$1"; else
		not_ok "$1"; echo "# stdout was:"; sed 's/^/# /' "$TMP/.out" | head -10; fi
}

need_testdata() {
	if [ ! -d "${TESTDATA:-/nonexistent}/$1" ]; then
		echo "1..0 # SKIP shared test data ($1) is absent"
		exit 77
	fi
}

# Set PY to a python3 that has numpy, or skip the whole test.
need_numpy_python() {
	PY=
	for p in ${PYTHON3:-} python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import numpy' 2>/dev/null; then
			PY=$p
			return
		fi
	done
	echo "1..0 # SKIP python3 with numpy is not installed"
	exit 77
}

done_testing() {
	echo "1..$T_COUNT"
	[ "$T_FAIL" -eq 0 ]
}

# Last command's stdout matches an extended regular expression.
out_match() {
	if grep -qE -- "$2" "$TMP/.out"; then ok "$1"; else
		not_ok "$1"; echo "# stdout was:"; sed 's/^/# /' "$TMP/.out" | head -10; fi
}
