#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# reserve and release as a user runs them, on fake sysfs, proc and dev
# trees: the dry run's writes in order, the files a real run writes (and,
# under strace, the order it opens them), holders found in a fake /proc and
# refused with their fix, the runtime record, status and list reading it
# (tests/expected/runtime/), and the usage errors. A fake tree has no kernel
# behind it, so a driver never lets go of a function there: the runs that
# unbind are checked for their writes; tests/test-reserve.c drives the same
# code with a fake kernel, and tests/vm/scenarios/50-reserve.sh on a real one.
# UPDATE_EXPECTED=1 rewrites the expected files (review the diff before committing).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"

EXPECTED="$TOPDIR/tests/expected"

compare() { # NAME ACTUAL-FILE
	if [ -n "${UPDATE_EXPECTED:-}" ]; then
		mkdir -p "$(dirname "$EXPECTED/$1")" && cp "$2" "$EXPECTED/$1"
	fi
	if diff -u "$EXPECTED/$1" "$2"; then pass; else fail "output differs from tests/expected/$1"; fi
}

# The tree's path and the test directory vary: the expected files say @TREE@ and @TMP@.
neutral() { # FILE
	sed -e "s|$tree|@TREE@|g" -e "s|$TMP|@TMP@|g" "$1" > "$1.n" && mv "$1.n" "$1"
}

: > "$TMP/empty.conf"
mkdir -p "$TMP/proc" "$TMP/dev" "$TMP/run"
B() { "$BINDER" --proc "$TMP/proc" --dev "$TMP/dev" --no-cmdline "$@"; }

GTX_NATIVE="@driver 0000:01:00.0 nouveau
@driver 0000:01:00.1 snd_hda_intel
@driver 0000:00:02.0 i915"

# 1. The dry run: the set the target stands for, then every write in the kernel's order.
tree=$(fake_tree skylake-gtx1070-igd-host "$GTX_NATIVE")
before=$(snapshot "$tree")
B --sysfs "$tree" -c "$TMP/empty.conf" reserve --dry-run 01:00.0 > "$TMP/out" 2>&1
echo "exit $?" >> "$TMP/out"
neutral "$TMP/out"
compare reserve/reserve-dry-run.txt "$TMP/out"
B --sysfs "$tree" -c "$TMP/empty.conf" reserve --dry-run --json 01:00.0 > "$TMP/out.json" 2>&1
neutral "$TMP/out.json"
compare reserve/reserve-dry-run.json "$TMP/out.json"
if command -v python3 >/dev/null; then
	check "reserve --dry-run --json is JSON" python3 -m json.tool "$TMP/out.json" >/dev/null
fi
check "the dry run changes nothing" test "$before" = "$(snapshot "$tree")"

tree=$(fake_tree skylake-gtx1070-igd-host "@driver 0000:01:00.0 vfio-pci
@driver 0000:01:00.1 vfio-pci
@override 0000:01:00.0 vfio-pci
@override 0000:01:00.1 vfio-pci")
B --sysfs "$tree" -c "$TMP/empty.conf" release --dry-run 01:00.0 > "$TMP/out" 2>&1
echo "exit $?" >> "$TMP/out"
neutral "$TMP/out"
compare reserve/release-dry-run.txt "$TMP/out"

# 2. Holders in a fake /proc, named with their fix; --json lists them; nothing written.
tree=$(fake_tree skylake-gtx1070-igd-host "$GTX_NATIVE
@driver 0000:00:1f.6 e1000e
@driver 0000:09:00.0 xhci_hcd
@class 0000:01:00.0 drm/card1 drm dev=226:1 devname=dri/card1
@class 0000:01:00.0 drm/renderD129 drm dev=226:129 devname=dri/renderD129
@class 0000:01:00.0 drm/card1-HDMI-A-1 drm_connector status=connected
@class 0000:01:00.0 graphics/fb1 graphics dev=29:1 devname=fb1
@class 0000:01:00.1 sound/card1 sound number=1
@class 0000:01:00.1 sound/card1/controlC1 sound dev=116:7 devname=snd/controlC1
@class 0000:01:00.1 sound/card1/pcmC1D3p sound dev=116:8 devname=snd/pcmC1D3p
@class - vtconsole/vtcon0 vtconsole bind=0 name=(S) dummy device
@class - vtconsole/vtcon1 vtconsole bind=1 name=(M) frame buffer device
@class 0000:00:1f.6 net/eth0 net flags=0x1003
@class 0000:09:00.0 usb3/3-1/3-1:1.0/host0/target0:0:0/0:0:0:0/block/sda block dev=8:0 devname=sda
@class 0000:09:00.0 usb3/3-1/3-1:1.0/host0/target0:0:0/0:0:0:0/block/sda/sda1 block dev=8:1 devname=sda1
@class 0000:09:00.0 usb3/3-1/3-1:1.0/host0/target0:0:0/0:0:0:0/block/sda/sda2 block dev=8:2 devname=sda2")
proc=$TMP/proc
process() { # PID COMM FD-TARGET CGROUP
	mkdir -p "$proc/$1/fd"
	ln -s "$3" "$proc/$1/fd/$(($(find "$proc/$1/fd" -mindepth 1 | wc -l) + 3))"
	echo "$2" > "$proc/$1/comm"
	echo "0::$4" > "$proc/$1/cgroup"
}
process 4242 Xorg /dev/dri/card1 /system.slice/gdm.service
process 4242 Xorg /dev/null /system.slice/gdm.service
process 777 pipewire /dev/snd/pcmC1D3p /user.slice/user-4711.slice/user@4711.service/session.slice/pipewire.service
process 901 firefox /dev/dri/renderD128 /user.slice/user-4711.slice/session-2.scope
process 902 steam /dev/dri/renderD129 /user.slice/user-4711.slice/session-2.scope
mkdir -p "$proc/self"
printf '22 1 8:1 / /media/usb rw,relatime shared:1 - ext4 /dev/sda1 rw\n23 1 0:5 / /dev rw - devtmpfs udev rw\n' > "$proc/self/mountinfo"
printf 'Filename\tType\tSize\tUsed\tPriority\n/dev/sda2 partition 100 0 -2\n' > "$proc/swaps"
: > "$TMP/dev/fb1"
before=$(snapshot "$tree")
B --sysfs "$tree" -c "$TMP/empty.conf" reserve 01:00.0 00:1f.6 09:00.0 > "$TMP/out" 2>&1
echo "exit $?" >> "$TMP/out"
neutral "$TMP/out"
compare reserve/holders.txt "$TMP/out"
B --sysfs "$tree" -c "$TMP/empty.conf" reserve --json 01:00.0 00:1f.6 09:00.0 > "$TMP/out.json" 2>/dev/null
check "refused by holders: exit 1" [ $? -eq 1 ]
neutral "$TMP/out.json"
compare reserve/holders.json "$TMP/out.json"
check "refused by holders: nothing written" test "$before" = "$(snapshot "$tree")"
B --sysfs "$tree" -c "$TMP/empty.conf" reserve --force 01:00.0 > "$TMP/out" 2>&1
check "--force does not go past a process" [ $? -eq 1 ]
check "--force goes past the framebuffer console only" grep -q "vtcon1 draws on /dev/fb1: --force, the kernel drops it" "$TMP/out"
check "--force: nothing written while a process holds it" test "$before" = "$(snapshot "$tree")"
rm -rf "$proc"/[0-9]*

# 2b. What cannot be read may hold the function: a network interface whose
# flags do not read, a mount list that is not there. Refused, nothing written.
flags=$(readlink -f "$tree/class/net/eth0")/flags
rm "$flags" && mkdir "$flags"
mv "$proc/self/mountinfo" "$proc/self/mountinfo.away"
before=$(snapshot "$tree")
B --sysfs "$tree" -c "$TMP/empty.conf" reserve 00:1f.6 09:00.0 > "$TMP/out" 2>&1
check "unreadable holders: exit 1" [ $? -eq 1 ]
check "unreadable holders: the interface's flags named" grep -q "class/net/eth0/flags.*cannot read it" "$TMP/out"
check "unreadable holders: the mount list named" grep -q "self/mountinfo.*cannot read it" "$TMP/out"
check "unreadable holders: nothing written" test "$before" = "$(snapshot "$tree")"
mv "$proc/self/mountinfo.away" "$proc/self/mountinfo"

# 3. The writes of a real run. The card starts unbound, so a fake tree ends where a kernel would.
tree=$(fake_tree turing-4fn-amd-host)
B --sysfs "$tree" -c "$TMP/empty.conf" --run "$TMP/run" reserve 2d:00.0 > "$TMP/out" 2>&1
check "reserve of an unbound card exits 0" [ $? -eq 0 ]
check "reserve: one line per function" grep -q "^vfio-binder: 0000:2d:00.3 \[10de:1ad9\] -> vfio-pci (companion of 0000:2d:00.0; override set, driver not loaded)$" "$TMP/out"
for f in 0 1 2 3; do
	check "reserve: 2d:00.$f's override" grep -qx vfio-pci "$tree/bus/pci/devices/0000:2d:00.$f/driver_override"
done
check "reserve: the host's GPU untouched" grep -qx '(null)' "$tree/bus/pci/devices/0000:2e:00.0/driver_override"
check "reserve: the probes asked for" test "$(cat "$tree/bus/pci/drivers_probe")" = "0000:2d:00.0
0000:2d:00.1
0000:2d:00.2
0000:2d:00.3"
check "reserve: recorded with the command that did it" \
	grep -Eq '^function 0000:2d:00\.3 reserved [0-9]+ vfio-pci reserve 0000:2d:00\.0$' "$TMP/run/vfio-binder/runtime"
check "the record is world-readable" test "$(stat -c %a "$TMP/run/vfio-binder/runtime")" = 644
B --sysfs "$tree" -c "$TMP/empty.conf" --run "$TMP/run" release 2d:00.0 > "$TMP/out" 2>&1
check "release exits 0" [ $? -eq 0 ]
check "release: driver_override cleared" test "$(cat "$tree/bus/pci/devices/0000:2d:00.1/driver_override")" = ""
check "release: each function with where it ended" \
	grep -q "^vfio-binder: 0000:2d:00.1 \[10de:10f8\]: released; no driver took it" "$TMP/out"
check "release: probed again, for the native driver" test "$(tail -n 4 "$tree/bus/pci/drivers_probe" | tr '\n' ' ')" = \
	"0000:2d:00.0 0000:2d:00.1 0000:2d:00.2 0000:2d:00.3 "
check "release: recorded" grep -Eq '^function 0000:2d:00\.0 released [0-9]+ - release 0000:2d:00\.0$' "$TMP/run/vfio-binder/runtime"
check "release: no reserved line left" sh -c "! grep -q reserved '$TMP/run/vfio-binder/runtime'"
# Without --run a fake tree writes no record: the machine's /run is not a test's.
before=$(stat -c '%Y %s' /run/vfio-binder/runtime 2>/dev/null)
B --sysfs "$tree" -c "$TMP/empty.conf" reserve 2d:00.0 > /dev/null 2>&1
check "without --run, a fake tree leaves the machine's /run alone" \
	test "$before" = "$(stat -c '%Y %s' /run/vfio-binder/runtime 2>/dev/null)"

# 4. The order of the writes, as the kernel sees them: override, then unbind, per function.
if command -v strace >/dev/null && strace -qq -o /dev/null true 2>/dev/null; then
	tree=$(fake_tree skylake-gtx1070-igd-host "$GTX_NATIVE")
	# LeakSanitizer cannot run under ptrace; the sanitizer build checks leaks everywhere else.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -qq -e trace=openat,openat2 -o "$TMP/trace" \
		"$BINDER" --proc "$TMP/proc" --dev "$TMP/dev" --no-cmdline --sysfs "$tree" -c "$TMP/empty.conf" \
		reserve 01:00.0 > /dev/null 2>&1
	grep -E 'O_WRONLY|O_RDWR' "$TMP/trace" | grep -oE '"[^"]*(driver_override|unbind|drivers_probe)"' | tr -d '"' > "$TMP/order"
	check "reserve opens for writing: override, unbind, override, unbind (strace)" test "$(cat "$TMP/order")" = \
"bus/pci/devices/0000:01:00.0/driver_override
bus/pci/devices/0000:01:00.0/driver/unbind
bus/pci/devices/0000:01:00.1/driver_override
bus/pci/devices/0000:01:00.1/driver/unbind"
	check "the unbind went to the native drivers" test "$(cat "$tree/bus/pci/drivers/nouveau/unbind" "$tree/bus/pci/drivers/snd_hda_intel/unbind")" = \
		"0000:01:00.0
0000:01:00.1"
elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
	fail "strace is needed for the write order (Debian package strace)"
fi

# 5. status and list read the record: a release on purpose is fine, a native driver that won is not.
tree=$(fake_tree skylake-gtx1070-igd-host "$GTX_NATIVE
@driver 0000:00:14.0 vfio-pci")
printf '[devices]\ndevice = 01:00.0\n' > "$TMP/dev01.conf"
mkdir -p "$TMP/rt/vfio-binder"
cat > "$TMP/rt/vfio-binder/runtime" <<'EOF'
version 1
function 0000:00:14.0 reserved 1700000100 vfio-pci reserve 0000:00:14.0
function 0000:01:00.0 released 1700000000 nouveau release --configured 0000:01:00.0
function 0000:01:00.1 released 1700000000 snd_hda_intel release --configured 0000:01:00.0
EOF
for run in "status.txt:status" "status.json:status --json" "list.txt:list --numeric" "list.json:list --numeric --json"; do
	# shellcheck disable=SC2086 # the command and its options
	B --sysfs "$tree" -c "$TMP/dev01.conf" --run "$TMP/rt" ${run#*:} > "$TMP/out" 2>&1
	echo "exit $?" >> "$TMP/out"
	compare "runtime/${run%%:*}" "$TMP/out"
done
B --sysfs "$tree" -c "$TMP/dev01.conf" --run "$TMP/run" status > "$TMP/out" 2>&1
check "status without the record: the native driver won, exit 1" [ $? -eq 1 ]
check "status without the record says which driver" grep -q "^0000:01:00.0 \[10de:1b81\] bound to nouveau (device entry)" "$TMP/out"
printf 'version 1\nfunction 0000:00:14.0 reserved 1 vfio-pci reserve 0000:00:14.0\n' > "$TMP/rt/vfio-binder/runtime"
rm "$tree/bus/pci/devices/0000:00:14.0/driver"
B --sysfs "$tree" -c "$TMP/empty.conf" --run "$TMP/rt" status > "$TMP/out" 2>&1
check "status: a function reserve took and lost fails, exit 1" [ $? -eq 1 ]
check "... and is named" grep -q "^0000:00:14.0 \[8086:a12f\] override missing (reserved at runtime by 'reserve 0000:00:14.0')" "$TMP/out"
printf 'version 9\n' > "$TMP/rt/vfio-binder/runtime"
B --sysfs "$tree" -c "$TMP/empty.conf" --run "$TMP/rt" status > "$TMP/out" 2>&1
check "a record from a newer version is ignored, with a warning" grep -q "runtime: record version newer than this vfio-binder reads" "$TMP/out"

# 6. release --configured (the libvirt hook's): only what vfio.conf gives back.
tree=$(fake_tree skylake-gtx1070-igd-host "@override 0000:01:00.0 vfio-pci
@override 0000:01:00.1 vfio-pci")
before=$(snapshot "$tree")
B --sysfs "$tree" -c "$TMP/dev01.conf" release --configured 01:00.0 01:00.1 > "$TMP/out" 2>&1
check "--configured, return_to_host = no: exit 0" [ $? -eq 0 ]
check "--configured: says why it keeps it" grep -q "0000:01:00.0: stays on vfio-pci: the configuration does not give it back to the host (return_to_host = no in \[binder\])" "$TMP/out"
check "--configured: nothing written" test "$before" = "$(snapshot "$tree")"
printf '[devices]\ndevice = 01:00.0 return_to_host=yes\n' > "$TMP/back.conf"
B --sysfs "$tree" -c "$TMP/back.conf" release --configured 01:00.0 01:00.1 > "$TMP/out" 2>&1
check "--configured, return_to_host=yes: exit 0" [ $? -eq 0 ]
check "--configured: the card went back whole" test "$(cat "$tree/bus/pci/devices/0000:01:00.1/driver_override")" = ""

# 7. Usage errors: exit 2, nothing written.
tree=$(fake_tree skylake-gtx1070-igd-host)
before=$(snapshot "$tree")
usage() { # DESCRIPTION MESSAGE ARGS...
	_d=$1 _m=$2
	shift 2
	B --sysfs "$tree" -c "$TMP/empty.conf" "$@" > "$TMP/out" 2>&1
	check "$_d: exit 2" [ $? -eq 2 ]
	check "$_d: says so" grep -qF -- "$_m" "$TMP/out"
}
usage "no target" "reserve needs PCI addresses (DDDD:BB:DD.F or BB:DD.F) or --all" reserve
usage "--all and addresses" "release: --all or addresses, not both" release --all 01:00.0
usage "a bad address" "invalid PCI address '01:00.8' (expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:01:00.0; device is at most 1f, function at most 7)" reserve 01:00.8
usage "a path for an address" "invalid PCI address '../01:00.0'" release ../01:00.0
usage "no such function" "0000:07:00.0: no such PCI function in $tree/bus/pci/devices; nothing written" reserve 07:00.0
usage "--force for release" "release: --force is for reserve" release --force 01:00.0
usage "--configured for reserve" "reserve: --configured is for release" reserve --configured 01:00.0
usage "a bridge" "device entry 0000:00:01.0 (argument:1) is a PCI bridge" reserve 00:01.0
check "usage errors: nothing written" test "$before" = "$(snapshot "$tree")"
echo "ro vfio_binder=off" > "$TMP/cmdline"
"$BINDER" --sysfs "$tree" -c "$TMP/empty.conf" --cmdline "$TMP/cmdline" reserve 01:00.0 > "$TMP/out" 2>&1
check "the kill switch stops reserve: exit 2" [ $? -eq 2 ]

# Not root, with a tree mounted on /sys in a private namespace: reserve refuses.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null && command -v setpriv >/dev/null; then
	tree=$(fake_tree skylake-gtx1070-igd-host)
	chmod -R a+rX "$TMP"
	unshare -m sh -c "mount --bind '$tree' /sys && setpriv --reuid=65534 --regid=65534 --clear-groups '$BINDER' -c '$TMP/empty.conf' --no-cmdline reserve 01:00.0" > "$TMP/out" 2>&1
	check "reserve as non-root exits 2" [ $? -eq 2 ]
	check "reserve as non-root says why" grep -q "reserve writes to /sys and must run as root; 'reserve --dry-run' shows what it would do" "$TMP/out"
	check "reserve as non-root wrote nothing" grep -qx '(null)' "$tree/bus/pci/devices/0000:01:00.0/driver_override"
elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
	fail "the non-root test needs root, unshare and setpriv"
fi

finish
