#!/bin/sh
# SPDX-License-Identifier: MIT
# Make sure the Debian packages ptsync needs are installed.
#   scripts/deps.sh          install what is missing when root; otherwise
#                            print the exact apt-get line and fail
#   scripts/deps.sh --check  only say what is missing
set -u
PKGS="gcc make pkg-config liburcu-dev libjansson-dev perl gnuplot-nox spin"

missing=""
for p in $PKGS; do
	if command -v dpkg-query >/dev/null 2>&1; then
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
			missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "${1:-}" = "--check" ] || [ "$(id -u)" != 0 ]; then
	echo "ptsync: missing Debian packages:$missing" >&2
	echo "ptsync: install them with: sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "ptsync: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q $missing >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null; } ||
	{ echo "ptsync: apt-get install$missing failed" >&2; exit 1; }
