#!/bin/sh
# build.sh - install what is missing, build tfrec, and run the main job:
# convert sample-data/photos into float16 shards under out/, then verify
# and inspect them.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)"
rm -rf out && mkdir -p out
./tfrec convert --resize-short 256 --crop 224x224 --shards 2 --index \
	-o out/photos sample-data/photos
./tfrec verify out/photos-*.tfrecord
./tfrec inspect out/photos-00000-of-00002.tfrecord
