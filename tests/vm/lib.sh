#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM test harness: a Debian 12 guest (debootstrap, systemd as PID 1, the
# staged "make install" and the host's Debian kernel) under QEMU (q35, Intel
# IOMMU, empty PCIe hot-plug slots), driven through a command channel
# (virtio-serial, tests/vm/guest/vmtest-agent) and QMP (tests/vm/vmctl.py).
# Sourced by tests/vm/run.sh; the scenarios in tests/vm/scenarios/ use the
# vm_* functions below. README, "VM tests", lists them.
#
# Environment:
#   VFIO_BINDER_VM_ACCEL=kvm|tcg    default: probe KVM with a real boot, else TCG
#   VFIO_BINDER_VM_CACHE=DIR        where the debootstrap tree and the initramfs
#                                   are kept between runs (default: BUILDDIR/tests/vm/cache)
#   VFIO_BINDER_VM_MIRROR=URL       Debian mirror (default: the one apt uses for bookworm)
#   VFIO_BINDER_VM_BOOT_TIMEOUT=S   until the guest's systemd has finished booting
#                                   (default 300 under TCG, 120 under KVM)
#   VFIO_BINDER_VM_KEEP=1           keep each VM's disk image after it stopped
# shellcheck disable=SC2016 # single-quoted scripts run in the guest, by design

VM_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$VM_TOP/../hooks/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../hooks/stage.sh
. "$VM_TOP/../hooks/stage.sh"

VM_WORK=$BUILDDIR/tests/vm/work
VM_CACHE=${VFIO_BINDER_VM_CACHE:-$BUILDDIR/tests/vm/cache}
VM_SUITE=bookworm
# What the guest needs: systemd as PID 1 and udev; the binder's runtime
# libraries; lspci; initramfs-tools, so scenarios can build the guest's own
# initramfs with the project's hook.
VM_PACKAGES=(systemd systemd-sysv udev kmod libkmod2 libudev1 libinih1 pciutils initramfs-tools)
VM_PORT_NAME=org.vfio-binder.vmtest.0
VM_HOTPLUG_PORTS=4
VM_ACCEL=${VFIO_BINDER_VM_ACCEL:-}
VM_PIDS=()

# --- building: once per run ---------------------------------------------------

# vm_log_time WHAT START: one line with how long WHAT took since START ($SECONDS).
vm_log_time() {
	echo "# $1: $((SECONDS - $2)) s"
}

vm_mirror() {
	local m=${VFIO_BINDER_VM_MIRROR:-}
	[[ -n $m ]] || m=$(apt-get indextargets --format '$(RELEASE) $(COMPONENT) $(REPO_URI)' 2>/dev/null |
		awk -v s="$VM_SUITE" '$1 == s && $2 == "main" { print $3; exit }')
	echo "${m:-http://deb.debian.org/debian/}"
}

# vm_rootfs_base: the debootstrap tree, $VM_CACHE/debootstrap/root, made
# again when the suite, the mirror, the package list or debootstrap's
# version changed (all in the stamp).
vm_rootfs_base() {
	local dir=$VM_CACHE/debootstrap stamp mirror start=$SECONDS
	mirror=$(vm_mirror)
	stamp="suite=$VM_SUITE variant=minbase mirror=$mirror packages=${VM_PACKAGES[*]}"
	stamp+=" debootstrap=$(dpkg-query -W -f '${Version}' debootstrap 2>/dev/null)"
	if [[ -f $dir/stamp && $(<"$dir/stamp") == "$stamp" && -x $dir/root/usr/bin/systemctl ]]; then
		echo "# debootstrap: reusing $dir/root ($stamp)"
		return 0
	fi
	echo "# debootstrap: $stamp"
	rm -rf "$dir"
	mkdir -p "$dir"
	if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${VM_PACKAGES[*]}")" --components=main \
		"$VM_SUITE" "$dir/root.tmp" "$mirror" >"$dir/debootstrap.log" 2>&1; then
		tail -n 30 "$dir/debootstrap.log"
		echo "debootstrap failed: $dir/debootstrap.log" >&2
		return 1
	fi
	mv "$dir/root.tmp" "$dir/root"
	echo "$stamp" >"$dir/stamp"
	vm_log_time "debootstrap of $VM_SUITE" "$start"
}

# vm_put FILE MODE: stdin into the image tree under construction.
vm_put() {
	mkdir -p "$(dirname "$VM_ROOT$1")"
	rm -f "$VM_ROOT$1"
	cat >"$VM_ROOT$1"
	chmod "$2" "$VM_ROOT$1"
}

# vm_rootfs: the tree the base image is made of: the debootstrap tree, the
# kernel's modules, the staged install, the agent and a few settings.
vm_rootfs() {
	local start=$SECONDS
	VM_ROOT=$VM_WORK/rootfs
	rm -rf "$VM_ROOT"
	cp -a "$VM_CACHE/debootstrap/root" "$VM_ROOT" || return
	mkdir -p "$VM_ROOT/usr/lib/modules"
	cp -a "/lib/modules/$VM_KVER" "$VM_ROOT/usr/lib/modules/" || return
	# As a real system has it: update-initramfs in the guest reads the
	# kernel's config for the compressions it supports.
	mkdir -p "$VM_ROOT/boot"
	cp "/boot/config-$VM_KVER" "$VM_ROOT/boot/" || return
	# Debian 12's tree has /lib -> usr/lib; the staged install has real
	# directories there (/lib/systemd/system): keep the symlinks.
	tar -C "$STAGE/root" -cf - . | tar -C "$VM_ROOT" --keep-directory-symlink -xf - || return

	vm_put /usr/local/sbin/vmtest-agent 755 <"$VM_TOP/guest/vmtest-agent"
	vm_put /etc/systemd/system/vmtest-agent.service 644 <"$VM_TOP/guest/vmtest-agent.service"
	mkdir -p "$VM_ROOT/etc/systemd/system/sysinit.target.wants"
	ln -sf ../vmtest-agent.service "$VM_ROOT/etc/systemd/system/sysinit.target.wants/"
	echo vmtest | vm_put /etc/hostname 644
	echo '/dev/vda / ext4 rw,errors=remount-ro 0 1' | vm_put /etc/fstab 644
	# Not a first boot: no systemd-firstboot prompt on the console.
	echo 5f0e6d9c2b7a4e0c8d1a3b5c7e9f1a2b | vm_put /etc/machine-id 444
	ln -sf /lib/systemd/system/multi-user.target "$VM_ROOT/etc/systemd/system/default.target"
	# A guest that lives for a minute under TCG, where every process and
	# module costs: no daily jobs, no logins (the agent is the way in), and
	# none of the modules for q35's own devices that no test looks at.
	for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
		dpkg-db-backup.timer e2scrub_reap.service getty-static.service \
		getty@.service serial-getty@.service; do
		ln -sf /dev/null "$VM_ROOT/etc/systemd/system/$u"
	done
	printf 'blacklist %s\n' kvm kvm_amd kvm_intel ahci lpc_ich i2c_i801 iTCO_wdt pcspkr powernow_k8 |
		vm_put /etc/modprobe.d/vmtest-blacklist.conf 644
	vm_log_time "image tree (debootstrap tree, modules of $VM_KVER, staged install)" "$start"
}

# vm_initrd: an initramfs-tools image that mounts the root from virtio-blk,
# from the host's mkinitramfs with a configuration of our own (not the
# host's /etc/initramfs-tools): only the modules listed. Cached per kernel.
vm_initrd() {
	local conf=$VM_WORK/initramfs-conf start=$SECONDS key
	key="$VM_KVER $(stat -c %Y "/lib/modules/$VM_KVER/modules.dep") $(dpkg-query -W -f '${Version}' initramfs-tools-core 2>/dev/null)"
	VM_INITRD=$VM_CACHE/initrd.img-$VM_KVER
	if [[ -s $VM_INITRD && -f $VM_INITRD.stamp && $(<"$VM_INITRD.stamp") == "$key" ]]; then
		echo "# initramfs: reusing $VM_INITRD"
		return 0
	fi
	rm -rf "$conf"
	mkdir -p "$conf/conf.d" "$conf/hooks" "$conf/scripts"
	printf 'MODULES=list\nBUSYBOX=auto\nCOMPRESS=zstd\nRUNSIZE=10%%\n' >"$conf/initramfs.conf"
	printf '%s\n' virtio_pci virtio_blk ext4 >"$conf/modules"
	mkdir -p "$VM_CACHE"
	if ! mkinitramfs -d "$conf" -o "$VM_INITRD.tmp" "$VM_KVER" >"$VM_WORK/initramfs.log" 2>&1; then
		cat "$VM_WORK/initramfs.log"
		return 1
	fi
	mv "$VM_INITRD.tmp" "$VM_INITRD"
	echo "$key" >"$VM_INITRD.stamp"
	vm_log_time "initramfs for $VM_KVER" "$start"
}

# vm_image: the base disk image, ext4 made from the tree without mounting it.
# Inode tables and journal zeroed here, not lazily by the guest: otherwise
# every guest's ext4lazyinit thread writes 48 MiB through virtio-blk under
# TCG while the scenario runs (CI saw a boot stall with that thread on the
# stalled CPU).
vm_image() {
	local start=$SECONDS
	VM_BASE_IMG=$VM_WORK/base.img
	rm -f "$VM_BASE_IMG"
	mke2fs -q -F -t ext4 -L vmtest-root -E lazy_itable_init=0,lazy_journal_init=0 \
		-d "$VM_ROOT" "$VM_BASE_IMG" 3G >"$VM_WORK/mke2fs.log" 2>&1 ||
		{ cat "$VM_WORK/mke2fs.log"; return 1; }
	rm -rf "$VM_ROOT"
	vm_log_time "disk image ($(du -h "$VM_BASE_IMG" | cut -f1) used)" "$start"
}

# vm_setup: everything a boot needs, once per run; fails with the reason.
vm_setup() {
	local t start=$SECONDS

	need_root
	# Debian's python3 first: a python3 earlier in PATH can be a slow wrapper (pyenv).
	VM_PYTHON=/usr/bin/python3
	[[ -x $VM_PYTHON ]] || VM_PYTHON=$(command -v python3) || VM_PYTHON=python3
	for t in qemu-system-x86_64 debootstrap mke2fs debugfs mkinitramfs "$VM_PYTHON" timeout; do
		command -v "$t" >/dev/null ||
			skip "$t not found (Debian packages qemu-system-x86, debootstrap, e2fsprogs, initramfs-tools, python3)"
	done
	VM_KVER=$(test_kver) || skip "no kernel in /lib/modules with /boot/vmlinuz-* (Debian package linux-image-amd64)"
	VM_KERNEL=/boot/vmlinuz-$VM_KVER
	[[ -r $VM_KERNEL ]] || skip "$VM_KERNEL is not readable"
	rm -rf "$VM_WORK"
	mkdir -p "$VM_WORK" "$VM_CACHE"
	t=$SECONDS
	stage_build || return
	vm_log_time "staged install" "$t"
	vm_rootfs_base || return
	vm_rootfs || return
	vm_initrd || return
	vm_image || return
	# shellcheck disable=SC2034 # run.sh reports it
	VM_BUILD_SECONDS=$((SECONDS - start))
	vm_log_time "build (staged install, debootstrap or its cache, initramfs, image)" "$start"
}

# --- one VM --------------------------------------------------------------------

# vm_new NAME: a new VM context (nothing runs yet). Resets the extra QEMU
# arguments, kernel parameters, files and units of the previous one.
vm_new() {
	VM_NAME=$1
	VM_DIR=$VM_WORK/$1
	rm -rf "$VM_DIR"
	mkdir -p "$VM_DIR/files"
	VM_QEMU_EXTRA=()
	VM_CMDLINE_EXTRA=
	VM_FILES=()
	VM_ENABLE=()
	VM_USED_PORTS=
	VM_PID=
}

# vm_qemu_args ARG...: more QEMU arguments (cold-plugged devices) for vm_boot.
vm_qemu_args() {
	VM_QEMU_EXTRA+=("$@")
}

# vm_cmdline PARAM...: more kernel parameters for vm_boot.
vm_cmdline() {
	VM_CMDLINE_EXTRA+=" $*"
}

# vm_file PATH [MODE]: stdin becomes the guest's file PATH (default mode 644),
# written into this VM's disk before it boots.
vm_file() {
	local n=${#VM_FILES[@]}
	cat >"$VM_DIR/files/$n"
	chmod "${2:-644}" "$VM_DIR/files/$n"
	VM_FILES+=("$1")
}

# vm_conf: stdin becomes the guest's /etc/vfio.conf.
vm_conf() {
	vm_file /etc/vfio.conf 644
}

# vm_enable UNIT...: enabled in the guest before it boots, as "systemctl
# enable" would (a symlink in each WantedBy= target's .wants directory).
vm_enable() {
	VM_ENABLE+=("$@")
}

# The disk of this boot: a copy of the base image with the scenario's files
# and enabled units written in by debugfs (no mount), then read back.
vm_disk() {
	local img=$VM_DIR/disk.img cmds=$VM_DIR/debugfs.cmds i path dir unit unitfile targets target d
	cp --sparse=always "$VM_BASE_IMG" "$img" || return
	: >"$cmds"
	for i in "${!VM_FILES[@]}"; do
		path=${VM_FILES[$i]}
		dir=
		for d in ${path//\// }; do
			dir+=/$d
			[[ $dir == "$path" ]] || echo "mkdir $dir"
		done
		printf 'rm %s\nwrite %s %s\nsif %s uid 0\nsif %s gid 0\n' "$path" "$VM_DIR/files/$i" "$path" "$path" "$path"
	done >>"$cmds"
	for unit in "${VM_ENABLE[@]}"; do
		unitfile=$(debugfs -R "cat /usr/lib/systemd/system/$unit" "$img" 2>/dev/null)
		[[ -n $unitfile ]] || { echo "vm_enable: no unit $unit in /usr/lib/systemd/system of the image" >&2; return 1; }
		targets=$(sed -n 's/^WantedBy=//p' <<<"$unitfile")
		for target in $targets; do
			printf 'mkdir /etc/systemd/system/%s.wants\nsymlink /etc/systemd/system/%s.wants/%s /lib/systemd/system/%s\n' \
				"$target" "$target" "$unit" "$unit"
		done
	done >>"$cmds"
	debugfs -w -f "$cmds" "$img" >"$VM_DIR/debugfs.log" 2>&1
	for i in "${!VM_FILES[@]}"; do
		debugfs -R "cat ${VM_FILES[$i]}" "$img" 2>/dev/null | cmp -s - "$VM_DIR/files/$i" ||
			{ echo "vm_disk: ${VM_FILES[$i]} did not make it into $img (see $VM_DIR/debugfs.log)" >&2; return 1; }
	done
}

# vm_machine_args: sets QEMU_ARGS for this VM. Guest addresses: virtio-blk
# 00:02.0, virtio-serial 00:03.0, the hot-plug root ports hp1..hp4 at
# 00:08.0..00:0b.0 with their (empty) buses 01..04 (chassis and slot N,
# 32 MiB of 32-bit prefetchable and 32 MiB of non-prefetchable window each,
# for a GPU's BARs: qxl's are not prefetchable);
# vm_qemu_args adds more. A SPICE server on a socket of its own: QEMU's qxl
# model needs one running, or QEMU 7.2 aborts when the guest's qxl driver
# draws or lets the card go (spice-server: handle_dev_oom:
# red_qxl_is_running failed).
vm_machine_args() {
	local n
	# shellcheck disable=SC2054 # commas are QEMU's, inside one argument
	QEMU_ARGS=(-machine q35 -m 1024 -smp 2 -nodefaults -display none -no-reboot
		-device intel-iommu,intremap=on
		-kernel "$VM_KERNEL" -initrd "$VM_INITRD"
		-append "root=/dev/vda rw console=ttyS0,115200 intel_iommu=on panic=-1 net.ifnames=0 systemd.journald.forward_to_console=1${VM_CMDLINE_EXTRA}"
		-serial "file:$VM_DIR/console.log"
		-drive "file=$VM_DIR/disk.img,format=raw,if=none,id=root,cache=unsafe"
		-device virtio-blk-pci,drive=root,bus=pcie.0,addr=0x2
		-device virtio-serial-pci,id=vser,bus=pcie.0,addr=0x3
		-chardev "socket,id=agent,path=$VM_DIR/agent.sock,server=on,wait=off"
		-device "virtserialport,bus=vser.0,chardev=agent,name=$VM_PORT_NAME"
		-chardev "socket,id=qmp,path=$VM_DIR/qmp.sock,server=on,wait=off"
		-mon chardev=qmp,mode=control
		-spice "unix=on,addr=$VM_DIR/spice.sock,disable-ticketing=on")
	for ((n = 1; n <= VM_HOTPLUG_PORTS; n++)); do
		QEMU_ARGS+=(-device "pcie-root-port,id=hp$n,bus=pcie.0,addr=$(printf '0x%x' $((7 + n))),chassis=$n,slot=$n,pref32-reserve=32M,mem-reserve=32M")
	done
	QEMU_ARGS+=("${VM_QEMU_EXTRA[@]}")
}

# vm_start ACCEL: QEMU in the background (VM_PID, and its own pid in
# qemu.pid), for at most an hour.
vm_start() {
	local accel_args=(-accel "tcg,thread=multi")
	[[ $1 == kvm ]] && accel_args=(-accel kvm -cpu host)
	vm_machine_args
	rm -f "$VM_DIR/agent.sock" "$VM_DIR/qmp.sock" "$VM_DIR/spice.sock" "$VM_DIR/console.log" "$VM_DIR/qemu.pid"
	timeout -k 10 3600 qemu-system-x86_64 "${accel_args[@]}" "${QEMU_ARGS[@]}" -pidfile "$VM_DIR/qemu.pid" \
		</dev/null >"$VM_DIR/qemu.log" 2>&1 &
	VM_PID=$!
	VM_PIDS+=("$VM_PID:$VM_DIR/qemu.pid")
}

# vm_wait_boot TIMEOUT: the agent answers and systemd finished booting
# ("running", or "degraded" with the failed units listed).
vm_wait_boot() {
	local state
	state=$(vm_run -t "$1" 'systemctl is-system-running --wait') || true
	case $state in
	running | degraded)
		if [[ $state == degraded ]]; then
			echo "# $VM_NAME: systemd reports 'degraded'; failed units:"
			vm_run 'systemctl --failed --no-legend --plain' | vm_indent
		fi
		# Coldplug's module loads are udev's work, not boot jobs: done too.
		vm_run -t 90 'udevadm settle -t 60' || echo "# $VM_NAME: udev still busy after 60 s"
		vm_run 'systemd-analyze time' | sed -n "s/^Startup finished in /# $VM_NAME: guest startup /p"
		return 0
		;;
	esac
	echo "$VM_NAME: the guest did not finish booting within $1 s (state '${state:-no answer}')" >&2
	return 1
}

# vm_boot: boots this VM (disk, QEMU, wait for systemd). Under no
# VFIO_BINDER_VM_ACCEL and a usable /dev/kvm, the first boot of the run
# tries KVM for 60 s (/dev/kvm can exist and still stall) and settles the
# accelerator for the rest of the run.
vm_boot() {
	local start=$SECONDS tmo

	vm_disk || return
	if [[ -z $VM_ACCEL ]]; then
		VM_ACCEL=tcg
		if [[ -w /dev/kvm ]]; then
			vm_start kvm
			if vm_wait_boot 60; then
				VM_ACCEL=kvm
				echo "# KVM probe: booted in $((SECONDS - start)) s; using kvm"
				return 0
			fi
			echo "# KVM probe: not booted within 60 s; using tcg"
			vm_stop
			vm_disk || return
		fi
	fi
	tmo=${VFIO_BINDER_VM_BOOT_TIMEOUT:-$([[ $VM_ACCEL == kvm ]] && echo 120 || echo 300)}
	vm_start "$VM_ACCEL"
	if ! vm_wait_boot "$tmo"; then
		vm_boot_glitch || {
			vm_console_tail 60 >&2
			return 1
		}
		echo "# $VM_NAME: $VM_GLITCH; booting again, once"
		vm_disk && vm_start "$VM_ACCEL" && vm_wait_boot "$tmo" && {
			echo "# $VM_NAME: booted in $((SECONDS - start)) s ($VM_ACCEL, second try)"
			return 0
		}
		vm_console_tail 60 >&2
		return 1
	fi
	echo "# $VM_NAME: booted in $((SECONDS - start)) s ($VM_ACCEL)"
}

# vm_boot_glitch: after a boot that did not finish, whether the cause was
# the emulator's rather than the guest's software; if so, VM_GLITCH says
# which (and what is left of QEMU is stopped). Not in a subshell: it waits
# for QEMU and clears VM_PID. QEMU 7.2's TCG has crashed (SIGSEGV) in an
# early boot, about once in 30 boots here; and a fresh-clone CI run saw a
# guest whose kernel reported a soft lockup in the ext4 lazy-init thread's
# slab allocation and never finished booting (most likely starved vCPUs;
# the binder, a userspace program, cannot stall a CPU).
# Either is worth one more boot; a second failure fails.
vm_boot_glitch() {
	local status stall
	if ! kill -0 "$VM_PID" 2>/dev/null; then
		wait "$VM_PID"
		status=$?
		VM_PID=
		((status > 128)) || return 1
		VM_GLITCH="QEMU died of signal $((status - 128)) while the guest booted ($(vm_console_tail 1 | sed -n 2p))"
		return 0
	fi
	stall=$(guest_stall "$VM_DIR/console.log") || return 1
	vm_console_tail 60 | vm_indent
	vm_stop
	VM_GLITCH="the guest kernel reported a CPU stall ($stall) and did not finish booting"
}

# vm_kill TIMEOUT-PID QEMU-PIDFILE: QEMU (by the pid it wrote) and the
# timeout that runs it, for good.
vm_kill() {
	local qpid
	qpid=$(cat "$2" 2>/dev/null)
	[[ -n $qpid ]] && kill -9 "$qpid" 2>/dev/null
	kill -9 "$1" 2>/dev/null
}

# vm_stop: QEMU quits (QMP "quit"; killed if it does not within 10 s) and
# the disk is thrown away (VFIO_BINDER_VM_KEEP=1 keeps it).
vm_stop() {
	local i
	[[ -n ${VM_PID:-} ]] || return 0
	vm_qmp quit >/dev/null 2>&1
	for ((i = 0; i < 100; i++)); do
		kill -0 "$VM_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$VM_PID" 2>/dev/null && vm_kill "$VM_PID" "$VM_DIR/qemu.pid"
	wait "$VM_PID" 2>/dev/null
	VM_PID=
	[[ ${VFIO_BINDER_VM_KEEP:-0} == 1 ]] || rm -f "$VM_DIR/disk.img"
}

# vm_stop_all: every QEMU this run started that still runs (an EXIT trap).
vm_stop_all() {
	local p
	for p in "${VM_PIDS[@]}"; do
		kill -0 "${p%%:*}" 2>/dev/null && vm_kill "${p%%:*}" "${p#*:}"
	done
	return 0
}

# vm_indent: stdin with "#   " before each line (TAP comments).
vm_indent() {
	sed 's/^/#   /'
}

# vm_console_tail [N]: the last N lines of the serial console.
vm_console_tail() {
	echo "---- last ${1:-40} lines of $VM_DIR/console.log"
	tr -d '\r' <"$VM_DIR/console.log" | tail -n "${1:-40}"
	echo "---- QEMU: $(tail -n 3 "$VM_DIR/qemu.log" 2>/dev/null | tr '\n' ' ')"
}

# --- talking to the guest and to QEMU -----------------------------------------

# vm_run [-t SECONDS] SCRIPT...: SCRIPT (the words joined) runs with bash in
# the guest, as root; its stdout and stderr come back, its exit status is
# returned. 255: no answer within SECONDS (default 60) or QEMU gone.
vm_run() {
	local tmo=60
	if [[ $1 == -t ]]; then
		tmo=$2
		shift 2
	fi
	"$VM_PYTHON" "$VM_TOP/vmctl.py" run "$VM_DIR/agent.sock" "$tmo" "$*"
}

# vm_qmp COMMAND [JSON-ARGUMENTS] [--event NAME[:KEY=VALUE]] [--gone ID]: one
# QMP command; prints its return value (JSON). With --event, also waits up to
# 60 s for that event; with --gone, until QEMU has no device ID any more.
# 1: QEMU refused (the error is printed).
vm_qmp() {
	"$VM_PYTHON" "$VM_TOP/vmctl.py" qmp "$VM_DIR/qmp.sock" 60 "$@"
}

# vm_json_args KEY=VALUE,...: the JSON object device_add wants. "on", "off"
# and numbers become JSON booleans and numbers (QEMU checks the types).
vm_json_args() {
	"$VM_PYTHON" -c '
import json, sys
out = {}
for kv in sys.argv[1].split(","):
    k, _, v = kv.partition("=")
    if v in ("on", "true"): v = True
    elif v in ("off", "false"): v = False
    elif v.isdigit(): v = int(v)
    out[k] = v
print(json.dumps(out))' "$1"
}

# vm_device_add DRIVER,id=ID,PROP=VALUE...: hot-plugs a device (QMP device_add).
vm_device_add() {
	vm_qmp device_add "$(vm_json_args "driver=$1")" >/dev/null
}

# vm_device_del ID: unplugs a device and waits until the guest let it go and
# QEMU removed it. With ACPI hot-plug (q35's default) the guest ejects the
# whole slot: deleting a card's function 0 removes all its functions.
vm_device_del() {
	vm_qmp device_del "{\"id\": \"$1\"}" --gone "$1" >/dev/null
}

# vm_pci_addr ID: the guest's PCI address of QEMU device ID (query-pci, which
# reports the bus numbers the guest programmed).
vm_pci_addr() {
	vm_qmp query-pci | "$VM_PYTHON" -c '
import json, sys
want = sys.argv[1]
def walk(devs):
    for d in devs:
        if d.get("qdev_id") == want:
            print("0000:%02x:%02x.%d" % (d["bus"], d["slot"], d["function"]))
            sys.exit(0)
        walk(d.get("pci_bridge", {}).get("devices", []))
try:
    buses = json.load(sys.stdin)
except ValueError:
    sys.exit(1)
for bus in buses:
    walk(bus["devices"])
sys.exit(1)' "$1"
}

# vm_wait_guest [-t SECONDS] SCRIPT...: runs SCRIPT in the guest every 0.2 s
# until it succeeds (0) or SECONDS (default 60) pass (1).
vm_wait_guest() {
	local tmo=60
	if [[ $1 == -t ]]; then
		tmo=$2
		shift 2
	fi
	vm_run -t $((tmo + 10)) "
		end=\$((SECONDS + $tmo))
		while ((SECONDS < end)); do
			( $* ) && exit 0
			sleep 0.2
		done
		exit 1"
}

# vm_settle ADDR...: waits until udev is idle and the driver and
# driver_override of every ADDR held still for 2 s (at most 60 s), so that
# a check sees where the functions ended, not a moment of a race. A
# snapshot costs two processes: under TCG each one counts.
vm_settle() {
	local links=() a
	for a in "$@"; do
		links+=("/sys/bus/pci/devices/$a/driver")
	done
	vm_run -t 90 '
		snap() { udevadm settle -t 30; stat -c %N '"${links[*]}"' 2>&1
			cat '"${links[*]/%driver/driver_override}"' 2>&1; }
		prev=$(snap) same=0 end=$((SECONDS + 60))
		while ((same < 4 && SECONDS < end)); do
			sleep 0.5
			cur=$(snap)
			if [[ $cur == "$prev" ]]; then same=$((same + 1)); else same=0 prev=$cur; fi
		done
		((same >= 4)) || { echo "still changing after 60 s:"; echo "$cur"; exit 1; }'
}

# vm_functions ADDR...: one line per function: "ADDR DRIVER OVERRIDE", with
# "none" for no driver and "(null)" for no driver_override, "absent" for
# a function that does not exist.
vm_functions() {
	vm_run '
		for a in '"$*"'; do
			d=/sys/bus/pci/devices/$a
			if [[ ! -e $d ]]; then echo "$a absent absent"; continue; fi
			drv=$(readlink "$d/driver") && drv=${drv##*/} || drv=none
			echo "$a $drv $(cat "$d/driver_override")"
		done'
}

# vm_plug_card ID PORT: hot-plugs a GPU card into root port PORT (hp1..hp4)
# the way the kernel sees one appear: the USB controller (qemu-xhci
# 1b36:000d, ID-usb, driver xhci_hcd of module xhci_pci) first, then the
# display function (qxl 1b36:0100, ID-gpu, driver qxl) with
# multifunction=on, which makes the slot appear. Both carry the Red Hat
# vendor ID, as a Turing card's display and USB-C controller both carry
# NVIDIA's: the binder takes a function of the slot with the GPU only when
# the vendor is the GPU's (an APU's slot also holds the CPU's USB).
# Prints the GPU's guest address once both functions exist in the guest.
# A port takes one card per boot: QEMU 7.2 keeps an unplugged display's
# video memory registered, and aborts when a second one comes into the
# same port.
vm_plug_card() {
	local id=$1 port=$2 gpu
	if [[ " $VM_USED_PORTS " == *" $port "* ]]; then
		echo "vm_plug_card: $port had a card in this boot already (QEMU 7.2 would abort); use another port" >&2
		return 1
	fi
	VM_USED_PORTS+=" $port"
	vm_device_add "qemu-xhci,id=$id-usb,bus=$port,addr=0x0.1" || return
	vm_device_add "qxl,id=$id-gpu,bus=$port,addr=0x0.0,multifunction=on,ram_size_mb=8,vram_size_mb=8,vgamem_mb=4" || return
	gpu=$(vm_pci_addr "$id-gpu") || { echo "vm_plug_card: QEMU does not list $id-gpu" >&2; return 1; }
	vm_wait_guest -t 60 "[[ -e /sys/bus/pci/devices/$gpu && -e /sys/bus/pci/devices/${gpu%.0}.1 ]]" ||
		{ echo "vm_plug_card: $gpu and ${gpu%.0}.1 did not appear in the guest within 60 s" >&2; return 1; }
	echo "$gpu"
}

# vm_uevents_start: records the kernel's pci uevents from now on (udevadm
# monitor, line-buffered, in a transient unit). Returns once a "change"
# uevent it provoked on the host bridge shows in the record, so nothing
# after it is missed.
vm_uevents_start() {
	vm_run 'systemd-run --quiet --unit=vmtest-uevents --collect -p StandardOutput=file:/run/vmtest-uevents.log \
			stdbuf -oL udevadm monitor --kernel --property --subsystem-match=pci &&
		for ((i = 0; i < 100; i++)); do
			echo change >/sys/bus/pci/devices/0000:00:00.0/uevent
			sleep 0.3
			grep -q "^ACTION=change" /run/vmtest-uevents.log && exit 0
		done
		echo "udevadm monitor recorded nothing within 30 s" >&2
		exit 1'
}

# vm_uevents: the recorded uevents, one line each: "ACTION ADDRESS DRIVER"
# ("-": no DRIVER property), in the order the kernel sent them.
vm_uevents() {
	vm_run 'awk -F= '"'"'
		/^ACTION=/ { a = $2 }
		/^DEVPATH=/ { n = split($2, p, "/"); d = p[n] }
		/^DRIVER=/ { drv = $2 }
		/^$/ && a != "" { print a, d, (drv == "" ? "-" : drv); a = d = drv = "" }
		'"'"' /run/vmtest-uevents.log'
}

# vm_modules_loaded MODULE...: 0 when every MODULE is loaded in the guest.
vm_modules_loaded() {
	vm_run 'for m in '"$*"'; do [[ -d /sys/module/$m ]] || { echo "$m not loaded"; exit 1; }; done'
}

# --- checks (pass/fail lines from tests/hooks/lib.sh) ---------------------------

# vm_check DESCRIPTION SCRIPT...: passes when SCRIPT exits 0 in the guest; a
# failure shows what it printed.
vm_check() {
	local what=$1 out rc
	shift
	out=$(vm_run "$@" 2>&1)
	rc=$?
	if ((rc == 0)); then
		pass "$VM_NAME: $what"
	else
		fail "$VM_NAME: $what (exit $rc)"
		[[ -z $out ]] || vm_indent <<<"$out" >&2
	fi
	return "$rc"
}

# vm_expect ADDR=DRIVER...: each function ends on DRIVER ("none": unbound).
# One expected on vfio-pci must carry driver_override vfio-pci; any other
# must carry none, so that the binder left nothing behind.
vm_expect() {
	local e addr want got ovr lines
	local -A drv=() override=()
	lines=$(vm_functions "${@%%=*}") || { fail "$VM_NAME: cannot read the functions' drivers"; return 1; }
	while read -r addr got ovr; do
		drv[$addr]=$got
		override[$addr]=$ovr
	done <<<"$lines"
	for e in "$@"; do
		addr=${e%%=*} want=${e#*=}
		got=${drv[$addr]:-absent} ovr=${override[$addr]:-absent}
		if [[ $got != "$want" ]]; then
			fail "$VM_NAME: $addr on $got, expected $want (driver_override $ovr)"
		elif [[ $want == vfio-pci && $ovr != vfio-pci ]]; then
			fail "$VM_NAME: $addr on vfio-pci, but driver_override is $ovr"
		elif [[ $want != vfio-pci && $ovr != "(null)" ]]; then
			fail "$VM_NAME: $addr on $got, but driver_override $ovr was left behind"
		else
			pass "$VM_NAME: $addr on $want (driver_override $ovr)"
		fi
	done
}

# vm_expect_binds ADDR "DRIVER..."...: the "bind" uevents vm_uevents_start
# recorded for ADDR name exactly these drivers, in this order ("" for none):
# a function that a driver took and let go again shows here, not in the
# end state.
vm_expect_binds() {
	local events addr want got
	events=$(vm_uevents) || { fail "$VM_NAME: cannot read the recorded uevents"; return 1; }
	while (($# >= 2)); do
		addr=$1 want=$2
		shift 2
		got=$(awk -v a="$addr" '$1 == "bind" && $2 == a { printf "%s%s", sep, $3; sep = " " }' <<<"$events")
		if [[ $got == "$want" ]]; then
			pass "$VM_NAME: $addr was bound to ${want:-nothing}${want:+, and nothing else}"
		else
			fail "$VM_NAME: $addr was bound to '${got}', expected '${want}' (bind uevents in order)"
		fi
	done
}

# vm_journal UNIT: the unit's messages of this boot.
vm_journal() {
	vm_run "journalctl -b --no-pager -o short-monotonic -u '$1'"
}

# vm_diag: what a failed scenario shows: the monitor's journal, the PCI
# functions with their drivers, the binder's kernel log lines.
vm_diag() {
	[[ -n ${VM_PID:-} ]] || return 0
	echo "---- $VM_NAME: diagnostics"
	vm_run -t 30 '
		echo "-- journalctl -u vfio-binder-monitor"; journalctl -b --no-pager -o short-monotonic -u vfio-binder-monitor | tail -n 40
		echo "-- lspci -nnk"; lspci -nnk
		echo "-- driver_override"; grep -H . /sys/bus/pci/devices/*/driver_override | grep -v "(null)"
		echo "-- dmesg (vfio, pci hot-plug)"; dmesg | grep -Ei "vfio|pciehp|acpiphp|nvme|qxl|xhci" | tail -n 40' 2>&1
	echo "---- end of diagnostics ($VM_DIR/console.log has the serial console)"
}

# --- scenarios ------------------------------------------------------------------

VM_SCENARIOS=()
declare -A VM_SCENARIO_FN=() VM_SCENARIO_DESC=()

# vm_scenario NAME FUNCTION DESCRIPTION: registers a scenario (a scenario
# file calls it); vm_run_scenarios runs FUNCTION in a fresh vm_new NAME.
vm_scenario() {
	VM_SCENARIOS+=("$1")
	VM_SCENARIO_FN[$1]=$2
	VM_SCENARIO_DESC[$1]=$3
}

# vm_run_scenarios [REGEX]: each registered scenario whose name matches, in
# order; the VM is stopped after each, with diagnostics if it failed.
vm_run_scenarios() {
	local name fails_before start
	for name in "${VM_SCENARIOS[@]}"; do
		[[ $name =~ ${1:-.} ]] || continue
		echo "# === $name: ${VM_SCENARIO_DESC[$name]}"
		start=$SECONDS
		fails_before=$fails
		vm_new "$name"
		"${VM_SCENARIO_FN[$name]}" || ((fails > fails_before)) || fail "$name: the scenario stopped early (see above)"
		((fails > fails_before)) && vm_diag >&2
		vm_stop
		echo "# === $name: $((SECONDS - start)) s, $([[ $fails == "$fails_before" ]] && echo passed || echo FAILED)"
	done
}
