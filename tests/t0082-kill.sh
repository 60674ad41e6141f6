#!/bin/sh
# t0082-kill: re-runs into an existing output with other options each
# time, killed (SIGKILL) at random moments: after every kill, each file
# under a final name agrees with the manifest (or there is no manifest),
# and --resume with the last options then gives the bytes of an
# uninterrupted run.  Then two runs on one prefix at once: one fails at
# once naming the lock, the other's output is intact.
. "${TOP_SRCDIR}/tests/lib.sh"
PY=${PYTHON3:-python3}
if ! command -v "$PY" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 is not installed"; exit 0
fi
PHOTOS=$TOP_SRCDIR/sample-data/photos
ROUNDS=${TFREC_KILL_ROUNDS:-24}
SEED=${TFREC_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# kill moments from seed $SEED (TFREC_KILL_SEED to repeat)"
mkdir -p "$TMP/o" "$TMP/ref"

# consistent DIR PREFIX: a manifest, if any, lists exactly the shards
# present, with their sizes and SHA-256; without one, every shard under a
# final name is a whole, sound file.
cat >"$TMP/consistent.py" <<'PYEOF'
import hashlib, json, os, re, sys
d, p = sys.argv[1], sys.argv[2]
shards = sorted(f for f in os.listdir(d)
                if re.fullmatch(re.escape(p) + r"-\d{5}-of-\d{5}\.tfrecord(\.gz|\.zlib)?", f))
m = os.path.join(d, p + ".json")
if not os.path.exists(m):
    print("none")
    sys.exit(0)
man = json.load(open(m))
listed = sorted(s["file"] for s in man["shards"])
if listed != shards:
    sys.exit("manifest lists %s but the folder holds %s" % (listed, shards))
for s in man["shards"]:
    b = open(os.path.join(d, s["file"]), "rb").read()
    if len(b) != s["bytes"] or hashlib.sha256(b).hexdigest() != s["sha256"]:
        sys.exit("%s does not match the manifest" % s["file"])
print("ok")
PYEOF

# rnd N: a number in [0, N) from the seeded stream
i_rnd=0
rnd() {
	i_rnd=$((i_rnd + 1))
	awk -v s="$SEED" -v i="$i_rnd" -v n="$1" 'BEGIN { srand(s); for (k = 0; k < i; k++) x = rand(); print int(x * n) }'
}

pick_opts() {
	case $(rnd 4) in
	0) O="--resize 96x96 --shards 5" ;;
	1) O="--resize 96x96 --shards 3 --shuffle --seed $(rnd 3)" ;;
	2) O="--resize-short 100 --crop 96x96 --records-per-shard 70 --flip --seed 1" ;;
	3) O="--resize 96x96 --shards 4 --compression gzip" ;;
	esac
	case $(rnd 3) in 0) O="$O --resume" ;; esac
	O="$O --flip --copies 40 -j $(($(rnd 2) + 1))"
}

bad=0
killed=0
for r in $(seq 1 "$ROUNDS"); do
	pick_opts
	"$TFREC" convert -q --no-fsync $O -o "$TMP/o/p" "$PHOTOS" 2>"$TMP/run.err" &
	pid=$!
	# a moment from 0 to 0.49 s (a run takes about 0.25 s): before the
	# lock, mid-shard, at the manifest
	# (every other round 0.10 to 0.19 s, so that some die mid-run)
	if [ $((r % 2)) = 0 ]; then sleep "0.1$(rnd 10)"; else sleep "0.$(rnd 5)$(rnd 10)"; fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	if ! res=$("$PY" "$TMP/consistent.py" "$TMP/o" p 2>&1); then
		bad=$((bad + 1))
		echo "# round $r ($O): $res"
	elif [ "$res" = none ]; then
		killed=$((killed + 1))
	fi
	for f in "$TMP"/o/p-*.tfrecord*; do
		[ -e "$f" ] || continue
		case $f in *.idx) continue ;; esac
		"$TFREC" verify -q "$f" >/dev/null 2>&1 || { bad=$((bad + 1)); echo "# round $r: $f is not sound"; }
	done
done
[ $bad = 0 ] && ok "after $ROUNDS re-runs ($killed killed before their manifest), final names always agree with the manifest" ||
	not_ok "after $ROUNDS re-runs, final names agree with the manifest ($bad problems)"
[ "$killed" -ge 1 ] && ok "some runs were killed mid-way ($killed of $ROUNDS)" || not_ok "no run was killed mid-way"

FINAL="--resize 96x96 --shards 4 --shuffle --seed 2 --flip --copies 40"
check "--resume with the final options" "$TFREC" convert -q --no-fsync $FINAL --resume -o "$TMP/o/p" "$PHOTOS"
check "an uninterrupted run" "$TFREC" convert -q --no-fsync $FINAL -o "$TMP/ref/p" "$PHOTOS"
check "the resumed output has the bytes of the uninterrupted run" diff -r "$TMP/o" "$TMP/ref"
n=$(ls -A "$TMP/o" | grep -c 'tmp-\|\.lock$' || true)
[ "$n" -eq 0 ] && ok "no temporary file or lock is left" || not_ok "no temporary file or lock is left ($n)"

# --- two runs on one prefix -----------------------------------------------------
# wait_locked FILE: until a run holds FILE: it writes its pid there once
# it has the lock (probing with flock(1) could make that run fail)
wait_locked() {
	i=0
	while [ ! -s "$1" ] && [ $i -lt 400 ]; do sleep 0.02; i=$((i + 1)); done
}
mkdir -p "$TMP/c" "$TMP/cref"
SLOW="--resize-short 128 --crop 112x112 --random-crop --copies 30 --shards 6 -j 1"
"$TFREC" convert -q --no-fsync $SLOW -o "$TMP/cref/p" "$PHOTOS"
"$TFREC" convert -q --no-fsync $SLOW -o "$TMP/c/p" "$PHOTOS" &
a=$!
wait_locked "$TMP/c/p.lock"
"$TFREC" convert -q --no-fsync --resize 8x8 --shards 2 -o "$TMP/c/p" "$PHOTOS" 2>"$TMP/b.err"
b=$?
kill -0 $a 2>/dev/null && a_alive=1 || a_alive=0
wait $a
a_rc=$?
[ $b = 1 ] && ok "the second run fails" || not_ok "the second run fails (exit $b)"
grep -q "p.lock' is locked by another run (process $a" "$TMP/b.err" && ok "naming the lock and its holder" ||
	{ not_ok "naming the lock and its holder"; sed 's/^/# /' "$TMP/b.err"; }
[ $a_alive = 1 ] && ok "at once: while the first still runs" || not_ok "at once: while the first still runs"
[ $a_rc = 0 ] && ok "the first run succeeds" || not_ok "the first run succeeds (exit $a_rc)"
check "and its output is intact" diff -r "$TMP/c" "$TMP/cref"

# shard too: a shard run on a prefix a convert run holds
"$TFREC" convert -q --no-fsync $SLOW -o "$TMP/c/p" "$PHOTOS" &
a=$!
wait_locked "$TMP/c/p.lock"
check_exit 1 "shard on the same prefix fails too" "$TFREC" shard -q --shards 2 -o "$TMP/c/p" "$TMP"/cref/p-00000-of-00006.tfrecord
err_has "naming the lock" "p.lock' is locked by another run"
wait $a
check "the convert run's output is intact" diff -r "$TMP/c" "$TMP/cref"
done_testing
