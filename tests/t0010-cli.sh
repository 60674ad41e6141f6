#!/bin/sh
# t0010-cli: top-level dispatch, --help, --version, exit codes, stdout errors.
. "${TOP_SRCDIR}/tests/lib.sh"

check "tfrec --help exits 0" "$TFREC" --help
out_has "--help lists commands" "inspect"
check "tfrec --version exits 0" "$TFREC" --version
out_has "--version names tfrec" "tfrec "
check_exit 2 "no command is a usage error" "$TFREC"
check_exit 2 "unknown command is a usage error" "$TFREC" frobnicate
err_has "unknown command is named" "'frobnicate' is not a tfrec command"
for cmd in convert shard inspect verify index; do
	check "$cmd --help exits 0" "$TFREC" "$cmd" --help
	out_has "$cmd --help shows usage" "usage: tfrec $cmd"
	check_exit 2 "$cmd with a bad option exits 2" "$TFREC" "$cmd" --no-such-option
	check_exit 2 "$cmd without files exits 2" "$TFREC" "$cmd"
done
if [ -w /dev/full ]; then
	check_exit 1 "--help to /dev/full fails" sh -c "'$TFREC' --help >/dev/full"
	err_has "the stdout error is reported" "cannot write standard output"
fi
done_testing
