#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every log line reaches the kernel log: /dev/kmsg lets one open file write 10
# records per 5 seconds and silently drops the rest, and refuses a record of
# more than about 1 KiB. bind --log=kmsg on a fake tree of twelve guest GPUs
# (37 lines) must leave every line in dmesg, and a message of 3,000 bytes
# must arrive whole, in pieces. Writing test lines to the kernel log is
# harmless; the fake tree keeps the machine's own devices out of it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

skip() { echo "SKIP: $*"; [ -z "${VFIO_BINDER_REQUIRE_ALL:-}" ] || exit 1; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root to write /dev/kmsg and read dmesg"
[ -w /dev/kmsg ] || skip "/dev/kmsg is not writable here"
command -v dmesg >/dev/null || skip "dmesg not found (Debian package util-linux)"

tag="kmsg-test-$$-$RANDOM"
# The kernel log between two markers of this run, one line a record, without timestamps.
between() {
	dmesg | sed -n "/vfio-binder-test: begin $tag\$/,/vfio-binder-test: end $tag\$/p" | sed 's/^\[[^]]*\] //'
}
mark() { echo "vfio-binder-test: $1 $tag" > /dev/kmsg; }

# Twelve guest GPUs of three functions each and an iGPU for the host.
{
	echo "1 0000:00:02.0 0x030000 8086:3e92 1 Intel UHD Graphics 630"
	for ((g = 1; g <= 12; g++)); do
		printf '%d 0000:%02x:00.0 0x030000 10de:1e87 0 RTX 2080\n' $((g + 1)) "$g"
		printf '%d 0000:%02x:00.1 0x040300 10de:10f8 - audio\n' $((g + 1)) "$g"
		printf '%d 0000:%02x:00.2 0x0c0330 10de:1ad8 - USB\n' $((g + 1)) "$g"
	done
} > "$TMP/twelve.txt"
"$MKFAKESYS" "$TMP/twelve.txt" "$TMP/twelve"
printf '[binder]\npolicy = boot_vga\n' > "$TMP/vfio.conf"

mark begin
"$BINDER" --sysfs "$TMP/twelve" -c "$TMP/vfio.conf" --no-cmdline --log=kmsg bind --no-load 2> "$TMP/stderr"
rc=$?
mark end
between > "$TMP/log"
check "bind on the twelve-GPU tree succeeds (exit $rc)" [ "$rc" -eq 0 ]
n=$(grep -c '^vfio-binder: .* -> vfio-pci ' "$TMP/log")
check "all 36 '-> vfio-pci' lines are in dmesg ($n)" [ "$n" -eq 36 ]
check "the boot VGA's line is in dmesg" grep -q '^vfio-binder: 0000:00:02.0 \[8086:3e92\]: skipped: boot VGA' "$TMP/log"
check "the last function's line is in dmesg" grep -q '^vfio-binder: 0000:0c:00.2 \[10de:1ad8\] -> vfio-pci' "$TMP/log"
check "no line was suppressed by the kernel's rate limit" bash -c "! grep -q 'suppressed due to ratelimiting' '$TMP/log'"
check "--log=kmsg writes nothing to stderr" test ! -s "$TMP/stderr"

# A message of more than 3,000 bytes: the sysfs root named by a long path.
tag=$tag-long
long=$TMP/nowhere
while [ "${#long}" -lt 3000 ]; do long=$long/abcdefghijklmnopqrstuvwxyz0123456789; done
mark begin
"$BINDER" --sysfs "$long" -c "$TMP/vfio.conf" --no-cmdline --log=kmsg bind 2> "$TMP/stderr"
rc=$?
mark end
between | grep '^vfio-binder: ' | sed 's/^vfio-binder: //' > "$TMP/pieces"
check "an unopenable sysfs root is a usage error (exit $rc)" [ "$rc" -eq 2 ]
pieces=$(grep -c . "$TMP/pieces")
check "the long message arrived in several records ($pieces)" [ "$pieces" -ge 4 ]
joined=$(tr -d '\n' < "$TMP/pieces")
check "joined, the records hold the whole message" \
	[ "$joined" = "cannot open the sysfs root $long: No such file or directory" ]
over=$(awk 'length($0) > 976' "$TMP/pieces" | wc -l)
check "no record is longer than 976 bytes ($over)" [ "$over" -eq 0 ]
finish
