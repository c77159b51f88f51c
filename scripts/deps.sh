#!/bin/sh
# deps.sh — make sure the Debian packages coop needs are installed.
#
#   scripts/deps.sh            build + run + test dependencies (called by make)
#   scripts/deps.sh --fuzz     also clang (libFuzzer)
#   scripts/deps.sh --bench    also libmimalloc-dev, and cargo + Debian's tokio,
#                              futures and crossbeam-channel crates (the Rust
#                              peers; cargo builds them offline)
#   scripts/deps.sh --all      everything
#
# Silent when everything is present.  As root, missing packages are installed
# with apt-get; otherwise the exact command to run is printed and we fail, so
# a build never half-works on a machine without, say, OVMF.
set -eu

# gdb: make debug and its test; util-linux and e2fsprogs: make usb's tests
# (loop devices, a private mount namespace).
PKGS="gnu-efi ovmf qemu-system-x86 mtools dosfstools console-setup-linux python3 gdb \
util-linux e2fsprogs"
BENCH_PKGS="libmimalloc-dev librust-tokio-dev librust-futures-dev librust-crossbeam-channel-dev"
# A cargo already on PATH (rustup) will do; else Debian's.
command -v cargo >/dev/null 2>&1 || BENCH_PKGS="$BENCH_PKGS cargo"
for arg in "$@"; do
	case "$arg" in
	--fuzz)  PKGS="$PKGS clang" ;;
	--bench) PKGS="$PKGS $BENCH_PKGS" ;;
	--all)   PKGS="$PKGS clang $BENCH_PKGS" ;;
	*) echo "usage: $0 [--fuzz] [--bench] [--all]" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian-like system (no dpkg-query); install by hand: $PKGS" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: install them with:" >&2
	echo "    sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
