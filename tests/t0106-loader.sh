#!/bin/sh
# t0106-loader: the loader of issue 20 from Python.  tests/python/
# plan_known.py: tfrec.plan's known answers (shared with the C loader) and
# its rules; order.py: numpy.Batches, ShardDataset and IndexedDataset read
# exactly the plan's records (every mode, world sizes 1..4, padding and
# drop_last, plain and GZIP), the same order with 0..3 DataLoader workers,
# resume from state_dict, bounded shuffle-buffer slots, mixed sizes,
# multi-label and boxes, damage as TFRecordError from workers;
# engine.py: the same for the C engine (tfrec.numpy.Loader,
# tfrec.torch.Loader, tfrec._engine.Engine) at 1..4 threads, with
# per-epoch augmentation of --store jpeg shards; one SKIP line per group
# when libtfrec has no loader; datasets_engine.py: ShardDataset and
# IndexedDataset on the engine give the pure-Python path's items, order,
# resume and errors, and read --store jpeg shards.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1
[ -f "${TOP_BUILDDIR:-.}/libtfrec.so.0" ] && export TFREC_LIBRARY="$TOP_BUILDDIR/libtfrec.so.0"
P=$TOP_SRCDIR/tests/python
D=$TMP/d
mkdir -p "$D"
C="$TFREC convert -q --no-fsync"
$PY "$P/mkimages.py" "$TMP/img" 23
$PY "$P/mkimages.py" "$TMP/mix" 10 mixed
check "23 pictures into 5 plain shards with .idx" $C --resize 8x8 --shards 5 --index -o "$D/t" "$TMP/img"
check "and 3 GZIP shards" $C --resize 8x8 --shards 3 --compression gzip -o "$D/g" "$TMP/img"
check "and 2 shards of JPEGs (--store jpeg:90)" $C --resize 8x8 --store jpeg:90 --shards 2 -o "$D/j" "$TMP/img"
check "and 2 shards of JPEGs with .idx" $C --resize 8x8 --store jpeg:90 --shards 2 --index -o "$D/ji" "$TMP/img"
check "10 pictures of 5 sizes, not resized" $C --shards 2 -o "$D/mixed" "$TMP/mix"
{
	echo path,labels
	i=0
	for f in "$TMP"/img/*/*.png; do
		echo "${f#"$TMP"/img/},x;y$((i % 3))"
		i=$((i + 1))
	done
} >"$TMP/img/table.csv"
check "multi-label records from a table" $C --resize 8x8 --table "$TMP/img/table.csv" --label-col labels \
	--label-sep ';' --shards 2 -o "$D/ml"
mkdir -p "$TMP/flat"
cp "$TMP"/img/*/*.png "$TMP/flat/"
{
	echo filename,width,height,class,xmin,ymin,xmax,ymax
	i=0
	for f in "$TMP"/flat/*.png; do
		b=${f##*/}
		echo "$b,12,10,cat,1,1,5,5"
		[ $((i % 2)) = 0 ] && echo "$b,12,10,dog,2,2,9,8"
		i=$((i + 1))
	done
} >"$TMP/boxes.csv"
check "detection records with 1 or 2 boxes" $C --annotations "$TMP/boxes.csv" --images "$TMP/flat" \
	--shards 2 -o "$D/det"

# pytap DESCRIPTION SCRIPT ARGS...: one TAP line per 'ok'/'FAIL'/'skip'
# line the script prints; a failing exit without FAIL lines is a failure.
pytap() {
	desc=$1
	shift
	$PY "$@" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "$desc: ${line#ok }" ;;
		"FAIL "*) not_ok "$desc: ${line#FAIL }" ;;
		"skip "*)
			line=${line#skip }
			skip "$desc: ${line%%: *}" "${line#*: }"
			;;
		esac
	done <"$TMP/.out"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$TMP/.out"; then
		not_ok "$desc (exit $rc)"
		grep -v 'Warning\|warnings.warn' "$TMP/.err" | tail -30 | sed 's/^/# /'
	fi
}
pytap "plan" "$P/plan_known.py"
pytap "datasets" "$P/order.py" "$D"
pytap "engine" "$P/engine.py" "$D"
pytap "datasets on the engine" "$P/datasets_engine.py" "$D"
done_testing
