#!/bin/sh
# deps.sh - install the Debian packages tfrec needs to build and test,
# only those that are missing; uses sudo when not root.
set -eu
PKGS="build-essential autoconf automake pkgconf zlib1g-dev libjpeg62-turbo-dev
libturbojpeg0-dev libpng-dev libprotobuf-c-dev protobuf-c-compiler nettle-dev
python3 python3-numpy mandoc groff-base jq libjpeg-turbo-progs bc"
# input sources: libarchive, yajl (JSONL); zstd makes the tar.zst test input
PKGS="$PKGS libarchive-dev libyajl-dev zstd"
PKGS="$PKGS libwebp-dev libtiff-dev libgif-dev libopenjp2-7-dev python3-pil"
# Annotations (COCO JSON streamed with yajl, Pascal VOC XML with expat);
# python3-protobuf builds the TF OD API reference records in a test.
PKGS="$PKGS libexpat1-dev python3-protobuf"
if [ "${1:-}" = "--test" ]; then
	# Sanitizer runtimes and fuzzing need clang's runtime libraries.
	PKGS="$PKGS clang libclang-rt-14-dev libomp-dev valgrind parallel bsdutils"
	# The Python package's tests: torch datasets, pip install into a venv.
	PKGS="$PKGS python3-torch python3-pip python3-setuptools python3-venv"
	# t0130 builds a wheel; t0135 builds, lints and installs the Debian
	# packages (man -w, a pkg-config build).
	PKGS="$PKGS python3-wheel debhelper dh-python lintian dpkg-dev man-db"
	# t0190-slurm brings up a one-node Slurm cluster.
	PKGS="$PKGS slurm-wlm munge"
	# t0150 counts the spool's opens with strace.
	PKGS="$PKGS strace"
fi
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps.sh: installing:$missing" >&2
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
