#!/bin/sh
# parallel.sh - convert with GNU parallel, one job per part of the
# shards, then merge the part manifests.  Add '--sshloginfile nodes.txt'
# to the parallel line to spread the parts over machines that share the
# output directory.
#
#   sh examples/parallel.sh data/train out/train 4
set -eu
data=${1:?usage: parallel.sh DATA OUT [PARTS]}
out=${2:?usage: parallel.sh DATA OUT [PARTS]}
n=${3:-4}
: "${TFREC:=tfrec}"
: "${SHARDS:=64}"
: "${CONVERT_OPTS:=--resize-short 256 --crop 224x224}"
# CONVERT_OPTS is split into words on purpose.
# shellcheck disable=SC2086
parallel --will-cite --halt now,fail=1 \
	"$TFREC" convert -q -j 1 --part {}/"$n" --shards "$SHARDS" $CONVERT_OPTS \
	-o "$out" "$data" ::: $(seq 1 "$n")
"$TFREC" manifest merge -q "$out"
