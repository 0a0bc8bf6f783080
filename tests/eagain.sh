#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The binder beside a loop of renames (tests/stress/renameloop): every
# openat2(RESOLVE_BENEATH) that walks ".." (each bus/pci/devices/ADDR link
# does) can fail with EAGAIN while any rename runs anywhere in the system, as
# it does in early boot. 300 binds on fresh twin-card trees must never give
# the boot VGA to vfio-pci and never leave a planned function out; 100 under
# policy = boot_vga on a tree of eight guest GPUs must bind all sixteen
# functions every time (before the fix, 80 to 130 of 300 twin runs and 125 to
# 256 of 300 eight-GPU runs went wrong here). Counts, not timings: a run that
# read every attribute whole counts as good however long it took.
# VFIO_BINDER_EAGAIN_RUNS (default 300) sets the twin runs, a third of it the others.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

RUNS=${VFIO_BINDER_EAGAIN_RUNS:-300}
mkdir "$TMP/spin"
"$BUILDDIR/tests/stress/renameloop" "$TMP/spin" > "$TMP/renames" &
spinner=$!
trap 'kill "$spinner" 2>/dev/null; rm -rf "$TMP"' EXIT

# bind --no-load writes driver_override and nothing else: resetting those
# gives a fresh tree without a copy (and without a fork: builtins only).
reset_tree() { # DIR
	local f
	for f in "$1"/bus/pci/devices/*/driver_override; do printf '(null)\n' > "$f"; done
}
override() { # DIR ADDR: sets ov to the function's driver_override (no subshell)
	read -r ov < "$1/bus/pci/devices/$2/driver_override"
}

printf '[devices]\nid = 10de:1b81\n' > "$TMP/twins.conf"
"$MKFAKESYS" "$TOPDIR/tests/topologies/twin-gtx1070.txt" "$TMP/twins"
boot_vga_taken=0 left_out=0
for ((i = 0; i < RUNS; i++)); do
	reset_tree "$TMP/twins"
	"$BINDER" --sysfs "$TMP/twins" -c "$TMP/twins.conf" --no-cmdline --log=stderr bind --no-load 2>>"$TMP/twins.log"
	override "$TMP/twins" 0000:01:00.0
	[ "$ov" = "(null)" ] || boot_vga_taken=$((boot_vga_taken + 1))
	for f in 0000:02:00.0 0000:02:00.1; do
		override "$TMP/twins" "$f"
		if [ "$ov" != vfio-pci ]; then
			left_out=$((left_out + 1))
			break
		fi
	done
done
check "twin cards, id = 10de:1b81: the boot VGA's override stayed (null) in every one of $RUNS runs ($boot_vga_taken taken)" \
	[ "$boot_vga_taken" -eq 0 ]
check "twin cards: the guest's GPU and audio bound in every one of $RUNS runs ($left_out left out)" [ "$left_out" -eq 0 ]

# An iGPU for the host, eight guest GPUs with their audio, each in its own group.
{
	echo "0 0000:00:00.0 0x060000 8086:3e30 - host bridge"
	echo "1 0000:00:02.0 0x030000 8086:3e92 1 Intel UHD Graphics 630"
	for ((g = 1; g <= 8; g++)); do
		printf '%d 0000:%02x:00.0 0x030000 10de:1b81 0 GTX 1070\n' $((g + 1)) "$g"
		printf '%d 0000:%02x:00.1 0x040300 10de:10f0 - audio\n' $((g + 1)) "$g"
	done
} > "$TMP/eight.txt"
"$MKFAKESYS" "$TMP/eight.txt" "$TMP/eight"
printf '[binder]\npolicy = boot_vga\n' > "$TMP/eight.conf"
short=0
for ((i = 0; i < RUNS / 3; i++)); do
	reset_tree "$TMP/eight"
	"$BINDER" --sysfs "$TMP/eight" -c "$TMP/eight.conf" --no-cmdline --log=stderr bind --no-load 2>>"$TMP/eight.log"
	n=0
	for f in "$TMP"/eight/bus/pci/devices/*/driver_override; do
		read -r v < "$f"
		[ "$v" != vfio-pci ] || n=$((n + 1))
	done
	[ "$n" -eq 16 ] || short=$((short + 1))
	override "$TMP/eight" 0000:00:02.0
	[ "$ov" = "(null)" ] || short=$((short + 1))
done
check "eight GPUs, policy = boot_vga: all 16 functions and not the iGPU in every one of $((RUNS / 3)) runs ($short short)" \
	[ "$short" -eq 0 ]

kill "$spinner"
wait "$spinner"
renames=$(cut -d' ' -f1 "$TMP/renames")
echo "# $renames renames ran beside the binds"
check "the rename loop ran" [ "${renames:-0}" -gt 1000 ]
if [ "$failures" -gt 0 ]; then
	echo "# first messages of the twin-card runs:"; head -n 20 "$TMP/twins.log"
fi
finish
