#!/bin/sh
# test.sh - the whole test suite: install what is missing, build, run
# make check, then the same suite again under ASan+UBSan in build/asan.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh --test
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
make -j"$(nproc)" check || { cat test-suite.log | tail -100; exit 1; }

# Sanitizers: a separate out-of-tree build with clang.
rm -rf build/asan && mkdir -p build/asan
(cd build/asan && ../../configure -q CC=clang --enable-asan --enable-ubsan \
	CFLAGS='-O1 -g' && make -j"$(nproc)" &&
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	make -j"$(nproc)" check) || {
	tail -100 build/asan/test-suite.log 2>/dev/null; exit 1; }
echo "test.sh: all suites passed"
