#!/bin/sh
# t0160-stats: the "stats" object convert writes in the manifest equals
# `inspect --stats --json` on the shards byte for byte, is the same for
# -j 1, -j 2 and --part runs merged, and agrees with a numpy reference
# (per-channel mean and std of value * std + mean, class counts, sizes,
# bytes per record) for float16 (unit and imagenet normalization, HWC
# and CHW), float32 and uint8.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
export PYTHONPATH="$TOP_SRCDIR/scripts"
PHOTOS=$TOP_SRCDIR/sample-data/photos
mkdir -p "$TMP/o"
BASE="-q --no-fsync --resize-short 48 --random-crop --crop 40x32 --flip --copies 3 --shuffle --seed 4 --shards 5"

# stats_of MANIFEST: the "stats" member's text, as written.
stats_of() {
	grep '^  "stats": ' "$1" | sed 's/^  "stats": //; s/,$//'
}
n=0
for variant in "" "--normalize imagenet" "--normalize imagenet --layout chw" "--dtype float32" "--dtype uint8"; do
	n=$((n + 1))
	# shellcheck disable=SC2086
	"$TFREC" convert $BASE $variant -j 1 -o "$TMP/o/a$n" "$PHOTOS"
	# shellcheck disable=SC2086
	"$TFREC" convert $BASE $variant -j 2 -o "$TMP/o/b$n" "$PHOTOS"
	stats_of "$TMP/o/a$n.json" >"$TMP/a$n.stats"
	stats_of "$TMP/o/b$n.json" >"$TMP/b$n.stats"
	check "[$variant] the manifest has stats" test -s "$TMP/a$n.stats"
	check "[$variant] -j 1 and -j 2 give the same stats" cmp "$TMP/a$n.stats" "$TMP/b$n.stats"
	"$TFREC" inspect --stats --json "$TMP"/o/a$n-*.tfrecord >"$TMP/i$n.stats"
	check "[$variant] inspect --stats --json on the shards prints the same object" \
		cmp "$TMP/a$n.stats" "$TMP/i$n.stats"
	check "[$variant] numpy reference" "$PY" - "$TMP/a$n.stats" "$TMP"/o/a$n-*.tfrecord <<'PYEOF'
import json, sys
import numpy as np, tfrec_read as tr
st = json.load(open(sys.argv[1]))
xs, labels, sizes, nbytes = [], {}, [], []
for path in sys.argv[2:]:
    for _, payload in tr.read_records(path):
        nbytes.append(len(payload))
        ex = tr.parse_example(payload)
        t = tr.decode_image(ex).astype(np.float64)
        if ex["image/shape"][0] == ex["image/channels"][0] and ex["image/shape"][2] != ex["image/channels"][0]:
            t = t.transpose(1, 2, 0)                    # CHW -> HWC
        if ex["image/dtype"][0] == b"uint8":
            x = t / 255.0
        else:
            x = t * np.asarray(ex["image/std"], np.float64) + np.asarray(ex["image/mean"], np.float64)
        xs.append(x.reshape(-1, x.shape[-1]))
        name = ex["image/class/text"][0].decode()
        labels[name] = labels.get(name, 0) + 1
        sizes.append((int(ex["image/height"][0]), int(ex["image/width"][0])))
x = np.concatenate(xs)
mean, std = x.mean(axis=0), x.std(axis=0)
assert np.allclose(st["mean"], mean, rtol=0, atol=2e-7), (st["mean"], mean)
assert np.allclose(st["std"], std, rtol=0, atol=2e-7), (st["std"], std)
assert st["class_counts"] == labels, (st["class_counts"], labels)
assert st["records"] == len(nbytes)
b = st["bytes_per_record"]
assert (b["min"], b["max"]) == (min(nbytes), max(nbytes)) and abs(b["mean"] - np.mean(nbytes)) < 0.01
edges = st["sizes"]["short_side"]["edges"]
counts = [0] * (len(edges) + 1)
for h, w in sizes:
    counts[sum(1 for e in edges if min(h, w) >= e)] += 1
assert counts == st["sizes"]["short_side"]["counts"], (counts, st["sizes"])
assert sum(st["sizes"]["aspect"]["counts"]) == len(sizes)
PYEOF
done

# Parts: the merged manifest's stats equal the single run's.
mkdir -p "$TMP/parts"
for i in 1 2 3; do
	# shellcheck disable=SC2086
	"$TFREC" convert $BASE -j 1 --part $i/3 -o "$TMP/parts/a1" "$PHOTOS"
done
check "merge of parts with stats" "$TFREC" manifest merge -q "$TMP/parts/a1"
check "equals the single run's manifest, stats and all" cmp "$TMP/o/a1.json" "$TMP/parts/a1.json"

# --normalize dataset: the records carry the mean and std of the images'
# own pixels (as uint8 would store them), found by a first pass; the
# same for -j 1 and -j 2; a sample of 3 chosen by the seed.
ND="-q --no-fsync --resize-short 48 --crop 40x32 --shards 2"
# shellcheck disable=SC2086
"$TFREC" convert $ND --dtype uint8 -o "$TMP/o/n8" "$PHOTOS"
# shellcheck disable=SC2086
check "--normalize dataset" "$TFREC" convert $ND --normalize dataset -j 1 -o "$TMP/o/nd1" "$PHOTOS"
# shellcheck disable=SC2086
"$TFREC" convert $ND --normalize dataset -j 2 -o "$TMP/o/nd2" "$PHOTOS"
check "-j 1 and -j 2 give the same shards" sh -c "cmp '$TMP/o/nd1-00000-of-00002.tfrecord' '$TMP/o/nd2-00000-of-00002.tfrecord' && cmp '$TMP/o/nd1-00001-of-00002.tfrecord' '$TMP/o/nd2-00001-of-00002.tfrecord'"
check "image/mean and image/std are the dataset's (numpy over the uint8 pixels)" "$PY" - "$TMP/o" <<'PYEOF'
import glob, sys
import numpy as np, tfrec_read as tr
d = sys.argv[1]
px = np.concatenate([tr.decode_image(ex).reshape(-1, 3) / 255.0
                     for f in sorted(glob.glob(d + "/n8-0*.tfrecord")) for ex in tr.read_examples(f)])
mean, std = px.mean(axis=0), px.std(axis=0)
for f in sorted(glob.glob(d + "/nd1-0*.tfrecord")):
    for ex in tr.read_examples(f):
        assert np.allclose(ex["image/mean"], mean, atol=1e-6), (ex["image/mean"], mean)
        assert np.allclose(ex["image/std"], std, atol=1e-6), (ex["image/std"], std)
        x = tr.decode_image(ex).astype(np.float64) * std + mean
        assert x.min() > -0.01 and x.max() < 1.01, (x.min(), x.max())
PYEOF
# shellcheck disable=SC2086
check "--stats-sample 3" "$TFREC" convert $ND --normalize dataset --stats-sample 3 --seed 5 -j 2 -o "$TMP/o/ns" "$PHOTOS"
# shellcheck disable=SC2086
"$TFREC" convert $ND --normalize dataset --stats-sample 3 --seed 5 -j 1 -o "$TMP/o/ns1" "$PHOTOS"
check "a sample gives the same shards for -j 1 and -j 2" cmp "$TMP/o/ns-00000-of-00002.tfrecord" "$TMP/o/ns1-00000-of-00002.tfrecord"
check "and other values than the whole set" sh -c "! cmp -s '$TMP/o/ns-00000-of-00002.tfrecord' '$TMP/o/nd1-00000-of-00002.tfrecord'"
# shellcheck disable=SC2086
check "without -q the values are printed" "$TFREC" convert --no-fsync --resize-short 48 --crop 40x32 --normalize dataset -o "$TMP/o/np" "$PHOTOS"
err_has "with the sample size" "normalizing with the mean and std of 6 images"
check_exit 2 "--stats-sample without --normalize dataset" "$TFREC" convert --stats-sample 3 -o "$TMP/o/x" "$PHOTOS"
check_exit 2 "--normalize dataset with --dtype uint8" "$TFREC" convert --normalize dataset --dtype uint8 -o "$TMP/o/x" "$PHOTOS"

# inspect --stats, text
check "inspect --stats" "$TFREC" inspect --stats "$TMP"/o/a1-*.tfrecord
out_has "shows the mean" "mean "
out_has "and the classes" "goat"
check_exit 2 "--stats with --dump is a usage error" "$TFREC" inspect --stats --dump "$TMP/o/a1-00000-of-00005.tfrecord"
check_exit 1 "--stats on a missing file fails" "$TFREC" inspect --stats "$TMP/o/nothere"
err_has "naming it" "nothere"
done_testing
