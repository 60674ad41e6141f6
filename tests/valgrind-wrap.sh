#!/bin/sh
# valgrind-wrap.sh - run tfrec under valgrind memcheck.  lib.sh puts this
# in front of $TFREC when TFREC_VALGRIND=1, so that every CLI test is
# also a memory-error and leak check: any error makes tfrec exit 99,
# which no test expects.
#
# libjpeg-turbo's SIMD assembly is run with JSIMD_FORCENONE=1 here:
# memcheck cannot follow definedness through its vector code and reports
# decoded pixels as uninitialised (a known false positive, see
# libjpeg-turbo issue #238).  The same decodes run with SIMD and with
# different malloc perturbations give identical bytes, and the ASan+UBSan
# pass of scripts/test.sh keeps the SIMD paths covered.
JSIMD_FORCENONE=1
export JSIMD_FORCENONE
# --vgdb=no: no vgdb FIFOs in /tmp, which a killed run (t0082) would
# leave behind.
exec valgrind -q --vgdb=no --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--track-fds=no "$TFREC_REAL" "$@"
