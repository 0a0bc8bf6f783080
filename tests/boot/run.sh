#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot tests: Debian's kernel under QEMU (q35, emulated Intel IOMMU) from
# initramfs images that dracut (systemd and shell flavours) and initramfs-tools
# built with the project's hooks from a staged "make install DESTDIR=...". A
# test-only hook reports every PCI function's driver once udev has settled and
# powers off; each scenario checks the driver per function.
#
# The race with udev shows in the result rather than by luck: every scenario
# runs with unbind = no (the default), so a native driver that got to a
# function first keeps it and the check fails, and the report must show the
# native driver modules loaded, so udev did try.
#
# Environment: VFIO_BINDER_BOOT_ACCEL=kvm|tcg (default: probe KVM with a real
# boot, else TCG), VFIO_BINDER_BOOT_ONLY=REGEX (scenario names),
# VFIO_BINDER_BOOT_FLAVOURS (default "initramfs-tools dracut-systemd dracut-sh
# initramfs-tools-modprobe"),
# VFIO_BINDER_BOOT_REPEAT (boots of the boot_vga scenario, default 2).
# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
set -u
BOOT=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$BOOT/../hooks/lib.sh"
# shellcheck source-path=SCRIPTDIR source=../hooks/stage.sh
. "$BOOT/../hooks/stage.sh"

need_root
for t in qemu-system-x86_64 dracut mkinitramfs cpio timeout; do
	command -v "$t" >/dev/null ||
		skip "$t not found (Debian packages qemu-system-x86, dracut-core, initramfs-tools, cpio)"
done
kver=$(test_kver) || skip "no kernel in /lib/modules with /boot/vmlinuz-* (Debian package linux-image-amd64)"
KERNEL=/boot/vmlinuz-$kver
FLAVOURS=${VFIO_BINDER_BOOT_FLAVOURS:-initramfs-tools dracut-systemd dracut-sh initramfs-tools-modprobe}
ONLY=${VFIO_BINDER_BOOT_ONLY:-.}
REPEAT=${VFIO_BINDER_BOOT_REPEAT:-2}
WORK=$BUILDDIR/tests/boot/work
t_start=$SECONDS

stage_build || { fail "staged install (see above)"; finish; exit; }
rm -rf "$WORK"
mkdir -p "$WORK/etc-empty" "$WORK/conf" "$WORK/logs"

# --- images: one per flavour, without a configuration; scenarios add theirs.

build_dracut() {
	local flavour=$1 layer=$WORK/usr-test omit=()
	local mod=$layer/lib/dracut/modules.d/99vfio-report

	mkdir -p "$mod"
	cp "$BOOT"/dracut/99vfio-report/*.sh "$mod/"
	cp "$BOOT/report.sh" "$mod/vfio-report.sh"
	[[ $flavour == dracut-sh ]] && omit=(--omit "systemd systemd-initrd dracut-systemd")
	# As a user would for a host without /etc/vfio.conf yet: --add vfio-binder.
	STAGE_EXTRA_USR=$layer staged "$WORK/etc-empty" \
		dracut --force --quiet --no-hostonly --no-hostonly-cmdline --kver "$kver" \
		--tmpdir "$WORK" --add "vfio-binder vfio-report" "${omit[@]}" "$WORK/$flavour.img"
}

build_itools() {
	local conf=$WORK/itconf

	itools_conf "$conf"
	REPORT_SH=$BOOT/report.sh staged "$WORK/etc-empty" \
		mkinitramfs -d "$conf" -o "$WORK/initramfs-tools.img" "$kver"
}

# The modprobe.d file as the only line of defence: the init-top script left
# out (a non-executable file of the same name in the configuration directory
# hides the installed one), the file in /etc/modprobe.d, which mkinitramfs
# copies into the image. qxl stands in for amdgpu, nouveau and the rest
# (xhci_pci, for the card's USB controller, is in the file's list).
build_itools_modprobe() {
	local conf=$WORK/itconf-modprobe etc=$WORK/etc-modprobe

	itools_conf "$conf"
	printf '#!/bin/sh\n# left out by the boot test\n' >"$conf/scripts/init-top/00-vfio-binder"
	chmod 644 "$conf/scripts/init-top/00-vfio-binder"
	mkdir -p "$etc/modprobe.d"
	{
		cat "$STAGE/root/usr/share/vfio-binder/modprobe.d/vfio-binder.conf"
		echo "softdep qxl pre: vfio-pci"
	} >"$etc/modprobe.d/vfio-binder.conf"
	REPORT_SH=$BOOT/report.sh staged "$etc" \
		mkinitramfs -d "$conf" -o "$WORK/initramfs-tools-modprobe.img" "$kver"
}

itools_conf() {
	local conf=$1

	cp -a /etc/initramfs-tools "$conf"
	# Only what hooks ask for: ours (vfio-pci) and the test's (native drivers).
	sed -i 's/^MODULES=.*/MODULES=list/' "$conf/initramfs.conf"
	: >"$conf/modules"
	mkdir -p "$conf/hooks" "$conf/scripts/init-top" "$conf/scripts/init-premount"
	cp "$BOOT/initramfs/hooks/vfio-report" "$conf/hooks/"
	cp "$BOOT/initramfs/scripts/init-top/0-test-preload" "$conf/scripts/init-top/"
	cp "$BOOT/initramfs/scripts/init-premount/vfio-report" "$conf/scripts/init-premount/"
}

declare -A built
for flavour in $FLAVOURS; do
	start=$SECONDS
	case $flavour in
	initramfs-tools) build_itools >"$WORK/logs/build-$flavour.log" 2>&1 ;;
	initramfs-tools-modprobe) build_itools_modprobe >"$WORK/logs/build-$flavour.log" 2>&1 ;;
	dracut-systemd | dracut-sh) build_dracut "$flavour" >"$WORK/logs/build-$flavour.log" 2>&1 ;;
	*) echo "unknown flavour $flavour" >"$WORK/logs/build-$flavour.log"; false ;;
	esac
	if [[ $? == 0 && -s $WORK/$flavour.img ]]; then
		built[$flavour]=1
		pass "$flavour image built in $((SECONDS - start)) s ($(du -h "$WORK/$flavour.img" | cut -f1))"
	else
		fail "$flavour image:"
		cat "$WORK/logs/build-$flavour.log"
	fi
done

# --- the machines
# shellcheck disable=SC2054 # commas are QEMU's, inside one argument

# machine_args NAME IOMMU: sets QEMU_ARGS. Addresses as the guest sees them:
# 00:01.0 boot VGA (bochs-drm), 00:03.0 PCIe root port, and behind it, on
# bus 01: machine "slot" a GPU card: a qxl display (01:00.0, 1b36:0100,
# boot_vga 0) with a qemu-xhci USB controller (01:00.1, 1b36:000d) in one
# multifunction slot, one vendor like a Turing card's display and USB-C; machine "twins" a second VGA with
# the boot VGA's vendor:device (01:00.0).
machine_args() {
	local name=$1 iommu=$2

	QEMU_ARGS=(-machine q35 -m 1536 -smp 2 -nodefaults -display none -no-reboot)
	[[ $iommu == yes ]] && QEMU_ARGS+=(-device intel-iommu)
	QEMU_ARGS+=(-device VGA,bus=pcie.0,addr=0x1
		-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x3,chassis=1)
	case $name in
	slot)
		QEMU_ARGS+=(-device qxl,bus=rp1,addr=0x0.0,multifunction=on,ram_size_mb=8,vram_size_mb=8,vgamem_mb=4
			-device qemu-xhci,bus=rp1,addr=0x0.1)
		;;
	twins)
		QEMU_ARGS+=(-device VGA,bus=rp1,addr=0x0)
		;;
	esac
}

# boot IMAGE MACHINE IOMMU CMDLINE LOG TIMEOUT: 0 when the report came out;
# BOOT_STATUS is timeout's (124 or 137: time ran out; over 128 otherwise:
# QEMU died of that signal). A SPICE server on a socket of its own: QEMU's
# qxl model needs one running, or QEMU 7.2 aborts when the guest's qxl driver
# draws (spice-server: handle_dev_oom). drm_kms_helper.fbdev_emulation=0: no
# framebuffer console on the cards (the serial console is the one read).
boot() {
	local img=$1 machine=$2 iommu=$3 cmdline=$4 log=$5 tmo=$6 iommu_arg=intel_iommu=off

	[[ $iommu == yes ]] && iommu_arg=intel_iommu=on
	machine_args "$machine" "$iommu"
	timeout -k 10 "$tmo" qemu-system-x86_64 "${ACCEL_ARGS[@]}" "${QEMU_ARGS[@]}" \
		-serial "file:$log" -kernel "$KERNEL" -initrd "$img" \
		-spice "unix=on,addr=$log.spice,disable-ticketing=on" \
		-append "console=ttyS0,115200 loglevel=7 printk.devkmsg=on panic=-1 rd.shell=0 rd.emergency=poweroff drm_kms_helper.fbdev_emulation=0 $iommu_arg $cmdline" \
		</dev/null >>"$log.qemu" 2>&1
	BOOT_STATUS=$?
	grep -q 'VFIO-REPORT-END' "$log"
}

# boot_glitch LOG: after a boot without its report, whether the emulator is
# the cause rather than anything in the image: QEMU died of a signal (QEMU
# 7.2's TCG has, in early boot: tests/vm/lib.sh, vm_boot_glitch), or the
# guest kernel reported a CPU stall (a VM suite guest in CI once never
# finished booting after one). Prints which, with the console's end, and
# keeps the log as LOG.first; 1 when it was neither.
boot_glitch() {
	local log=$1 why stall

	if ((BOOT_STATUS > 128 && BOOT_STATUS != 137)); then
		why="QEMU died of signal $((BOOT_STATUS - 128))"
	elif stall=$(guest_stall "$log"); then
		why="the guest kernel reported a CPU stall ($stall)"
	else
		return 1
	fi
	echo "# $why, no report; the console's end:"
	tr -d '\r' <"$log" | tail -n 20 | sed 's/^/#   /'
	mv "$log" "$log.first"
}

# --- KVM or TCG: /dev/kvm can exist and still stall a stock kernel (nested
# virtualization), so a short real boot decides.
probe_img=
for flavour in initramfs-tools dracut-systemd dracut-sh; do
	[[ -n ${built[$flavour]:-} ]] && probe_img=$WORK/$flavour.img && break
done
accel=${VFIO_BINDER_BOOT_ACCEL:-}
if [[ -z $accel ]]; then
	accel=tcg
	if [[ -n $probe_img && -w /dev/kvm ]]; then
		ACCEL_ARGS=(-accel kvm -cpu host)
		start=$SECONDS
		if boot "$probe_img" slot yes "" "$WORK/logs/kvm-probe.log" 60; then
			accel=kvm
		fi
		echo "# KVM probe: $([[ $accel == kvm ]] && echo "booted in $((SECONDS - start)) s" || echo "no report within 60 s"); using $accel"
	fi
fi
case $accel in
kvm) ACCEL_ARGS=(-accel kvm -cpu host) TIMEOUT=${VFIO_BINDER_BOOT_TIMEOUT:-120} ;;
*) ACCEL_ARGS=(-accel "tcg,thread=multi") TIMEOUT=${VFIO_BINDER_BOOT_TIMEOUT:-300} ;;
esac
echo "# accelerator: $accel, timeout per boot ${TIMEOUT} s"

# --- configurations, added to an image as a small cpio archive

mkconf() {
	cat >"$WORK/conf/$1.conf"
}
mkconf boot_vga <<'EOF'
[binder]
policy = boot_vga
companions = slot
EOF
mkconf boot_vga_opts <<'EOF'
[binder]
policy = boot_vga
[options]
disable_vga = 1
EOF
mkconf auto_reset <<'EOF'
[binder]
driver = auto
[devices]
device = 0000:01:00.0 reset_method=bus
EOF
mkconf id <<'EOF'
[devices]
id = 1234:1111
EOF
mkconf device <<'EOF'
[binder]
companions = slot
[devices]
device = 0000:01:00.0
EOF
mkconf bad <<'EOF'
# a typo in the policy name
[binder]
policy = bootvga
EOF

# image_for FLAVOUR CONF OUT: the flavour's image with CONF as /etc/vfio.conf.
image_for() {
	local flavour=$1 conf=$2 out=$3 dir

	if [[ $conf == - ]]; then
		ln -sf "$WORK/$flavour.img" "$out"
		return
	fi
	dir=$(mktemp -d "$WORK/cpio.XXXXXX")
	mkdir -p "$dir/etc"
	cp "$WORK/conf/$conf.conf" "$dir/etc/vfio.conf"
	# The kernel unpacks concatenated archives in order. This one goes first,
	# uncompressed, like an early microcode archive: the images have no
	# /etc/vfio.conf to clash with, and the kernel does not find an archive
	# appended after a zstd-compressed one.
	(cd "$dir" && find etc | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >"$dir.cpio"
	cat "$dir.cpio" "$WORK/$flavour.img" >"$out"
	rm -rf "$dir" "$dir.cpio"
}

# first_line 'A<<B' LOG: the first line matching A comes before the first
# matching B (extended regexes), both present.
first_line() {
	local a=${1%%<<*} b=${1#*<<} na nb
	na=$(tr -d '\r' <"$2" | grep -nE -m1 -- "$a" | cut -d: -f1)
	nb=$(tr -d '\r' <"$2" | grep -nE -m1 -- "$b" | cut -d: -f1)
	[[ -n $na && -n $nb ]] && ((na < nb))
}

# ktime_before 'A<<B' LOG: by the kernel's own timestamps, the binder's line
# matching A (from dmesg in the guest) was logged before the first kernel
# line matching B. Patterns go through the environment: awk -v would eat
# their backslashes.
ktime_before() {
	tr -d '\r' <"$2" | KT_A=${1%%<<*} KT_B=${1#*<<} awk '
		function stamp(s) { sub(/^\[ */, "", s); sub(/\].*/, "", s); return s }
		function text(s) { sub(/^\[[^]]*\] /, "", s); return s }
		/VFIO-KMSG \[/ && ta == "" {
			l = $0; sub(/.*VFIO-KMSG /, "", l)
			if (text(l) ~ ENVIRON["KT_A"]) ta = stamp(l)
		}
		/^\[ *[0-9]+\.[0-9]+\] / && tb == "" && text($0) ~ ENVIRON["KT_B"] { tb = stamp($0) }
		END { exit !(ta != "" && tb != "" && ta + 0 < tb + 0) }'
}

# scenario NAME FLAVOURS MACHINE IOMMU CONF CMDLINE EXPECT...
#   EXPECT: ADDR=DRIVER     the function ends on DRIVER
#           mod=NAME        module NAME is loaded (udev did load the native driver)
#           log=REGEX       the boot log (console) matches (extended regex)
#           kmsg=REGEX      the kernel log (dmesg in the guest) matches
#           nokmsg=REGEX    the kernel log does not match
#           nolog=REGEX     the boot log does not match
#           param=M.P=V     module parameter M.P reads V after the boot
#           order=A<<B      in the boot log, A first shows before B
#           ktime=A<<B      by kernel timestamps, the binder's line A (dmesg)
#                           came before the first kernel line B
# Every function not named ADDR=vfio-pci must end off vfio-pci with no
# driver_override; the ones named must carry driver_override = vfio-pci.
scenario() {
	local name=$1 flavours=$2 machine=$3 iommu=$4 conf=$5 cmdline=$6
	shift 6
	local flavour e addr want got line log img start bad extra args

	[[ $name =~ $ONLY ]] || return 0
	for flavour in $flavours; do
		[[ " $FLAVOURS " == *" $flavour "* ]] || continue
		if [[ -z ${built[$flavour]:-} ]]; then
			fail "$flavour/$name: no image"
			continue
		fi
		log=$WORK/logs/$flavour-$name.log
		img=$WORK/$flavour-$name.img
		rm -f "$log" "$log.qemu" "$log.spice"
		image_for "$flavour" "$conf" "$img"
		start=$SECONDS
		bad=()
		# dracut's shell init refuses to go on without root=; the report
		# comes while its initqueue waits for this device that never shows.
		extra=
		[[ $flavour == dracut-sh ]] && extra=root=/dev/vfio-test-none
		args=("$img" "$machine" "$iommu" "$cmdline${extra:+ $extra}" "$log" "$TIMEOUT")
		if ! boot "${args[@]}" &&
			! { boot_glitch "$log" && echo "# $flavour/$name: booting again, once" && boot "${args[@]}"; }; then
			bad+=("no report within $TIMEOUT s (or QEMU failed: $(tail -n3 "$log.qemu" 2>/dev/null | tr '\n' ' '))")
		else
			tr -d '\r' <"$log" | grep -o 'VFIO-REPORT [^ ].*' >"$log.report"
			tr -d '\r' <"$log" | grep -o 'VFIO-MODULES.*' | head -n1 >"$log.modules"
			declare -A expect=()
			for e in "$@"; do
				case $e in
				mod=*)
					grep -qw -- "${e#mod=}" "$log.modules" || bad+=("module ${e#mod=} not loaded: $(cat "$log.modules")")
					;;
				log=*)
					tr -d '\r' <"$log" | grep -qE -- "${e#log=}" || bad+=("log lacks /${e#log=}/")
					;;
				kmsg=*)
					tr -d '\r' <"$log" | grep -o 'VFIO-KMSG .*' | grep -qE -- "${e#kmsg=}" ||
						bad+=("kernel log lacks /${e#kmsg=}/")
					;;
				nokmsg=*)
					tr -d '\r' <"$log" | grep -o 'VFIO-KMSG .*' | grep -qE -- "${e#nokmsg=}" &&
						bad+=("kernel log has /${e#nokmsg=}/")
					;;
				param=*)
					line=$(tr -d '\r' <"$log" | grep -o 'VFIO-PARAM .*' | tail -n1)
					[[ $line == "VFIO-PARAM ${e#param=}" ]] || bad+=("module parameter not ${e#param=}: ${line:-not reported}")
					;;
				order=*)
					first_line "${e#order=}" "$log" || bad+=("log: not in this order: ${e#order=}")
					;;
				ktime=*)
					ktime_before "${e#ktime=}" "$log" || bad+=("kernel timestamps: not in this order: ${e#ktime=}")
					;;
				nolog=*)
					tr -d '\r' <"$log" | grep -qE -- "${e#nolog=}" && bad+=("log has /${e#nolog=}/")
					;;
				*=*)
					expect[${e%%=*}]=${e#*=}
					;;
				esac
			done
			for addr in "${!expect[@]}"; do
				grep -q "^VFIO-REPORT $addr " "$log.report" || bad+=("$addr: not in the report (machine has no such function?)")
			done
			while read -r _ addr line; do
				got=$(sed -n 's/.* driver=\([^ ]*\).*/\1/p' <<<"$line")
				want=${expect[$addr]:-}
				if [[ -n $want ]]; then
					[[ $got == "$want" ]] || bad+=("$addr: driver $got, expected $want")
				fi
				if [[ $want == vfio-pci ]]; then
					[[ $line == *" override=vfio-pci"* ]] || bad+=("$addr: driver_override is not vfio-pci ($line)")
					[[ $line != *" group=none "* ]] || bad+=("$addr: on vfio-pci without an IOMMU group")
				else
					[[ $got != vfio-pci ]] || bad+=("$addr: on vfio-pci, not selected ($line)")
					[[ $line == *" override=none"* ]] || bad+=("$addr: driver_override set, not selected ($line)")
				fi
			done <"$log.report"
			unset expect
			# A lost race with unbind = no leaves this warning behind.
			tr -d '\r' <"$log" | grep -qE 'vfio-binder: .*not taken' && bad+=("the binder lost a race: $(grep -m1 'not taken' "$log")")
		fi
		if ((${#bad[@]} == 0)); then
			pass "$flavour/$name ($((SECONDS - start)) s)"
		else
			fail "$flavour/$name ($((SECONDS - start)) s):"
			printf '    %s\n' "${bad[@]}" >&2
			echo "---- full boot log $log" >&2
			tr -d '\r' <"$log" >&2
			echo "---- end of boot log" >&2
		fi
	done
}

SLOT_NATIVE=(0000:00:01.0=bochs-drm mod=bochs mod=qxl mod=xhci_pci)

# 1. policy = boot_vga: the secondary GPU and its USB controller on vfio-pci, the boot
# VGA native. Booted REPEAT times per flavour.
# The kernel timestamps show the binder done before udev's first native
# display driver (bochs-drm, for the boot VGA) initialised. In
# initramfs-tools the init-top script writes to the console before udev's
# script starts udevd, so there the console also shows the order of events.
BOOT_VGA=(0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}"
	'kmsg=vfio-binder: 0000:01:00.0 \[1b36:0100\] -> vfio-pci \(boot_vga policy\)'
	'kmsg=vfio-binder: 0000:01:00.1 \[1b36:000d\] -> vfio-pci \(companion of 0000:01:00.0\)'
	'ktime=vfio-binder: 0000:01:00.1 .*-> vfio-pci<<\[drm\] Initialized bochs-drm')
for ((i = 1; i <= REPEAT; i++)); do
	scenario "boot_vga-$i" initramfs-tools slot yes boot_vga "" "${BOOT_VGA[@]}" \
		'order=vfio-binder: 0000:01:00.1 .*-> vfio-pci<<Starting systemd-udevd'
	scenario "boot_vga-$i" "dracut-systemd dracut-sh" slot yes boot_vga "" "${BOOT_VGA[@]}"
done

# 2. Identical cards: id = the boot VGA's own vendor:device; only the other one.
scenario identical "initramfs-tools dracut-systemd" twins yes id "" \
	0000:01:00.0=vfio-pci 0000:00:01.0=bochs-drm mod=bochs

# 3. device = by address, companions = slot: both functions of the slot, nothing else.
scenario device-slot "initramfs-tools dracut-systemd" slot yes device "" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}"

# 4. Kill switch: scenario 1's configuration, booted with the command line of
# the fallback boot entry the kernel-install plugin writes (the same
# arguments as the normal entry plus vfio_binder=off): all native.
fallback_cmdline() {
	local ki=$WORK/ki mid=0123456789abcdef0123456789abcdef
	local plugin=$STAGE/root/usr/lib/kernel/install.d/91-vfio-binder.install
	local loaderentry=/usr/lib/kernel/install.d/90-loaderentry.install

	mkdir -p "$ki/conf" "$ki/boot/$mid"
	echo layout=bls >"$ki/conf/install.conf"
	echo "loglevel=7" >"$ki/conf/cmdline"
	echo "$mid" >"$ki/conf/entry-token"
	echo kernel >"$ki/vmlinuz"
	echo initrd >"$ki/initrd.img"
	MACHINE_ID=$mid BOOT_ROOT=$ki/boot KERNEL_INSTALL_CONF_ROOT=$ki/conf \
		KERNEL_INSTALL_PLUGINS="$loaderentry $plugin" \
		kernel-install add "$kver" "$ki/vmlinuz" "$ki/initrd.img" >"$WORK/logs/kernel-install.log" 2>&1 || return
	sed -n 's/^options //p' "$ki"/boot/loader/entries/*-vfio-binder-off.conf
}
KILL_CMDLINE=$(fallback_cmdline)
if [[ $KILL_CMDLINE != *vfio_binder=off* ]]; then
	fail "the fallback entry of the kernel-install plugin has no vfio_binder=off (options: '$KILL_CMDLINE'):"
	cat "$WORK/logs/kernel-install.log" >&2
	KILL_CMDLINE=vfio_binder=off
fi
echo "# kill switch: the fallback entry's options: $KILL_CMDLINE"
scenario kill-switch "initramfs-tools dracut-systemd" slot yes boot_vga "$KILL_CMDLINE" \
	0000:01:00.0=qxl 0000:01:00.1=xhci_hcd "${SLOT_NATIVE[@]}" \
	'kmsg=vfio-binder: .*kill switch'

# 4b. driver = auto (the emulated devices have no vfio variant driver: vfio-pci)
# and reset_method= on a device line, read back after the boot. The second
# VGA sits alone behind its root port, so a bus reset is one it offers.
scenario auto-reset "initramfs-tools dracut-systemd" twins yes auto_reset "" \
	0000:01:00.0=vfio-pci 0000:00:01.0=bochs-drm mod=bochs \
	'kmsg=vfio-binder: 0000:01:00.0 \[1234:1111\]: reset_method bus' \
	'log=VFIO-REPORT 0000:01:00.0 .* reset=bus$'

# 5. No configuration file, the command line alone (companions = slot by default).
scenario cmdline-only "initramfs-tools dracut-systemd" slot yes - "vfio_binder.device=0000:01:00.0" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}"

# 6. No IOMMU: nothing overridden, the boot goes on, the log says why.
scenario no-iommu "initramfs-tools dracut-systemd" slot no boot_vga "" \
	0000:01:00.0=qxl 0000:01:00.1=xhci_hcd "${SLOT_NATIVE[@]}" \
	'kmsg=vfio-binder: .*no IOMMU'

# 7. A syntax error in the configuration: the boot goes on, the log names file and line.
scenario bad-config "initramfs-tools dracut-systemd" slot yes bad "" \
	0000:01:00.0=qxl 0000:01:00.1=xhci_hcd "${SLOT_NATIVE[@]}" \
	"kmsg=vfio-binder: /etc/vfio.conf:3: unknown policy 'bootvga'"

# 8. vfio-pci loaded before the binder runs: the probe request still binds.
# Its [options] cannot apply any more: a warning says so and what to do.
# dracut's systemd flavour reads rd.driver.pre= only after its pre-udev
# hooks (dracut-pre-udev.sh), so there the binder loads vfio-pci first and
# its options apply; the busybox flavour loads it in a cmdline hook, before.
PRELOADED_OPTS='vfio-binder: module vfio_pci is already loaded, so the options of \[options\] \(disable_vga=1\) do not apply'
scenario preloaded dracut-systemd slot yes boot_vga_opts "rd.driver.pre=vfio-pci" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}" "nokmsg=$PRELOADED_OPTS" \
	param=vfio_pci.disable_vga=Y
scenario preloaded dracut-sh slot yes boot_vga_opts "rd.driver.pre=vfio-pci" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}" "kmsg=$PRELOADED_OPTS" \
	param=vfio_pci.disable_vga=N
scenario preloaded initramfs-tools slot yes boot_vga_opts "vfio_test.preload=1" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}" "kmsg=$PRELOADED_OPTS" \
	param=vfio_pci.disable_vga=N 'log=vfio-test: vfio-pci loaded before the binder'

# 9. The modprobe.d file alone, without the init-top hook: loading the native
# drivers runs the binder through the softdep and the install line, without
# recursing, under busybox.
scenario modprobe-d initramfs-tools-modprobe slot yes boot_vga "" \
	0000:01:00.0=vfio-pci 0000:01:00.1=vfio-pci "${SLOT_NATIVE[@]}" \
	'kmsg=vfio-binder: 0000:01:00.0 \[1b36:0100\] -> vfio-pci' \
	'order=Starting systemd-udevd<<vfio-binder: 0000:01:00.0 .*-> vfio-pci'

echo "# boot suite: $((SECONDS - t_start)) s with $accel"
finish
