#!/bin/sh
# build.sh - install what is missing, build tfrec, and run the main job:
# convert sample-data/photos into float16 shards under out/build/, then verify
# and inspect them.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
# A folder of its own, replaced on each run: a user's outputs elsewhere in
# out/ are left alone.
rm -rf out/build
./tfrec convert --resize-short 256 --crop 224x224 --shards 2 --index \
	-o out/build/photos sample-data/photos
./tfrec verify out/build/photos-*.tfrecord
./tfrec inspect out/build/photos-00000-of-00002.tfrecord
