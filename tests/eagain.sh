#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# openat2() with RESOLVE_BENEATH says EAGAIN when a mount or rename anywhere
# on the system races with a ".." of the lookup (every bus/pci/devices link
# has three): on a busy host reads failed at random with "cannot read its
# class (Resource temporarily unavailable)". sysfs_openat() retries, then
# walks the path in userspace. strace injects the EAGAINs here, into this
# process only: a real mount loop would disturb every other test that runs
# at the same time.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"
export LC_ALL=C

if ! command -v strace >/dev/null || ! strace -qq -o /dev/null true 2>/dev/null; then
	[ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ] && { echo "FAIL: strace is needed (Debian package strace)"; exit 1; }
	echo "SKIP: no working strace (Debian package strace)"
	exit 77
fi

TOPO=turing-4fn-amd-host
expected="$TOPDIR/tests/expected/plan/$TOPO.boot_vga.txt"
tree=$(fake_tree "$TOPO")
conf="$TOPDIR/tests/conf/boot_vga.conf"

# plan_with WHEN: plan with EAGAIN injected into the openat2 calls strace's
# "when=" selects; the output to $TMP/out, the trace to $TMP/trace.
plan_with() {
	strace -qq -y -o "$TMP/trace" -e trace=openat2,openat -e "inject=openat2:error=EAGAIN:when=$1" \
		"$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline plan >"$TMP/out" 2>&1
}

strace -qq -o "$TMP/trace" -e trace=openat2 "$BINDER" --sysfs "$tree" -c "$conf" --no-cmdline plan >/dev/null 2>&1
if ! grep -q '^openat2(' "$TMP/trace"; then
	[ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ] && { echo "FAIL: the binder makes no openat2 call here (kernel before 5.6?)"; exit 1; }
	echo "SKIP: the binder makes no openat2 call here (kernel before 5.6?)"
	exit 77
fi

# 1. Seven EAGAINs in a row: the first path's eighth try gets through.
plan_with 1..7
check "7 EAGAINs: plan as without them" diff -u "$expected" "$TMP/out"
check "7 EAGAINs: injected" test "$(grep -c 'EAGAIN.*(INJECTED)' "$TMP/trace")" -eq 7
# The walk's opens are relative to a directory descriptor; the configuration
# and the libraries are opened from AT_FDCWD.
check "7 EAGAINs: no fallback walk needed" sh -c "! grep -q '^openat([0-9]' '$TMP/trace'"

# 2. Every other call: each path fails once and is retried.
plan_with 1+2
check "every other openat2 EAGAIN: plan as without them" diff -u "$expected" "$TMP/out"

# 3. Every call: each path ends in the userspace walk (openat), still beneath the root.
plan_with 1+
check "every openat2 EAGAIN: plan as without them" diff -u "$expected" "$TMP/out"
check "every openat2 EAGAIN: the paths were opened by the userspace walk" \
	grep -q "^openat([0-9]*<${tree}[^>]*>, \".*/class\"" "$TMP/trace"
check "every openat2 EAGAIN: every walk step starts inside the tree" \
	sh -c "! grep '^openat([0-9]' '$TMP/trace' | grep -v '^openat([0-9]*<${tree}[/>]'"
finish
