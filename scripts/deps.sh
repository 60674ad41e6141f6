#!/bin/sh
# deps.sh - install the Debian packages tfrec needs to build and test,
# only those that are missing; uses sudo when not root.
set -eu
PKGS="build-essential autoconf automake pkgconf zlib1g-dev libjpeg62-turbo-dev
libturbojpeg0-dev libpng-dev libprotobuf-c-dev protobuf-c-compiler nettle-dev
python3 python3-numpy mandoc groff-base jq libjpeg-turbo-progs bc"
PKGS="$PKGS libyajl-dev libwebp-dev"
if [ "${1:-}" = "--test" ]; then
	# Sanitizer runtimes and fuzzing need clang's runtime libraries.
	PKGS="$PKGS clang libclang-rt-14-dev libomp-dev valgrind parallel bsdutils"
	# t0140-slurm brings up a one-node Slurm cluster.
	PKGS="$PKGS slurm-wlm munge"
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
