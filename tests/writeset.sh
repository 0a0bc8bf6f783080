#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What bind writes, recorded by strace: every open, openat and openat2 the
# binder makes with a write flag (sysfs.c calls openat2 through syscall(),
# which an LD_PRELOAD shim would not see). The set of files opened for
# writing must be exactly the planned driver_override files, drivers_probe,
# driver/unbind when unbind = yes, reset_method when a device line sets it,
# and sriov_drivers_autoprobe and sriov_numvfs of a vfs = or [sriov] PF; links that lead out of the sysfs root
# are never followed for a write; and a device that vanishes, a group that
# cannot be listed, or attributes that read as garbage give messages, never
# a crash. strace's fault injection makes "vanishes between plan and write"
# happen at exactly that moment.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"
export LC_ALL=C

if ! command -v strace >/dev/null || ! strace -qq -o /dev/null true 2>/dev/null; then
	[ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ] && { echo "FAIL: strace is needed (Debian package strace)"; exit 1; }
	echo "SKIP: no working strace (Debian package strace)"
	exit 77
fi

TOPO=skylake-gtx1070-igd-host
OUT="$TMP/outside"		# a directory beside the tree: never to be written
mkdir -p "$OUT/drv"
printf 'victim\n' > "$OUT/victim"
printf '' > "$OUT/probe"
printf '' > "$OUT/drv/unbind"
printf '[devices]\ndevice = 01:00.0\n' > "$TMP/dev01.conf"
printf '[binder]\nunbind = yes\n[devices]\ndevice = 01:00.0\n' > "$TMP/unbind.conf"
out_before=$(snapshot "$OUT")

# Runs the binder under strace; the trace goes to $TMP/trace, the messages to $TMP/out.
traced() { # STRACE-EXTRA-ARGS... -- BINDER-ARGS...
	local extra=()
	while [ "$1" != -- ]; do extra+=("$1"); shift; done
	shift
	# LeakSanitizer cannot run under ptrace; the sanitizer build checks leaks everywhere else.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		strace -f -qq -y -e trace=open,openat,openat2,creat "${extra[@]}" -o "$TMP/trace" \
		"$BINDER" "$@" > "$TMP/out" 2>&1
}

# "DIR/REL RESULT" for every open with a write flag: RESULT is the file the
# kernel opened (strace -y) or the error.
write_opens() {
	grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND' "$TMP/trace" |
		sed -E 's/^[0-9]+ +(open|openat|openat2|creat)\(([0-9]+<([^>]*)>|AT_FDCWD), "([^"]*)".*\) = (-1 [A-Z]+|[0-9]+<[^>]*>).*$/\3\/\4 \5/;
			s/ [0-9]+<(.*)>$/ \1/'
}
attempted() { write_opens | cut -d' ' -f1 | sort -u; }
# Only the files actually opened: "-1 ENOENT" and the like are left out.
opened() { write_opens | awk '$2 !~ /^-1/ { print $2 }' | sort -u; }

expect_set() { # DESCRIPTION ACTUAL EXPECTED-LINES...
	local d=$1 actual=$2 want
	shift 2
	want=$(printf '%s\n' "$@" | sort -u)
	if [ "$actual" = "$want" ]; then pass; else fail "$d"; echo "expected:"; echo "$want"; echo "got:"; echo "$actual"; fi
}

# 1. A plain bind: the two overrides of the slot and the probe, nothing else.
tree=$(fake_tree "$TOPO")
traced -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
check "bind exits 0" [ $? -eq 0 ]
expect_set "bind writes exactly the planned files" "$(attempted)" \
	"$tree/bus/pci/devices/0000:01:00.0/driver_override" \
	"$tree/bus/pci/devices/0000:01:00.1/driver_override" \
	"$tree/bus/pci/drivers_probe"
expect_set "bind opens exactly the planned files, inside the tree" "$(opened)" \
	"$tree/devices/pci0000:00/0000:01:00.0/driver_override" \
	"$tree/devices/pci0000:00/0000:01:00.1/driver_override" \
	"$tree/bus/pci/drivers_probe"
# openat2 since Linux 5.6; sysfs.c falls back to openat before that.
sc=openat2
grep -qE '^[0-9]+ +openat2\(' "$TMP/trace" || sc=openat
check "the trace saw the override writes (the recorder works)" grep -qE "^[0-9]+ +$sc\\(.*driver_override" "$TMP/trace"
# Which $sc call writes the first override, and which lists group 1: the fault cases below hit them.
first_write=$(grep -E "^[0-9]+ +$sc\\(" "$TMP/trace" | grep -nE 'driver_override", (\{flags=)?O_WRONLY' | head -n1 | cut -d: -f1)
group_list=$(grep -E "^[0-9]+ +$sc\\(" "$TMP/trace" | grep -n '"kernel/iommu_groups/1/devices"' | head -n1 | cut -d: -f1)

# 1b. reset_method= and [sriov] with vfs =: reset_method before the override,
#     and the PF's sriov_drivers_autoprobe and sriov_numvfs; nothing else.
tree=$(fake_tree "$TOPO" "@attr 0000:00:1f.6 sriov_totalvfs 4
@attr 0000:00:1f.6 sriov_numvfs 0
@attr 0000:00:1f.6 sriov_drivers_autoprobe 1
@driver 0000:00:1f.6 e1000e")
printf '[devices]\ndevice = 01:00.0 reset_method=bus\nvfs = 00:1f.6\n[sriov]\n00:1f.6 = 2\n' > "$TMP/sriov.conf"
traced -- --sysfs "$tree" -c "$TMP/sriov.conf" --no-cmdline bind
check "bind with reset_method and [sriov] exits 0" [ $? -eq 0 ]
expect_set "reset_method and [sriov] add exactly their attributes" "$(attempted)" \
	"$tree/bus/pci/devices/0000:00:1f.6/sriov_drivers_autoprobe" \
	"$tree/bus/pci/devices/0000:00:1f.6/sriov_numvfs" \
	"$tree/bus/pci/devices/0000:01:00.0/reset_method" \
	"$tree/bus/pci/devices/0000:01:00.0/driver_override" \
	"$tree/bus/pci/devices/0000:01:00.1/driver_override" \
	"$tree/bus/pci/drivers_probe"

# 2. unbind = yes takes the audio function from its driver: driver/unbind too.
tree=$(fake_tree "$TOPO" "@driver 0000:01:00.1 snd_hda_intel")
traced -- --sysfs "$tree" -c "$TMP/unbind.conf" --no-cmdline bind
# A fake tree has no kernel to drop the driver link, so the read-back says partial failure.
check "bind with unbind exits 1 on a fake tree" [ $? -eq 1 ]
expect_set "unbind = yes adds exactly driver/unbind" "$(attempted)" \
	"$tree/bus/pci/devices/0000:01:00.0/driver_override" \
	"$tree/bus/pci/devices/0000:01:00.1/driver_override" \
	"$tree/bus/pci/devices/0000:01:00.1/driver/unbind" \
	"$tree/bus/pci/drivers_probe"
check "the unbind went to the driver's own file" grep -qx 0000:01:00.1 "$tree/bus/pci/drivers/snd_hda_intel/unbind"
# Without unbind = yes the bound function is left alone: no unbind at all.
tree=$(fake_tree "$TOPO" "@driver 0000:01:00.1 snd_hda_intel")
traced -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
check "unbind = no: partial failure" [ $? -eq 1 ]
# ... and neither is the GPU that shares its IOMMU group: a guest could not have it.
expect_set "unbind = no: the bound function and its group are not written" "$(attempted)"

# 3. Links out of the root, with openat2's RESOLVE_BENEATH and again with
#    openat2 failing ENOSYS (kernels before 5.6, some seccomp filters), where
#    sysfs.c walks the path itself.
hostile_links() { # LABEL STRACE-ARGS...
	local label=$1 mode=("${@:2}") rc m dev
	tree=$(fake_tree "$TOPO")
	dev="$tree/devices/pci0000:00"
	ln -sfn "$OUT/victim" "$dev/0000:01:00.0/driver_override"
	rm "$tree/bus/pci/drivers_probe"
	ln -s ../../../outside/probe "$tree/bus/pci/drivers_probe"
	traced "${mode[@]}" -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
	rc=$?
	if [ "${#mode[@]}" -gt 0 ]; then
		check "${label}the binder fell back to openat" grep -qE '^[0-9]+ +openat\(.*driver_override' "$TMP/trace"
	fi
	check "${label}links out of the root: partial failure, not a crash (exit $rc)" [ "$rc" -eq 1 ]
	check "${label}override link out of the root not read" \
		grep -qF "vfio-binder: 0000:01:00.0: unreadable driver_override: Invalid cross-device link" "$TMP/out"
	check "${label}override link not followed for the write, with a message" \
		grep -qF "vfio-binder: 0000:01:00.0 [10de:1b81]: cannot write 'vfio-pci' to driver_override: Too many levels of symbolic links; skipped" "$TMP/out"
	# a card goes whole or not at all: its audio is not left on vfio-pci without its GPU
	check "${label}the other function of the card is given back" test -z "$(cat "$dev/0000:01:00.1/driver_override")"
	check "${label}probe link out of the root not followed, with a message" \
		grep -qF "vfio-binder: 0000:01:00.1: cannot give it back to the host (driver_override cleared, then a native probe): Too many levels of symbolic links" "$TMP/out"
	check "${label}links out of the root: nothing outside changed" test "$out_before" = "$(snapshot "$OUT")"
	opened_outside=$(opened | grep -v "^$tree/" || true)
	check "${label}links out of the root: no write-open resolved outside" test -z "$opened_outside"

	tree=$(fake_tree "$TOPO" "@driver 0000:01:00.1 snd_hda_intel")
	dev="$tree/devices/pci0000:00"
	ln -sfn "$OUT/drv" "$dev/0000:01:00.1/driver"
	traced "${mode[@]}" -- --sysfs "$tree" -c "$TMP/unbind.conf" --no-cmdline bind
	rc=$?
	check "${label}driver link out of the root: partial failure (exit $rc)" [ "$rc" -eq 1 ]
	check "${label}driver link out of the root not followed for unbind, with a message" \
		grep -qF "vfio-binder: 0000:01:00.1 [10de:10f0]: cannot unbind it from drv: Invalid cross-device link" "$TMP/out"
	check "${label}driver link out of the root: nothing outside changed" test "$out_before" = "$(snapshot "$OUT")"
	opened_outside=$(opened | grep -v "^$tree/" || true)
	check "${label}driver link out of the root: no write-open resolved outside" test -z "$opened_outside"

	# 3c. A device entry that is itself a link out of the root, to a directory
	#     that looks like a device bound to a driver: nothing of it is read or written.
	mkdir -p "$OUT/dev0"
	printf '0x040300\n' > "$OUT/dev0/class"
	printf '(null)\n' > "$OUT/dev0/driver_override"
	ln -sfn ../drv "$OUT/dev0/driver"
	out_before=$(snapshot "$OUT")
	tree=$(fake_tree "$TOPO")
	ln -sfn "$OUT/dev0" "$tree/bus/pci/devices/0000:01:00.1"
	traced "${mode[@]}" -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
	rc=$?
	# What cannot be read is refused, and its card with it: nothing is written at all.
	check "${label}device link out of the root: refused, not a failure (exit $rc)" [ "$rc" -eq 0 ]
	for m in "0000:01:00.1: unreadable driver link: Invalid cross-device link" \
		"0000:01:00.1 [ffff:ffff]: skipped: cannot read class: Invalid cross-device link" \
		"0000:01:00.0 [10de:1b81]: skipped: IOMMU group 1 also holds 0000:01:00.1 (unreadable)"; do
		check "${label}device link out of the root: '$m'" grep -qxF "vfio-binder: $m" "$TMP/out"
	done
	check "${label}device link out of the root: no write-open at all" test -z "$(attempted)"
	check "${label}device link out of the root: nothing outside changed" test "$out_before" = "$(snapshot "$OUT")"
	opened_outside=$(opened | grep -v "^$tree/" || true)
	check "${label}device link out of the root: no write-open resolved outside" test -z "$opened_outside"
}
hostile_links ""
hostile_links "without openat2: " -e inject=openat2:error=ENOSYS

# 4. The device vanishes between plan and write: the first override write fails with ENODEV.
tree=$(fake_tree "$TOPO")
traced -e "inject=$sc:error=ENODEV:when=$first_write" -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
rc=$?
check "device gone at write time: partial failure (exit $rc)" [ "$rc" -eq 1 ]
check "device gone: message names it and the error" \
	grep -qF "vfio-binder: 0000:01:00.0 [10de:1b81]: cannot write 'vfio-pci' to driver_override: No such device; skipped" "$TMP/out"
check "device gone: the rest of its card is given back, not left on the driver alone" \
	test -z "$(cat "$tree/bus/pci/devices/0000:01:00.1/driver_override")"
check "device gone: it is not probed" test "$(cat "$tree/bus/pci/drivers_probe")" = 0000:01:00.1
# The same, as a real removal: the device's directory disappears before the write.
tree=$(fake_tree "$TOPO")
traced -e "inject=$sc:error=ENOENT:when=$first_write" -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
check "device removed: partial failure" [ $? -eq 1 ]
check "device removed: message" \
	grep -qF "vfio-binder: 0000:01:00.0 [10de:1b81]: cannot write 'vfio-pci' to driver_override: No such file or directory; skipped" "$TMP/out"

# 5. The IOMMU group cannot be listed when its members are read (it changed under us).
tree=$(fake_tree "$TOPO")
traced -e "inject=$sc:error=ENOENT:when=$group_list" -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
rc=$?
check "group gone: exits 0, nothing bound on a guess (exit $rc)" [ "$rc" -eq 0 ]
check "group gone: message" grep -qF "vfio-binder: 0000:01:00.0 [10de:1b81]: skipped: cannot read the devices of its IOMMU group: No such file or directory" "$TMP/out"
check "group gone: no write-open at all" test -z "$(attempted)"
# A group that changed half-way: the GPU's link now says group 2 (the host's
# iGPU), while group 1 still lists it. The group check must refuse it.
tree=$(fake_tree "$TOPO")
dev="$tree/devices/pci0000:00"
ln -sfn ../../../kernel/iommu_groups/2 "$dev/0000:01:00.0/iommu_group"
ln -s ../../../../devices/pci0000:00/0000:01:00.0 "$tree/kernel/iommu_groups/2/devices/0000:01:00.0"
before=$(snapshot "$tree")
traced -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
rc=$?
check "group changed: exits 0, nothing planned to bind (exit $rc)" [ "$rc" -eq 0 ]
check "group changed: nothing written" test "$before" = "$(snapshot "$tree")"
check "group changed: no write-open at all" test -z "$(attempted)"
# Its audio function, alone in group 1 now, does not go to the driver without its GPU.
"$BINDER" --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline plan > "$TMP/out" 2>&1
check "group changed: the plan says why" test "$(cat "$TMP/out")" = \
"skip  0000:01:00.0  10de:1b81  VGA compatible controller   IOMMU group 2 also holds 0000:00:02.0 (the boot VGA)
skip  0000:01:00.1  10de:10f0  Audio device                companion of 0000:01:00.0, which is not bound
nothing to bind"

# 6. Attributes that read empty or garbage: messages, and no write for what cannot be trusted.
tree=$(fake_tree "$TOPO")
dev="$tree/devices/pci0000:00"
: > "$dev/0000:01:00.0/class"
printf 'NVIDIA\n' > "$dev/0000:01:00.0/vendor"
printf '\0\0\0\0' > "$dev/0000:01:00.1/device"
printf '2\n' > "$dev/0000:00:02.0/boot_vga"
ln -sfn ../../../kernel/iommu_groups/../../etc "$dev/0000:00:02.0/iommu_group"
traced -- --sysfs "$tree" -c "$TMP/dev01.conf" --no-cmdline bind
rc=$?
check "garbage attributes: exits 0, not a crash (exit $rc)" [ "$rc" -eq 0 ]
m="0000:01:00.0 [ffff:1b81]: skipped: cannot read class: unexpected content"
check "garbage attributes: '$m'" grep -qxF "vfio-binder: $m" "$TMP/out"
# A "GPU" of unknown class brings no companions, so its group is incomplete: nothing is written.
check "garbage attributes: no write-open at all" test -z "$(attempted)"

finish
