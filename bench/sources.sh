#!/bin/sh
# sources.sh - input sources measured against a plain folder.
#
#   sh bench/sources.sh [tar|listing|all]
#
# tar:      converting the real photos of ../shared/testdata/dataset/
#           dali-coco (60 ~1280px JPEGs, copied BENCH_COPIES times, default
#           5) from a plain tar, a tar.gz and a zip, as a ratio of the
#           images per second converting the same files from a folder
#           gives, measured in the same run.  Runs take turns over five
#           rounds (-j 2, --resize-short 256 --crop 224x224), each into an
#           empty directory; the best round of each counts.
# listing:  peak RSS of converting an ImageNet-sized listing (BENCH_ITEMS,
#           default 1,280,000) of 16x16 JPEGs to 8x8 at -j 2: a folder of
#           1,000 class folders (hard links to a few files, with ImageNet's
#           name lengths) and the same as a --list.  The issue's bound is
#           128 MiB.
#
# Needs a built tree.  Data goes to $BENCH_DIR (default bench-data/ in the
# tree, reused between runs).  Measurements, never tests: nothing here
# fails on a slow machine.
set -eu
cd "$(dirname "$0")/.."
TFREC=$(pwd)/tfrec
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
RSS=bench/peak-rss.py
[ -f "$RSS" ] || RSS=scripts/peak-rss.py
D=${BENCH_DIR:-$(pwd)/bench-data}/sources
mkdir -p "$D"
what=${1:-all}

wall() { # wall seconds of "$@"
	s=$(date +%s.%N)
	"$@" >/dev/null
	e=$(date +%s.%N)
	echo "$e - $s" | bc -l
}

bench_tar() {
	src=${TESTDATA:-../shared/testdata}/dataset/dali-coco/images
	if [ ! -d "$src" ]; then
		echo "tar: SKIP, $src is absent"
		return
	fi
	if [ ! -f "$D/photos.tar" ]; then
		rm -rf "$D/photos"
		n=${BENCH_COPIES:-5}
		i=0
		while [ $i -lt "$n" ]; do
			mkdir -p "$D/photos/c$i"
			cp "$src"/*.jpg "$D/photos/c$i/"
			i=$((i + 1))
		done
		tar --sort=name -cf "$D/photos.tar" -C "$D/photos" .
		tar --sort=name -czf "$D/photos.tgz" -C "$D/photos" .
		(cd "$D/photos" && find . -type f | LC_ALL=C sort | zip -q -0 "$D/photos.zip" -@)
	fi
	count=$(find "$D/photos" -type f | wc -l)
	best_dir= best_tar= best_tgz= best_zip= best_sdir= best_stgz= best_szip=
	for round in 1 2 3 4 5; do
		# s...: the same with --shuffle (compressed archives then go
		# through the spool, see tfrec-convert(1))
		for kind in dir tar tgz zip sdir stgz szip; do
			shuf=
			case $kind in
			s*) shuf=--shuffle ;;
			esac
			case $kind in
			dir | sdir) in=$D/photos ;;
			tar) in=$D/photos.tar ;;
			tgz | stgz) in=$D/photos.tgz ;;
			zip | szip) in=$D/photos.zip ;;
			esac
			rm -rf "$D/out"
			mkdir -p "$D/out"
			sync
			t=$(wall "$TFREC" convert -q --no-fsync -j 2 --resize-short 256 --crop 224x224 \
				$shuf --shards 4 -o "$D/out/x" "$in")
			eval "b=\${best_$kind}"
			if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then
				eval "best_$kind=$t"
			fi
		done
		echo "round $round: dir $best_dir tar $best_tar tgz $best_tgz zip $best_zip" \
			"shuffled: dir $best_sdir tgz $best_stgz zip $best_szip (best so far, s)"
	done
	echo "images: $count"
	for kind in tar tgz zip; do
		eval "b=\${best_$kind}"
		echo "$kind/folder images per second: $(echo "$best_dir / $b" | bc -l | cut -c1-5)"
	done
	for kind in tgz zip; do
		eval "b=\${best_s$kind}"
		echo "$kind/folder images per second, both --shuffle: $(echo "$best_sdir / $b" | bc -l | cut -c1-5)"
	done
}

bench_listing() {
	n=${BENCH_ITEMS:-1280000}
	if [ ! -f "$D/tree-$n.done" ]; then
		rm -rf "$D/tree" "$D/tree.list"
		$PY bench/make-tree.py "$D" "$n"
		touch "$D/tree-$n.done"
	fi
	for kind in folder list; do
		rm -rf "$D/out"
		mkdir -p "$D/out"
		if [ $kind = folder ]; then set -- "$D/tree"; else set -- --list "$D/tree.list"; fi
		$PY "$RSS" "$TFREC" convert -q --no-fsync -j 2 --resize 8x8 --shuffle --shards 256 \
			-o "$D/out/x" "$@" 2>"$D/rss.txt" || { cat "$D/rss.txt"; exit 1; }
		echo "listing of $n items, $kind, -j 2: peak RSS $(sed -n 's/^peak_rss_mib //p' "$D/rss.txt") MiB," \
			"$(sed -n 's/^wall_seconds //p' "$D/rss.txt") s"
	done
	rm -rf "$D/out"
}

case $what in
tar) bench_tar ;;
listing) bench_listing ;;
all) bench_tar; bench_listing ;;
*) echo "usage: sh bench/sources.sh [tar|listing|all]" >&2; exit 2 ;;
esac
