#!/bin/sh
# valgrind-wrap.sh - run tfrec under valgrind memcheck.  lib.sh puts this
# in front of $TFREC when TFREC_VALGRIND=1, so that every CLI test is
# also a memory-error and leak check: any error makes tfrec exit 99,
# which no test expects.
exec valgrind -q --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--track-fds=no "$TFREC_REAL" "$@"
