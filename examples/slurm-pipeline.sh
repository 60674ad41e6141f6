#!/bin/sh
# slurm-pipeline.sh - submit the whole job without waiting: the convert
# array, then the shuffle array once every convert task succeeded, then
# one small job that merges both manifests.
#
#   DATA=/data/train OUT=/shared/tfrec/train sh examples/slurm-pipeline.sh 16 8
set -eu
: "${OUT:=/shared/tfrec/train}"
here=$(dirname "$0")
c=$(sbatch --parsable --array=1-"${1:-16}" "$here/slurm-convert.sbatch")
s=$(env IN="$OUT" OUT="$OUT-shuffled" sbatch --parsable --array=1-"${2:-8}" \
	--dependency=afterok:"$c" "$here/slurm-shard.sbatch")
sbatch --parsable --dependency=afterok:"$s" --job-name=tfrec-merge \
	--wrap "${TFREC:-tfrec} manifest merge '$OUT' && ${TFREC:-tfrec} manifest merge '$OUT-shuffled'"
