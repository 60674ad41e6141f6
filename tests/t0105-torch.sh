#!/bin/sh
# t0105-torch: tfrec.torch with Debian's python3-torch, on 101 tiny
# records (8x8x3 float16) in 16 shards: DataLoader with 0, 2 and 4
# workers under fork and spawn sees every record once per epoch with an
# exact len(); a 3-rank gloo DDP run with 2 workers a rank finishes with
# equal batch counts and covers the dataset (padding or dropping as
# documented); set_epoch and seed ordering; corrupt shards raise errors
# naming shard and offset; examples/train_torch.py trains.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
if ! $PY -c 'import torch' 2>/dev/null; then
	echo "1..0 # SKIP torch is not installed for $PY (Debian: python3-torch)"
	exit 0
fi
export PYTHONPATH="$TOP_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1
[ -f "${TOP_BUILDDIR:-.}/libtfrec.so.0" ] && export TFREC_LIBRARY="$TOP_BUILDDIR/libtfrec.so.0"
P=$TOP_SRCDIR/tests/python
mkdir -p "$TMP/o" "$TMP/c"
$PY "$P/mkimages.py" "$TMP/img" 101
check "convert 101 pictures into 16 shards with .idx" $TFREC convert -q --no-fsync --resize 8x8 \
	--shards 16 --index -o "$TMP/o/t" "$TMP/img"

# pytap DESCRIPTION SCRIPT ARGS...: one TAP line per 'ok'/'FAIL' line the
# script prints; a failing exit without FAIL lines is one failure.
pytap() {
	desc=$1
	shift
	$PY "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$desc: ${line#ok }" ;;
		"FAIL "*) not_ok "$desc: ${line#FAIL }" ;;
		esac
	done <"$TMP/.out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$TMP/.out"; then
		not_ok "$desc (exit $rc)"
		grep -v 'Warning\|warnings.warn' "$TMP/.err" | tail -30 | sed 's/^/# /'
	fi
}
pytap "DataLoader" "$P/loader.py" "$TMP/o"
pytap "order" "$P/epoch.py" "$TMP/o"
pytap "corrupt" "$P/corrupt.py" "$TMP/o" "$TMP/c"
pytap "DDP" "$P/ddp.py" "$TMP/o"
check "examples/train_torch.py trains a small CNN for a few steps" \
	$PY "$TOP_SRCDIR/examples/train_torch.py" --steps 6 --workers 2 "$TMP/o/t-*.tfrecord"
out_has "and reports its loss" "step 6"
done_testing
