#!/bin/sh
# t0107-ddp: examples/train_torch.py as real 2- and 3-process gloo DDP
# training on CPU, started with python3 -m torch.distributed.run (Debian
# 12's /usr/bin/torchrun crashes at start; the --redirects 2 --tee 1
# values work around it, see examples/train_torch.py) and a rendezvous
# port the launcher picks (localhost:0): every rank completes 2 epochs
# with the same number of batches, the number tfrec.plan gives (37
# records, batches of 4: 2 x ceil(ceil(37 / N) / 4)).  The example reads
# through tfrec.torch.Loader when libtfrec has the loader (then once more
# through ShardDataset), else through ShardDataset with a worker a rank.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
if ! $PY -c 'import torch, torch.distributed.run' 2>/dev/null; then
	skip_all "torch is not installed for $PY (Debian: python3-torch)"
fi
export PYTHONPATH="$TOP_SRCDIR/python" PYTHONDONTWRITEBYTECODE=1
[ -f "${TOP_BUILDDIR:-.}/libtfrec.so.0" ] && export TFREC_LIBRARY="$TOP_BUILDDIR/libtfrec.so.0"
$PY "$TOP_SRCDIR/tests/python/mkimages.py" "$TMP/img" 37
mkdir -p "$TMP/o"
check "37 pictures into 5 shards" $TFREC convert -q --no-fsync --resize 8x8 --shards 5 --index \
	-o "$TMP/o/t" "$TMP/img"
engine=0
$PY -c 'import sys, tfrec._engine as e, tfrec.torch as t; sys.exit(not (e.available() and hasattr(t, "Loader")))' \
	2>/dev/null && engine=1

# ddp N LABEL [ARGS...]: train on N processes; check their last lines.
ddp() {
	n=$1
	label=$2
	shift 2
	logs=$TMP/logs.$n.$label
	rm -rf "$logs"
	# A hang must fail rather than stall make check.
	timeout 600 $PY -m torch.distributed.run --nproc_per_node "$n" --redirects 2 --tee 1 \
		--log_dir "$logs" --rdzv_backend c10d --rdzv_endpoint localhost:0 \
		"$TOP_SRCDIR/examples/train_torch.py" --epochs 2 --batch-size 4 --workers 1 --threads 2 \
		"$@" "$TMP/o/t-*.tfrecord" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	per=$(((37 + n - 1) / n))
	want=$((2 * ((per + 3) / 4)))
	grep -rh ' batches in 2 epochs, done' "$logs" >"$TMP/.done" 2>/dev/null
	got=$(sed 's/.*: \([0-9]*\) batches.*/\1/' "$TMP/.done" | sort -u | tr '\n' ' ')
	ranks=$(sed 's/^rank \([0-9]*\) of.*/\1/' "$TMP/.done" | sort -n | tr '\n' ' ')
	if [ $rc -eq 0 ] && [ "$got" = "$want " ] && [ "$ranks" = "$(seq 0 $((n - 1)) | tr '\n' ' ')" ]; then
		ok "$n-process gloo DDP ($label): ranks $ranks each ran $want batches and completed"
	else
		not_ok "$n-process gloo DDP ($label): exit $rc, ranks '$ranks' done, batch counts '$got', want $want"
		tail -20 "$TMP/.err" | sed 's/^/# /'
		find "$logs" -name 'std*.log' -exec tail -5 {} + 2>/dev/null | sed 's/^/# /'
	fi
}
if [ $engine = 1 ]; then
	ddp 2 Loader
	ddp 3 Loader
	ddp 2 ShardDataset --dataset
else
	ddp 2 ShardDataset
	ddp 3 ShardDataset
	skip "DDP through tfrec.torch.Loader" "libtfrec has no loader (tfrec._engine.available() is false)"
fi
done_testing
