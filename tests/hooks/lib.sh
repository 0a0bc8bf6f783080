#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the hook and boot tests: TOPDIR (source tree) and BUILDDIR (build
# tree) come from make; skips turn into failures under VFIO_BINDER_REQUIRE_ALL=1.

: "${TOPDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILDDIR:=$TOPDIR}"
export TOPDIR BUILDDIR

fails=0
passes=0

skip() {
	if [[ ${VFIO_BINDER_REQUIRE_ALL:-0} == 1 ]]; then
		echo "FAIL: cannot run: $* (VFIO_BINDER_REQUIRE_ALL=1 forbids skipping)" >&2
		exit 1
	fi
	echo "SKIP: $*" >&2
	exit 77
}

pass() {
	passes=$((passes + 1))
	echo "ok - $*"
}

fail() {
	fails=$((fails + 1))
	echo "not ok - $*" >&2
}

# check DESCRIPTION COMMAND...: one assertion
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

finish() {
	echo "$passes passed, $fails failed"
	((fails == 0))
}

# guest_stall CONSOLE-LOG: the first CPU stall report of a QEMU guest's
# serial console (soft lockup or RCU stall), without its timestamp; 1 when
# there is none. A guest that stalled before its boot finished gets one more
# boot from the boot and VM harnesses: the emulator starved it.
guest_stall() {
	local line
	line=$(tr -d '\r' <"$1" |
		grep -m1 -E 'BUG: soft lockup|rcu: INFO: .* (self-)?detected stalls?|rcu_.* self-detected stall') || return 1
	echo "${line#*] }"
}
