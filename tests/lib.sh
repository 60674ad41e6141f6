# lib.sh - TAP helpers for the numbered shell tests (git's t/ in spirit).
#
# Each test sources this file, calls plan-less ok/not_ok through
# check, and ends with done_testing.  $TFREC is the binary under test;
# $TESTDATA is ../shared/testdata: a script that needs it whole calls
# need_testdata; a block that needs part of it runs under
# `if have_testdata SUBDIR; then`, which prints a SKIP line when it is absent.
#
# Skips: Automake's TAP driver reads exit 77 as an ERROR, not a skip.  A
# skipped script prints "1..0 # SKIP why" and exits 0 (skip_all), a skipped
# check prints "ok N - what # SKIP why" (skip); nothing vanishes silently.
set -u
: "${TFREC:?TFREC must point at the tfrec binary}"
: "${TOP_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
# (Not twice: a test that runs another test script must not make the
# wrapper run itself under valgrind, without end.)
if [ "${TFREC_VALGRIND:-0}" = 1 ] && [ "$TFREC" != "$TOP_SRCDIR/tests/valgrind-wrap.sh" ]; then
	TFREC_REAL=$TFREC
	TFREC="$TOP_SRCDIR/tests/valgrind-wrap.sh"
	export TFREC_REAL
fi
T_COUNT=0
T_FAIL=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfrec-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C
# Python run by the tests must not leave __pycache__/ folders in the tree.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE

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

# skip_all REASON: skip the whole script (call before the first check).
skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

# skip DESCRIPTION REASON: one check that cannot run here.
skip() {
	T_COUNT=$((T_COUNT + 1))
	echo "ok $T_COUNT - $1 # SKIP $2"
}

need_testdata() {
	[ -d "${TESTDATA:-/nonexistent}/$1" ] ||
		skip_all "shared test data ($1) is absent"
}

# have_testdata SUBDIR [WHAT]: true when ../shared/testdata/SUBDIR exists;
# otherwise prints a SKIP line for the checks it guards and is false.
have_testdata() {
	[ -d "${TESTDATA:-/nonexistent}/$1" ] && return 0
	skip "${2:-checks on shared test data}" "shared test data ($1) is absent"
	return 1
}

# Set PY to a python3 (the test generators need only its standard
# library), or to nothing (find_python) or skip the whole script
# (need_python) when there is none.
find_python() {
	PY=
	for p in ${PYTHON3:-} python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null 2>&1; then
			PY=$p
			return
		fi
	done
}
need_python() {
	find_python
	[ -n "$PY" ] || skip_all "python3 is not installed"
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
	skip_all "python3 with numpy is not installed"
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
