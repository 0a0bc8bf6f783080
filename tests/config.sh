#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Configuration that survives hardware changes (vfio.conf(5)): pinned
# addresses, driver = auto against a fake module tree (depmod over modules
# compiled here, with vfio_pci: aliases as the kernel publishes them),
# per-device driver= and reset_method=, preload, [sriov] and vfs =, and
# [access] for /dev/vfio/N; list --config-lines and plan --modules-list.
# Fake trees, fake roots; nothing of this machine is touched.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib-kmod.sh
. "$TOPDIR/tests/lib-kmod.sh"

skip() { echo "SKIP: $*"; [ -z "${VFIO_BINDER_REQUIRE_ALL:-}" ] || exit 1; exit 77; }
command -v depmod >/dev/null || skip "depmod not found (Debian package kmod)"
command -v "$CC" >/dev/null || skip "$CC not found (Debian package build-essential)"

run() { # CONF TREE ARGS...: the binder on TREE with CONF, output in $TMP/out, status in $rc
	_conf=$1 _tree=$2
	shift 2
	"$BINDER" --sysfs "$_tree" -c "$_conf" --no-cmdline "$@" > "$TMP/out" 2>&1
	rc=$?
}
has() { grep -qF -- "$1" "$TMP/out"; }
lacks() { ! grep -q -- "$1" "$TMP/out"; }
count() { [ "$(grep -cF -- "$1" "$TMP/out")" -eq "$2" ]; }
# earlier A B: the first line with A comes before the first line with B
earlier() {
	_a=$(grep -nF -- "$1" "$TMP/out" | head -n1 | cut -d: -f1)
	_b=$(grep -nF -- "$2" "$TMP/out" | head -n1 | cut -d: -f1)
	[ -n "$_a" ] && [ -n "$_b" ] && [ "$_a" -lt "$_b" ]
}

# --- 1. Pinned addresses: the NVMe drive now sits where the GPU was.
TOPO=skylake-gtx1070-igd-host
tree=$(fake_tree "$TOPO")
printf '[devices]\ndevice = 01:00.0 @ 10de:1b81\n' > "$TMP/pin.conf"
run "$TMP/pin.conf" "$tree" plan
check "pinned entry that matches: bound" has "bind  0000:01:00.0  10de:1b81  VGA compatible controller   device entry"
moved=$(fake_tree "$TOPO" | tee /dev/null)
sed -i 's/0x10de/0x144d/; s/0x1b81/0xa808/' "$moved/bus/pci/devices/0000:01:00.0/vendor" "$moved/bus/pci/devices/0000:01:00.0/device"
printf '0x010802\n' > "$moved/bus/pci/devices/0000:01:00.0/class"
before=$(snapshot "$moved")
run "$TMP/pin.conf" "$moved" bind --no-load
check "address moved: bind exits 0, the boot goes on (exit $rc)" [ "$rc" -eq 0 ]
check "address moved: the reason says both identities" \
	has "0000:01:00.0 is 144d:a808 (Non-Volatile memory controller), the entry expects 10de:1b81: the address moved? nothing bound"
check "address moved: nothing written" test "$before" = "$(snapshot "$moved")"
run "$TMP/pin.conf" "$moved" list --numeric --json
check "address moved: list --json says not-pinned" has '"kind": "not-pinned"'
# the subsystem IDs too
printf '0x1458\n' > "$tree/bus/pci/devices/0000:01:00.0/subsystem_vendor"
printf '0x3771\n' > "$tree/bus/pci/devices/0000:01:00.0/subsystem_device"
printf '[devices]\ndevice = 01:00.0 @ 10de:1b81 1458:3772\n' > "$TMP/pinsub.conf"
run "$TMP/pinsub.conf" "$tree" plan
check "subsystem pin that differs: refused" has "has subsystem 1458:3771, the entry expects 1458:3772"
# the command line takes the same form, without blanks
"$BINDER" --sysfs "$moved" -c /nonexistent --cmdline <(echo "vfio_binder.device=01:00.0@10de:1b81") plan > "$TMP/out" 2>&1
check "command line: a pinned device that moved is refused" has "the entry expects 10de:1b81: the address moved?"
# list --config-lines: pinned lines to paste
: > "$TMP/empty.conf"
run "$TMP/empty.conf" "$tree" list --numeric --config-lines
check "list --config-lines: a pinned line per GPU, subsystem IDs included" has "device = 0000:01:00.0 @ 10de:1b81 1458:3771"
check "list --config-lines: the boot VGA commented out" has "# device = 0000:00:02.0 @ 8086:1912"

# --- 2. driver = auto, against a kernel module tree with a vfio variant driver.
KVER=6.99.0-test
k=$TMP/root/lib/modules/$KVER
mkdir -p "$k" "$TMP/proc/sys/kernel"
echo "$KVER" > "$TMP/proc/sys/kernel/osrelease"
mkmod "$k" kernel/drivers/vfio/pci/vfio-pci.ko vfio_pci unsigned - - 'vfio_pci:v*d*sv*sd*bc*sc*i*'
mkmod "$k" kernel/drivers/vfio/pci/mlx5/mlx5-vfio-pci.ko mlx5_vfio_pci unsigned - - \
	'vfio_pci:v000015B3d0000101Esv*sd*bc*sc*i*' 'vfio_pci:v000015B3d0000101Fsv*sd*bc*sc*i*'
# a catch-all for the vendor, less specific: must lose against mlx5's
mkmod "$k" kernel/drivers/vfio/pci/other/other-vfio-pci.ko other_vfio_pci unsigned - - \
	'vfio_pci:v000015B3d*sv*sd*bc*sc*i*'
: > "$k/modules.builtin"
: > "$k/modules.builtin.modinfo"
: > "$k/modules.order"
depmod -b "$TMP/root" "$KVER" || fail "depmod over the fake modules"
cat > "$TMP/mlx.txt" <<'EOF'
1 0000:00:02.0 0x030000 8086:1912 1 iGPU
2 0000:01:00.0 0x030000 10de:1b81 0 GPU
2 0000:01:00.1 0x040300 10de:10f0 - audio
3 0000:3b:00.0 0x020000 15b3:101e - ConnectX-7 VF
EOF
"$MKFAKESYS" "$TMP/mlx.txt" "$TMP/mlx"
printf '[binder]\ndriver = auto\n[devices]\ndevice = 01:00.0\ndevice = 3b:00.0\n' > "$TMP/auto.conf"
# the module tree is MODULES/KVER with the release from PROC
ln -s root/lib/modules "$TMP/lib-modules"
run "$TMP/auto.conf" "$TMP/mlx" --modules "$TMP/lib-modules" --proc "$TMP/proc" plan
check "driver = auto: the variant driver, the most specific alias" \
	has "bind  0000:3b:00.0  15b3:101e  Ethernet controller         device entry; -> mlx5_vfio_pci (driver = auto: the vfio variant driver for its modalias)"
check "driver = auto: no variant for the GPU, so vfio-pci" \
	has "bind  0000:01:00.0  10de:1b81  VGA compatible controller   device entry; -> vfio-pci (driver = auto: no vfio variant driver for it, so vfio-pci)"
run "$TMP/auto.conf" "$TMP/mlx" --modules "$TMP/lib-modules" --proc "$TMP/proc" plan --modules-list
check "plan --modules-list: vfio-pci and the variant" test "$(tr '\n' ' ' < "$TMP/out")" = "vfio-pci mlx5_vfio_pci "
run "$TMP/auto.conf" "$TMP/mlx" --modules "$TMP/lib-modules" --proc "$TMP/proc" bind --dry-run
check "driver = auto: the variant's name in driver_override" has "would write \"mlx5_vfio_pci\" to $TMP/mlx/bus/pci/devices/0000:3b:00.0/driver_override"
check "driver = auto: each module loaded once" count "would load module" 2
run "$TMP/auto.conf" "$TMP/mlx" --modules "$TMP/lib-modules" --proc "$TMP/proc" plan --json
check "plan --json: bind_driver per function" has '"bind_driver": "mlx5_vfio_pci"'
# A modalias that does not read: plain vfio-pci (safe), and a warning that says why.
ma=$(readlink -f "$TMP/mlx/bus/pci/devices/0000:3b:00.0")/modalias
mv "$ma" "$ma.away" && mkdir "$ma"
run "$TMP/auto.conf" "$TMP/mlx" --modules "$TMP/lib-modules" --proc "$TMP/proc" plan
check "driver = auto, modalias unreadable: the warning names the function" \
	has "vfio-binder: 0000:3b:00.0: driver = auto: cannot read its modalias (Is a directory): no variant driver is looked up, plain vfio-pci if it is bound"
check "driver = auto, modalias unreadable: vfio-pci" has "bind  0000:3b:00.0  15b3:101e  Ethernet controller         device entry; -> vfio-pci"
rmdir "$ma" && mv "$ma.away" "$ma"

# --- 3. driver= and reset_method= on a device line, preload; with pci-stub no IOMMU group needed.
tree=$(fake_tree "$TOPO" "@attr 0000:01:00.0 reset_method flr bus")
printf '[binder]\npreload = vendor-reset\n[devices]\ndevice = 01:00.0 driver=pci_stub reset_method=bus\n' > "$TMP/stub.conf"
run "$TMP/stub.conf" "$tree" plan --modules-list
check "plan --modules-list: preload first, then the drivers" test "$(tr '\n' ' ' < "$TMP/out")" = "vendor-reset vfio-pci pci-stub "
run "$TMP/stub.conf" "$tree" bind --dry-run
check "reset_method is written before driver_override" earlier reset_method "0000:01:00.0/driver_override"
check "driver=pci_stub writes the driver's name, pci-stub" has "would write \"pci-stub\" to $tree/bus/pci/devices/0000:01:00.0/driver_override"
check "the companion follows its device entry's driver" has "would write \"pci-stub\" to $tree/bus/pci/devices/0000:01:00.1/driver_override"
check "preload loads before the driver" earlier "vendor-reset (preload)" "would load module pci-stub"
run "$TMP/empty.conf" "$tree" list --numeric
check "list shows the reset methods a function offers" has "reset=flr,bus"
run "$TMP/stub.conf" "$tree" bind --no-load
check "reset_method written for real" test "$(cat "$tree/bus/pci/devices/0000:01:00.0/reset_method")" = bus
check "reset_method only on the named function" test ! -e "$tree/bus/pci/devices/0000:01:00.1/reset_method"

# --- 4. [sriov] and vfs = on an NVMe PF whose VFs share its ID.
cat > "$TMP/sriov.txt" <<'EOF'
1 0000:00:02.0 0x030000 8086:3e92 1 iGPU
2 0000:01:00.0 0x010802 1b36:0010 - nvme PF
3 0000:01:00.1 0x010802 1b36:0010 - VF
4 0000:01:00.2 0x010802 1b36:0010 - VF
@physfn 0000:01:00.1 0000:01:00.0
@physfn 0000:01:00.2 0000:01:00.0
@attr 0000:01:00.0 sriov_numvfs 2
@attr 0000:01:00.0 sriov_totalvfs 4
@attr 0000:01:00.0 sriov_drivers_autoprobe 1
@driver 0000:01:00.0 nvme
EOF
"$MKFAKESYS" "$TMP/sriov.txt" "$TMP/sriov"
printf '[devices]\nvfs = 01:00.0 @ 1b36:0010\n[sriov]\n0000:01:00.0 @ 1b36:0010 = 3\n' > "$TMP/sriov.conf"
run "$TMP/sriov.conf" "$TMP/sriov" plan
check "vfs = selects the PF's virtual functions" has "bind  0000:01:00.2  1b36:0010  Non-Volatile memory controller  virtual function of 0000:01:00.0 (vfs)"
check "the PF itself is not selected" lacks "^bind  0000:01:00.0"
run "$TMP/sriov.conf" "$TMP/sriov" bind --no-load
check "autoprobe off on the PF, so its driver leaves the VFs alone" test "$(cat "$TMP/sriov/bus/pci/devices/0000:01:00.0/sriov_drivers_autoprobe")" = 0
check "[sriov]: the number of VFs written (from 0, as the kernel wants)" test "$(cat "$TMP/sriov/bus/pci/devices/0000:01:00.0/sriov_numvfs")" = 3
check "[sriov]: a message says so" has "[sriov] 0000:01:00.0: 3 virtual functions made (driver nvme)"
check "VFs to vfio-pci" test "$(cat "$TMP/sriov/bus/pci/devices/0000:01:00.1/driver_override")" = vfio-pci
printf '[sriov]\n0000:01:00.0 = 9\n' > "$TMP/toomany.conf"
run "$TMP/toomany.conf" "$TMP/sriov" bind --no-load
check "[sriov]: more than sriov_totalvfs is refused with a message" has "9 virtual functions asked, the device offers 4; none made"
rm "$TMP/sriov/bus/pci/devices/0000:01:00.0/driver"
printf '[sriov]\n0000:01:00.0 = 1\n' > "$TMP/one.conf"
run "$TMP/one.conf" "$TMP/sriov" bind --no-load
check "[sriov]: no PF driver yet: left to the monitor, said" has "its driver is not bound yet"

# --- 5. [access]: /dev/vfio/N for a VM that does not run as root.
tree=$(fake_tree "$TOPO" "@driver 0000:01:00.0 vfio-pci
@driver 0000:01:00.1 vfio-pci")
mkdir -p "$TMP/dev/vfio" "$TMP/run" "$TMP/etc"
: > "$TMP/dev/vfio/1"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n' > "$TMP/etc/passwd"
printf 'root:x:0:\nkvm:x:994:alice\n' > "$TMP/etc/group"
printf '[devices]\ndevice = 01:00.0\n[access]\nowner = alice\ngroup = kvm\n' > "$TMP/access.conf"
"$BINDER" --sysfs "$tree" -c "$TMP/access.conf" --no-cmdline --etc "$TMP/etc" --dev "$TMP/dev" --run "$TMP/run" \
	bind --no-load > "$TMP/out" 2>&1
# chown is root's: an unprivileged make check (a distribution build) sees the refusal instead.
if [ "$(id -u)" = 0 ]; then
	check "[access]: the node is the user's and the group's" test "$(stat -c '%u:%g %a' "$TMP/dev/vfio/1")" = "1000:994 660"
else
	echo "# [access]: the chown needs root, not checked"
fi
check "[access]: a udev rule for the real root's udev" \
	grep -qx 'SUBSYSTEM=="vfio", KERNEL=="1", OWNER="alice", GROUP="kvm", MODE="0660"' "$TMP/run/udev/rules.d/61-vfio-binder.rules"
[ "$(id -u)" != 0 ] || chown 0:0 "$TMP/dev/vfio/1"
node_owner=$(stat -c '%u' "$TMP/dev/vfio/1")
printf '[devices]\ndevice = 01:00.0\n[access]\nowner = bob\n' > "$TMP/bob.conf"
"$BINDER" --sysfs "$tree" -c "$TMP/bob.conf" --no-cmdline --etc "$TMP/etc" --dev "$TMP/dev" --run "$TMP/run" \
	bind --no-load > "$TMP/out" 2>&1
check "[access]: an unknown name is said, and the node left alone" has "owner bob: no such user in $TMP/etc/passwd here"
check "[access]: ... its owner unchanged" test "$(stat -c '%u' "$TMP/dev/vfio/1")" = "$node_owner"
printf '[access]\nowner = ../x\n' > "$TMP/badname.conf"
run "$TMP/badname.conf" "$tree" plan
check "[access]: a name that is no name is a configuration error" has "invalid owner '../x' (a user or group name, or a number)"
finish
