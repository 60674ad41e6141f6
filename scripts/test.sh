#!/bin/sh
# test.sh - the whole test suite, as CI runs it:
#   1. install what is missing, build, make check;
#   2. the CLI tests again with every tfrec run under valgrind memcheck
#      (any memory error or leak fails the test);
#   3. everything again under ASan+UBSan (clang), built from a clean copy
#      of the distributed sources in build/sanitize.
# Set TFREC_TEST_QUICK=1 to stop after step 1.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
# No __pycache__/ folders left in the tree by the Python the tests run.
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
# t0190 fails, not skips, when the Slurm cluster cannot come up here.
TFREC_REQUIRE_SLURM=1
export TFREC_REQUIRE_SLURM
sh scripts/deps.sh --test
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
# Shared outside test data, when present beside the tree.
if [ -z "${TESTDATA:-}" ] && [ -d "$top/../shared/testdata" ]; then
	TESTDATA=$(cd "$top/../shared/testdata" && pwd)
	export TESTDATA
fi
jobs=$(nproc)
make -j"$jobs"
# t0135 builds, installs and purges the Debian packages (as root, as in
# CI); here a missing tool or a non-root run is a failure, not a skip.
TFREC_REQUIRE_PACKAGES=1 make -j"$jobs" check || { tail -100 test-suite.log; exit 1; }
[ "${TFREC_TEST_QUICK:-0}" = 1 ] && exit 0

echo "test.sh: CLI tests under valgrind memcheck"
# (not t0135: it runs no tfrec of this build, only the packages')
cli_tests=$(ls tests/t0*.sh | grep -v t0135-packages | tr '\n' ' ')
make -j"$jobs" check TESTS="$cli_tests" TFREC_VALGRIND=1 || {
	tail -100 test-suite.log; exit 1; }

# The loader's unit test runs threads of its own (parallel.c's pool):
# memcheck it directly (JSIMD_FORCENONE as in tests/valgrind-wrap.sh).
echo "test.sh: unit-loader under valgrind memcheck"
JSIMD_FORCENONE=1 valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	tests/unit-loader >/dev/null || { echo "test.sh: unit-loader fails under valgrind"; exit 1; }

echo "test.sh: sanitizer build (ASan+UBSan)"
rm -rf build/sanitize
mkdir -p build
make distdir distdir=build/sanitize >/dev/null
# Unit tests run with LeakSanitizer.  The CLI tests run without it:
# LSan's tracer crashes now and then ("Tracer caught signal 11") while
# libomp's worker threads are still spinning at exit, which is a tooling
# failure, not a leak; leaks of every CLI run are checked by the valgrind
# pass above instead.  ASan and UBSan stay fully on for both.
unit_tests=$(cd build/sanitize 2>/dev/null; ls -d tests/unit-*.c tests/t0070-fuzz-replay.sh 2>/dev/null | sed 's/\.c$//' | tr '\n' ' ')
(cd build/sanitize &&
	./configure -q CC=clang --enable-asan --enable-ubsan CFLAGS='-O1 -g' &&
	make -j"$jobs" >/dev/null &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	make -j"$jobs" check TESTS="$unit_tests" &&
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	make -j"$jobs" check) || {
	tail -100 build/sanitize/test-suite.log 2>/dev/null; exit 1; }
echo "test.sh: all suites passed"
