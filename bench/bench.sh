#!/bin/sh
# bench.sh - speed and memory of tfrec, measured on generated data.
#
#   sh bench/bench.sh [verify|convert|shard|all]
#
# Needs a built tree (scripts/build.sh); builds its TurboJPEG baseline
# (bench/tjdecode) itself, and makes its test photos with netpbm's
# pngtopnm and libjpeg-turbo's cjpeg.  Data goes to $BENCH_DIR
# (default: bench-data/ in the tree, reused between runs).  Sizes:
#   BENCH_GB      size of the verify file in GiB (default 2)
#   BENCH_IMAGES  number of ~1 MP JPEGs for convert (default 200)
#   BENCH_MB      size of the shard input in MiB (default 400)
# Timings are the best of three runs (five interleaved rounds for
# convert and its baseline), on a warm page cache.  These are
# measurements, never tests: nothing here fails on a slow machine.
set -eu
cd "$(dirname "$0")/.."
TFREC=$(pwd)/tfrec
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
D=${BENCH_DIR:-$(pwd)/bench-data}
mkdir -p "$D"
what=${1:-all}

wall() { # prints the wall time in seconds of "$@"
	s=$(date +%s.%N)
	"$@" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

best_of_3() { # prints the best wall time in seconds of "$@"
	b=
	for _ in 1 2 3; do
		t=$(wall "$@")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
	done
	echo "$b"
}

rss() { # peak RSS in MiB of "$@"
	$PY bench/peak-rss.py "$@" 2>&1 >/dev/null | sed -n 's/^peak_rss_mib //p'
}

cpu_wall() { # CPU seconds (user + system), then wall seconds, of "$@"
	$PY bench/peak-rss.py "$@" 2>&1 >/dev/null |
		sed -n 's/^cpu_seconds //p; s/^wall_seconds //p' | tr '\n' ' '
}

bench_verify() {
	gb=${BENCH_GB:-2}
	f=$D/verify-${gb}g.tfrecord
	if [ ! -f "$f" ]; then
		$PY tests/gen-records.py big "$D/seed.tfrecord" 256   # 256 x 4 KiB
		n=$((gb * 1024))                                       # ~1 MiB each
		set --
		i=0
		while [ $i -lt "$n" ]; do set -- "$@" "$D/seed.tfrecord"; i=$((i + 1)); done
		"$TFREC" shard -q --no-fsync --shards 1 -o "$D/verify-tmp" "$@"
		mv "$D/verify-tmp-00000-of-00001.tfrecord" "$f"
		rm -f "$D/verify-tmp.json"
	fi
	bytes=$(stat -c %s "$f")
	recs=$("$TFREC" inspect --count "$f" | cut -d' ' -f1)
	cat "$f" >/dev/null
	t=$(best_of_3 "$TFREC" verify -q --no-examples "$f")
	t0=$(best_of_3 env TFREC_NO_SIMD=1 "$TFREC" verify -q --no-examples "$f")
	tc=$(best_of_3 "$TFREC" inspect --count "$f")
	tx=$(best_of_3 "$TFREC" verify -q "$f")
	echo "verify: $bytes bytes, $recs records"
	printf '  verify --no-examples (sse4.2)  %6.2f GB/s\n' "$(echo "$bytes / $t / 1000000000" | bc -l)"
	printf '  verify --no-examples (portable) %5.2f GB/s\n' "$(echo "$bytes / $t0 / 1000000000" | bc -l)"
	printf '  verify with Example parsing    %6.2f GB/s\n' "$(echo "$bytes / $tx / 1000000000" | bc -l)"
	printf '  inspect --count                %6.0f records/s\n' "$(echo "$recs / $tc" | bc -l)"
}

make_photos() { # N ~1 MP JPEGs from the sample photos, upscaled
	n=$1
	dir=$D/photos-$n
	[ -d "$dir" ] && { echo "$dir"; return; }
	mkdir -p "$dir.tmp/big"
	"$TFREC" convert -q --no-fsync --resize 1224x816 --dtype uint8 --shards 1 \
		-o "$dir.tmp/big/p" sample-data/photos
	# The uint8 pictures come back exactly through inspect --export.
	"$TFREC" inspect --export "$dir.tmp/png" "$dir.tmp/big/p-00000-of-00001.tfrecord" >/dev/null 2>&1
	for k in 0 1 2 3 4 5; do
		pngtopnm "$dir.tmp/png/$(printf %05d $k).png" >"$dir.tmp/$k.ppm"
		cjpeg -quality 90 "$dir.tmp/$k.ppm" >"$dir.tmp/$k.jpg"
	done
	mkdir -p "$dir/all"
	i=0
	while [ $i -lt "$n" ]; do
		cp "$dir.tmp/$((i % 6)).jpg" "$dir/all/img-$(printf %05d $i).jpg"
		i=$((i + 1))
	done
	rm -rf "$dir.tmp"
	echo "$dir"
}

bench_convert() {
	make -s bench/tjdecode
	n=${BENCH_IMAGES:-200}
	p1=$(make_photos "$n")
	p5=$(make_photos $((n * 5)))
	args="-q --no-fsync --resize-short 256 --crop 224x224 --shards 8"
	# Timed on the larger set: a longer run is a steadier measurement.
	nt=$((n * 5))
	files=$(ls "$p5"/all/*.jpg)
	cat $files >/dev/null
	# The machine may be shared: the baseline and both convert runs take
	# turns for five rounds, so that a slow spell hits them alike; each
	# keeps its best.  Single-threaded runs are compared by wall time and
	# by CPU time (user + system), which a busy neighbour or a disk stall
	# does not inflate; -j 2 against -j 1 is also given as the median of
	# the rounds' ratios.  Every run writes into an empty directory after
	# a sync: renaming over the last run's shards would make ext4 start
	# their writeback at the rename (auto_da_alloc), and writeback left
	# over from the last run would compete for the CPUs.
	rounds=$D/rounds.txt
	: >"$rounds"
	for k in 1 2 3 4 5; do
		# shellcheck disable=SC2086
		tjr=$(./bench/tjdecode $files)
		rm -rf "$D/out" && mkdir -p "$D/out" && sync
		j1=$(cpu_wall "$TFREC" convert -j 1 $args -o "$D/out/c" "$p5")
		rm -rf "$D/out" && mkdir -p "$D/out" && sync
		j2=$(cpu_wall "$TFREC" convert -j 2 $args -o "$D/out/c" "$p5")
		echo "$tjr $j1 $j2" >>"$rounds"
	done
	rm -rf "$D/out" && mkdir -p "$D/out"
	r1=$(rss "$TFREC" convert -j 2 $args -o "$D/out/c" "$p1")
	r5=$(rss "$TFREC" convert -j 2 $args -o "$D/out/c" "$p5")
	echo "convert: $nt JPEGs of 1224x816 (1.0 MP), --resize-short 256 --crop 224x224, float16"
	$PY - "$rounds" "$nt" <<'PYEOF'
import statistics, sys
# per round: tj images/s (wall), tj images/s (CPU), -j1 CPU s, -j1 wall s,
# -j2 CPU s, -j2 wall s
rows = [[float(x) for x in l.split()] for l in open(sys.argv[1]) if l.strip()]
n = int(sys.argv[2])
tj = max(r[0] for r in rows)
tjc = max(r[1] for r in rows)
j1 = n / min(r[3] for r in rows)
j1c = n / min(r[2] for r in rows)
j2 = n / min(r[5] for r in rows)
med = statistics.median(r[3] / r[5] for r in rows)
print("                                   images/s (wall)      per CPU-second")
print("  TurboJPEG full-size decode only  %7.1f              %7.1f" % (tj, tjc))
print("  tfrec convert -j 1               %7.1f (%.2fx)      %7.1f (%.2fx the bare decode)"
      % (j1, j1 / tj, j1c, j1c / tjc))
print("  tfrec convert -j 2               %7.1f (%.2fx -j 1; median of rounds %.2fx)"
      % (j2, j2 / j1, med))
PYEOF
	printf '  peak RSS, %d images              %7.1f MiB\n' "$n" "$r1"
	printf '  peak RSS, %d images             %7.1f MiB\n' $((n * 5)) "$r5"
}

bench_shard() {
	mb=${BENCH_MB:-400}
	f=$D/shard-${mb}m.tfrecord
	if [ ! -f "$f" ]; then
		$PY tests/gen-records.py big "$D/seed.tfrecord" 256
		set --
		i=0
		while [ $i -lt "$mb" ]; do set -- "$@" "$D/seed.tfrecord"; i=$((i + 1)); done
		"$TFREC" shard -q --no-fsync --shuffle --shards 1 -o "$D/shard-tmp" "$@"
		mv "$D/shard-tmp-00000-of-00001.tfrecord" "$f"
		rm -f "$D/shard-tmp.json"
	fi
	bytes=$(stat -c %s "$f")
	mkdir -p "$D/sh"
	cat "$f" >/dev/null
	tcp=$(best_of_3 cp "$f" "$D/sh/copy")
	rm -f "$D/sh/copy"
	ts=$(best_of_3 "$TFREC" shard -q --no-fsync --shards 8 -o "$D/sh/s" "$f")
	tz=$(best_of_3 "$TFREC" shard -q --no-fsync --shuffle --shards 8 -o "$D/sh/z" "$f")
	r=$(rss "$TFREC" shard -q --no-fsync --shuffle --shards 8 -o "$D/sh/z" "$f")
	echo "shard: $bytes bytes of 4 KiB records"
	printf '  cp                      %6.2f GB/s\n' "$(echo "$bytes / $tcp / 1000000000" | bc -l)"
	printf '  shard --shards 8        %6.2f GB/s  (%.2fx cp)\n' "$(echo "$bytes / $ts / 1000000000" | bc -l)" "$(echo "$tcp / $ts" | bc -l)"
	printf '  shard --shuffle         %6.2f GB/s, peak RSS %.1f MiB\n' "$(echo "$bytes / $tz / 1000000000" | bc -l)" "$r"
	rm -rf "$D/sh"
}

case $what in
verify) bench_verify ;;
convert) bench_convert ;;
shard) bench_shard ;;
all) bench_verify; bench_convert; bench_shard ;;
*) echo "usage: bench.sh [verify|convert|shard|all]" >&2; exit 2 ;;
esac
