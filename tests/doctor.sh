#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-binder doctor on fake roots: a sysfs tree from tests/topologies, a
# proc with cmdline, cpuinfo and osrelease, an etc, a boot with small
# initramfs images made here with cpio, a modules directory indexed by
# depmod over fake .ko files compiled here, and a run with a boot record.
# Text and JSON against tests/expected/doctor/; UPDATE_EXPECTED=1 rewrites
# them (review the diff before committing).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "${TOPDIR:?}/tests/lib.sh"

EXPECTED="$TOPDIR/tests/expected/doctor"
: "${SYSCONFDIR:?run through make check}"
CC=${CC:-cc}
# Where the initramfs hooks put the configuration, as doctor looks for it.
IMAGECONF=${SYSCONFDIR#/}/vfio.conf
KVER=6.1.0-test
# 2026-01-01 00:00:00 UTC, and a boot ten minutes before it
RECORD_TIME=1767225600
BTIME=1767225000

need() {
	for _t; do
		command -v "$_t" >/dev/null 2>&1 && continue
		if [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
			fail "doctor tests need $_t"
			finish
			exit 1
		fi
		echo "SKIP: doctor tests need $_t"
		exit 77
	done
}
need "$CC" depmod cpio gzip lsinitramfs lsinitrd unmkinitramfs

compare() { # NAME ACTUAL-FILE
	if [ -n "${UPDATE_EXPECTED:-}" ]; then
		mkdir -p "$EXPECTED" && cp "$2" "$EXPECTED/$1"
	fi
	if diff -u "$EXPECTED/$1" "$2"; then pass; else fail "output differs from tests/expected/doctor/$1"; fi
}

# --- fake kernel modules -------------------------------------------------------
KERNELS="$TMP/kernels"

# mkmod: a module file depmod and libkmod read like a real one (tests/lib-kmod.sh).
# shellcheck source=lib-kmod.sh
. "$TOPDIR/tests/lib-kmod.sh"

mkkernel() { # KVER [unsigned] [builtin-nouveau] [builtin-vfio]
	_k="$KERNELS/lib/modules/$1"
	_vfio=signed _nouveau=module _vfiobi=no
	shift
	for _o; do
		case $_o in
		unsigned) _vfio=unsigned ;;
		builtin-nouveau) _nouveau=builtin ;;
		builtin-vfio) _vfiobi=yes ;;
		esac
	done
	mkdir -p "$_k"
	: > "$_k/modules.builtin"
	: > "$_k/modules.builtin.modinfo"
	mkmod "$_k" kernel/virt/lib/irqbypass.ko irqbypass signed irqbypass_register -
	mkmod "$_k" kernel/drivers/vfio/vfio.ko vfio signed vfio_register irqbypass_register
	mkmod "$_k" kernel/drivers/vfio/pci/vfio-pci-core.ko vfio_pci_core signed vfio_pci_core_init vfio_register
	if [ "$_vfiobi" = yes ]; then
		echo kernel/drivers/vfio/pci/vfio-pci.ko >> "$_k/modules.builtin"
		printf 'vfio_pci.alias=vfio_pci:v*d*sv*sd*bc*sc*i*\000' >> "$_k/modules.builtin.modinfo"
	else
		mkmod "$_k" kernel/drivers/vfio/pci/vfio-pci.ko vfio_pci "$_vfio" - vfio_pci_core_init 'vfio_pci:v*d*sv*sd*bc*sc*i*'
	fi
	if [ "$_nouveau" = builtin ]; then
		echo kernel/drivers/gpu/drm/nouveau/nouveau.ko >> "$_k/modules.builtin"
		printf 'nouveau.alias=pci:v000010DEd*sv*sd*bc03sc*i*\000' >> "$_k/modules.builtin.modinfo"
	else
		mkmod "$_k" kernel/drivers/gpu/drm/nouveau/nouveau.ko nouveau signed - - 'pci:v000010DEd*sv*sd*bc03sc*i*'
	fi
	mkmod "$_k" kernel/sound/pci/hda/snd-hda-intel.ko snd_hda_intel signed - - \
		'pci:v000010DEd*sv*sd*bc04sc03i00' 'pci:v00008086d0000A170sv*sd*bc*sc*i*' 'pci:v00001002d*sv*sd*bc04sc03i00'
	mkmod "$_k" kernel/drivers/gpu/drm/i915/i915.ko i915 signed - - 'pci:v00008086d00001912sv*sd*bc03sc*i*'
	mkmod "$_k" kernel/drivers/gpu/drm/amd/amdgpu/amdgpu.ko amdgpu signed - - 'pci:v00001002d000073FFsv*sd*bc*sc*i*'
	mkmod "$_k" kernel/drivers/usb/host/xhci-pci.ko xhci_pci signed - - 'pci:v*d*sv*sd*bc0Csc03i30'
	mkmod "$_k" kernel/drivers/i2c/busses/i2c-nvidia-gpu.ko i2c_nvidia_gpu signed - - 'pci:v000010DEd00001AD9sv*sd*bc*sc*i*'
	: > "$_k/modules.order"
	depmod -b "$KERNELS" "$(basename "$_k")" 2>/dev/null || { echo "depmod failed" >&2; exit 99; }
}

mkkernel "$KVER"
mkkernel 6.1.0-unsigned unsigned
mkkernel 6.1.0-builtin builtin-nouveau
mkkernel 6.1.0-vfio-builtin builtin-vfio

# --- fake roots ----------------------------------------------------------------

# An initramfs image from a staging tree, like each generator lays it out.
mkimage() { # STAGE IMAGE
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -n) > "$2"
}

# The staging tree of a good initramfs-tools image for the config given.
stage_itools() { # DIR CONFIG-FILE|- [KVER]
	rm -rf "$1/usr/lib/modules"
	mkdir -p "$1/conf" "$1/scripts/init-top" "$1/usr/sbin" "$1/usr/lib/modules/${3:-$KVER}/kernel/drivers/vfio/pci"
	echo 'MODULES=most' > "$1/conf/initramfs.conf"
	echo '#!/bin/sh' > "$1/scripts/init-top/00-vfio-binder"
	echo '#!/bin/sh' > "$1/scripts/init-top/udev"
	echo 'ELF' > "$1/usr/sbin/vfio-binder"
	echo 'ELF' > "$1/usr/lib/modules/${3:-$KVER}/kernel/drivers/vfio/pci/vfio-pci.ko"
	if [ "$2" != - ]; then
		mkdir -p "$1/$(dirname "$IMAGECONF")"
		cp "$2" "$1/$IMAGECONF"
	fi
}

# A machine that is ready: Intel, IOMMU and remapping on, the plan binds the
# GTX 1070 and its audio, a matching initramfs, a boot record, a way back.
newroot() { # NAME [TOPOLOGY-FILE] [EXTRA-TOPOLOGY-LINES]
	_r="$TMP/$1"
	mkdir -p "$_r/proc/sys/kernel" "$_r/etc/grub.d" "$_r/boot/grub" "$_r/run/vfio-binder"
	cat "${2:-$TOPDIR/tests/topologies/skylake-gtx1070-igd-host.txt}" > "$_r/topo.txt"
	[ -z "${3:-}" ] || printf '%s\n' "$3" >> "$_r/topo.txt"
	# This runs in $(...): stop the whole test, not only the subshell.
	"$MKFAKESYS" "$_r/topo.txt" "$_r/sys" || { echo "cannot build a tree for $1" >&2; kill -TERM $$; exit 99; }
	mkdir -p "$_r/sys/class/iommu/dmar0/intel-iommu" "$_r/sys/kernel/security" "$_r/sys/firmware/efi/efivars"
	echo 'd2008c40660f5e' > "$_r/sys/class/iommu/dmar0/intel-iommu/ecap"
	echo '[none] integrity confidentiality' > "$_r/sys/kernel/security/lockdown"
	printf '\006\000\000\000\000' > "$_r/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"

	echo "BOOT_IMAGE=/vmlinuz-$KVER root=/dev/sda1 ro intel_iommu=on iommu=pt quiet" > "$_r/proc/cmdline"
	printf 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Core(TM) i7-6700K CPU @ 4.00GHz\n\n' > "$_r/proc/cpuinfo"
	echo "$KVER" > "$_r/proc/sys/kernel/osrelease"
	printf '            CPU0       CPU1\n 120:          0         35  IR-PCI-MSI-0000:00:17.0    0-edge      ahci[0000:00:17.0]\n' > "$_r/proc/interrupts"
	printf 'cpu  1 2 3 4\nbtime %s\nprocesses 100\n' "$BTIME" > "$_r/proc/stat"

	printf '[binder]\npolicy = boot_vga\n' > "$_r/etc/vfio.conf"
	printf '#!/bin/sh\n# vfio-binder fallback entry\n' > "$_r/etc/grub.d/11_vfio-binder"
	chmod 755 "$_r/etc/grub.d/11_vfio-binder"

	echo "# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set" > "$_r/boot/config-$KVER"
	printf 'menuentry "Debian GNU/Linux" {\n\tlinux /vmlinuz-%s root=/dev/sda1 ro\n}\nmenuentry "Debian GNU/Linux, without vfio-binder" {\n\tlinux /vmlinuz-%s root=/dev/sda1 ro vfio_binder=off\n}\n' \
		"$KVER" "$KVER" > "$_r/boot/grub/grub.cfg"
	stage_itools "$_r/stage" "$_r/etc/vfio.conf"
	mkimage "$_r/stage" "$_r/boot/initrd.img-$KVER"

	# What bind would have recorded at boot: both functions on vfio-pci.
	printf 'version 1\ntime %s\nconfig %s present\nfunction 0000:01:00.0 vfio-pci bound\nfunction 0000:01:00.1 vfio-pci bound\n' \
		"$RECORD_TIME" "$_r/etc/vfio.conf" > "$_r/run/vfio-binder/boot"
	cp "$_r/etc/vfio.conf" "$_r/run/vfio-binder/boot.conf"
	echo "$_r"
}

# The functions on vfio-pci now, as after a good boot.
on_driver() { # ROOT DRIVER ADDR...
	_r=$1 _drv=$2
	shift 2
	mkdir -p "$_r/sys/bus/pci/drivers/$_drv"
	for _a; do
		rm -f "$_r/sys/devices/pci0000:00/$_a/driver"
		ln -s "../../../bus/pci/drivers/$_drv" "$_r/sys/devices/pci0000:00/$_a/driver"
	done
}

run_doctor() { # ROOT [OPTIONS...]: prints the output, normalised, and the exit status
	_r=$1
	shift
	"$BINDER" --sysfs "$_r/sys" --proc "$_r/proc" --etc "$_r/etc" --boot "$_r/boot" \
		--modules "$KERNELS/lib/modules" --run "$_r/run" "$@" doctor > "$TMP/raw" 2>&1
	echo "exit $?" >> "$TMP/raw"
	sed -e "s|$TMP|@TMP@|g" -e "s| $IMAGECONF| @IMAGECONF@|g" -e "s|\"$IMAGECONF|\"@IMAGECONF@|g" "$TMP/raw"
}

# Runs both forms and compares them with tests/expected/doctor/NAME.{txt,json}.
scenario() { # NAME ROOT [OPTIONS...]
	_name=$1
	shift
	run_doctor "$@" > "$TMP/out.txt"
	compare "$_name.txt" "$TMP/out.txt"
	run_doctor "$@" --json > "$TMP/out.json"
	compare "$_name.json" "$TMP/out.json"
	if command -v python3 >/dev/null; then
		sed '$d' "$TMP/out.json" > "$TMP/only.json"
		check "$_name.json is JSON" python3 -m json.tool "$TMP/only.json" >/dev/null
	elif [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ]; then
		fail "python3 is needed to check that the JSON is JSON"
	fi
}

exit_of() { tail -n 1 "$TMP/out.txt"; }

# --- 1. a machine that is ready --------------------------------------------------
root=$(newroot good)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
on_driver "$root" i915 0000:00:02.0
before=$(snapshot "$root")
scenario good "$root"
check "good: exit 0" test "$(exit_of)" = "exit 0"
check "doctor writes nothing" test "$before" = "$(snapshot "$root")"

# The same with unmkinitramfs instead of lsinitrd for the extraction, and
# lsinitrd for the listing when lsinitramfs is missing.
# A PATH of links to every tool but one: the first of each name wins, as in PATH.
for without in lsinitrd lsinitramfs; do
	mkdir "$TMP/bin-no-$without"
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		[ -d "$d" ] && ln -s "$d"/* "$TMP/bin-no-$without/" 2>/dev/null
	done
	rm "$TMP/bin-no-$without/$without"
done
PATH="$TMP/bin-no-lsinitrd" run_doctor "$root" > "$TMP/out.txt"
check "unmkinitramfs: the same findings" diff -u "$EXPECTED/good.txt" "$TMP/out.txt"
PATH="$TMP/bin-no-lsinitramfs" run_doctor "$root" > "$TMP/out.txt"
check "lsinitrd lists an initramfs-tools image" grep -q '(listed with lsinitrd)' "$TMP/out.txt"
check "lsinitrd: otherwise the same findings" \
	sh -c "sed 's/listed with lsinitrd/listed with lsinitramfs/' '$TMP/out.txt' | diff -u '$EXPECTED/good.txt' -"
check "doctor with other tools writes nothing" test "$before" = "$(snapshot "$root")"

# --- 2. the configuration changed after the image was built and after the boot ----
root=$(newroot stale)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
printf '[binder]\npolicy = boot_vga\n\n[options]\ndisable_vga = 1\n' > "$root/etc/vfio.conf"
scenario stale "$root"
check "stale: exit 1" test "$(exit_of)" = "exit 1"
PATH="$TMP/bin-no-lsinitrd" run_doctor "$root" > "$TMP/out.txt"
check "stale, unmkinitramfs: the same findings" diff -u "$EXPECTED/stale.txt" "$TMP/out.txt"

# --- 3. the image lacks the hook and the module ------------------------------------
root=$(newroot no-hook)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
rm -r "$root/stage/scripts/init-top/00-vfio-binder" "$root/stage/usr/lib/modules"
mkimage "$root/stage" "$root/boot/initrd.img-$KVER"
scenario no-hook "$root"
check "no hook: exit 1" test "$(exit_of)" = "exit 1"

# --- 4. the boot VGA twin: two identical cards, ids= takes both --------------------
# The headless Z77 boots on its GTX 1070; a second GTX 1070 goes to the guest.
root=$(newroot twin "$TOPDIR/tests/topologies/z77-gtx1070-headless.txt" "12 0000:02:00.0 0x030000 10de:1b81 0 second GTX 1070 (the guest's)
12 0000:02:00.1 0x040300 10de:10f0 - its audio")
on_driver "$root" nouveau 0000:01:00.0
on_driver "$root" vfio-pci 0000:02:00.0 0000:02:00.1
printf '[binder]\npolicy = list\n\n[devices]\ndevice = 02:00.0\n' > "$root/etc/vfio.conf"
stage_itools "$root/stage" "$root/etc/vfio.conf"
mkimage "$root/stage" "$root/boot/initrd.img-$KVER"
printf 'version 1\ntime %s\nconfig %s present\nfunction 0000:02:00.0 vfio-pci bound\nfunction 0000:02:00.1 vfio-pci bound\n' \
	"$RECORD_TIME" "$root/etc/vfio.conf" > "$root/run/vfio-binder/boot"
cp "$root/etc/vfio.conf" "$root/run/vfio-binder/boot.conf"
mkdir -p "$root/etc/modprobe.d"
printf '# passthrough\noptions vfio-pci ids=10de:1b81,10de:10f0 disable_vga=1\n' > "$root/etc/modprobe.d/vfio.conf"
echo "BOOT_IMAGE=/vmlinuz-$KVER ro intel_iommu=on vfio_pci.ids=10de:1b81" > "$root/proc/cmdline"
scenario twin "$root"
check "twin: exit 1" test "$(exit_of)" = "exit 1"

# --- 5. a hybrid laptop: no function reads boot_vga = 1 -----------------------------
cat > "$TMP/hybrid.txt" <<'EOT'
# Optimus laptop: the firmware boots on neither PCI GPU
1 0000:00:02.0 0x030000 8086:1912 0 Intel HD Graphics 530
2 0000:00:01.0 0x060400 8086:1901 - PCIe root port
2 0000:01:00.0 0x030200 10de:1c8d - NVIDIA GP107M [GeForce GTX 1050 Mobile]
EOT
root=$(newroot hybrid "$TMP/hybrid.txt")
rm -r "$root/run/vfio-binder"
scenario hybrid "$root"
check "hybrid: exit 1" test "$(exit_of)" = "exit 1"

# --- 6. a configuration error: file:line, exit 2 ------------------------------------
root=$(newroot bad-config)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
printf '[binder]\npolicy = bootvga\ndevice = 01:00.0\n' > "$root/etc/vfio.conf"
scenario bad-config "$root"
check "bad config: exit 2" test "$(exit_of)" = "exit 2"

# --- 7. nouveau built in; lockdown with an unsigned vfio-pci ---------------------------
root=$(newroot builtin)
on_driver "$root" vfio-pci 0000:01:00.1
echo 6.1.0-builtin > "$root/proc/sys/kernel/osrelease"
printf 'ffffffffc0a01234 d __initcall__kmod_nouveau__812_1392_nouveau_drm_init6\n' > "$root/boot/System.map-6.1.0-builtin"
cp "$root/boot/config-$KVER" "$root/boot/config-6.1.0-builtin"
rm "$root/boot/initrd.img-$KVER"
stage_itools "$root/stage" "$root/etc/vfio.conf" 6.1.0-builtin
mkimage "$root/stage" "$root/boot/initrd.img-6.1.0-builtin"
scenario builtin "$root"
check "builtin: exit 1" test "$(exit_of)" = "exit 1"
echo "BOOT_IMAGE=/vmlinuz ro intel_iommu=on initcall_blacklist=nouveau_drm_init" > "$root/proc/cmdline"
run_doctor "$root" > "$TMP/out.txt"
check "initcall_blacklist= keeps the built-in driver off" \
	grep -q "^ok .*native driver nouveau is built into kernel 6.1.0-builtin, and initcall_blacklist=nouveau_drm_init keeps it from starting" "$TMP/out.txt"
rm "$root/boot/System.map-6.1.0-builtin"
echo "BOOT_IMAGE=/vmlinuz ro intel_iommu=on" > "$root/proc/cmdline"
run_doctor "$root" > "$TMP/out.txt"
check "without System.map: the convention, as an example" \
	grep -q "initcall_blacklist=FUNCTION, where FUNCTION is nouveau's module_init function (e.g. nouveau_init" "$TMP/out.txt"

root=$(newroot unsigned)
echo 6.1.0-unsigned > "$root/proc/sys/kernel/osrelease"
echo '# CONFIG_INTEL_IOMMU_DEFAULT_ON is not set' > "$root/boot/config-6.1.0-unsigned"
rm "$root/boot/initrd.img-$KVER"
stage_itools "$root/stage" "$root/etc/vfio.conf" 6.1.0-unsigned
mkimage "$root/stage" "$root/boot/initrd.img-6.1.0-unsigned"
echo 'none [integrity] confidentiality' > "$root/sys/kernel/security/lockdown"
printf '\006\000\000\000\001' > "$root/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
scenario unsigned "$root"
check "unsigned under lockdown: exit 1" test "$(exit_of)" = "exit 1"
echo '[none] integrity confidentiality' > "$root/sys/kernel/security/lockdown"
run_doctor "$root" > "$TMP/out.txt"
check "unsigned under Secure Boot alone: a warning" \
	grep -q "^warning  signing    Secure Boot is on and vfio_pci is unsigned" "$TMP/out.txt"
printf '\006\000\000\000\000' > "$root/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
run_doctor "$root" > "$TMP/out.txt"
check "unsigned without Secure Boot: fine" \
	grep -q "^ok       signing    Secure Boot off, lockdown none: unsigned modules load (unsigned: vfio_pci)" "$TMP/out.txt"

# --- 8. conflicts in every place a native driver can be forced early ----------------
root=$(newroot conflicts)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
mkdir -p "$root/etc/modprobe.d" "$root/etc/mkinitcpio.conf.d" "$root/etc/dracut.conf.d" \
	"$root/etc/initramfs-tools" "$root/etc/modules-load.d"
printf 'blacklist vfio_pci\nsoftdep vfio-pci pre: \\\n\tnouveau\nsoftdep nouveau pre: vfio-pci\n' > "$root/etc/modprobe.d/gpu.conf"
printf 'MODULES=(ext4 nouveau?\n  i915)\nHOOKS=(base vfio-binder udev)\n' > "$root/etc/mkinitcpio.conf"
printf 'force_drivers+=" snd_hda_intel "\nadd_drivers+=" nouveau "\n' > "$root/etc/dracut.conf.d/gpu.conf"
printf '# modules for the initramfs\nnouveau modeset=1\n' > "$root/etc/initramfs-tools/modules"
printf '; loaded at boot\nsnd-hda-intel\n' > "$root/etc/modules-load.d/audio.conf"
echo "BOOT_IMAGE=/vmlinuz ro intel_iommu=on rd.driver.pre=nouveau module_blacklist=vfio_pci" > "$root/proc/cmdline"
scenario conflicts "$root"
check "conflicts: exit 1" test "$(exit_of)" = "exit 1"

# --- 9. dracut: initramfs-KVER.img, systemd-modules-load in it ------------------------
root=$(newroot dracut)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
rm -rf "$root/stage" "$root/boot/initrd.img-$KVER"
mkdir -p "$root/stage/usr/lib/dracut/hooks/pre-udev" "$root/stage/usr/bin" "$root/stage/usr/lib/systemd" \
	"$root/stage/usr/lib/modules/$KVER/kernel/drivers/vfio/pci" "$root/stage/$(dirname "$IMAGECONF")" "$root/etc/modules-load.d"
echo 'dracut-059' > "$root/stage/usr/lib/dracut/dracut-version"
echo '#!/bin/sh' > "$root/stage/usr/lib/dracut/hooks/pre-udev/30-vfio-binder-hook.sh"
echo 'ELF' > "$root/stage/usr/bin/vfio-binder"
echo 'ELF' > "$root/stage/usr/lib/systemd/systemd-modules-load"
echo 'xz' > "$root/stage/usr/lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci.ko.xz"
cp "$root/etc/vfio.conf" "$root/stage/$IMAGECONF"
mkimage "$root/stage" "$root/boot/initramfs-$KVER.img"
echo nouveau > "$root/etc/modules-load.d/gpu.conf"
mkdir -p "$root/etc/dracut.conf.d"
printf '# forced early\nforce_drivers+=" nouveau "\n' > "$root/etc/dracut.conf.d/gpu.conf"
echo "BOOT_IMAGE=/vmlinuz-$KVER ro intel_iommu=on rd.driver.pre=snd-hda-intel" > "$root/proc/cmdline"
scenario dracut "$root"
check "dracut: exit 1" test "$(exit_of)" = "exit 1"
# The busybox flavour (no systemd in the image) reads rd.driver.pre=, and so
# force_drivers, in a cmdline hook before the pre-udev hooks: errors there.
rm "$root/stage/usr/lib/systemd/systemd-modules-load"
mkimage "$root/stage" "$root/boot/initramfs-$KVER.img"
run_doctor "$root" > "$TMP/out.txt"
check "dracut busybox image: rd.driver.pre= of a native driver is an error" \
	grep -q "^error    conflicts  kernel command line: rd.driver.pre= loads snd_hda_intel before dracut's pre-udev hooks, before the binder: it takes 0000:01:00.1 first" "$TMP/out.txt"
check "dracut busybox image: force_drivers of a native driver is an error" \
	grep -q "^error    conflicts  .*/gpu.conf:2: dracut force_drivers loads nouveau, the native driver of 0000:01:00.0: dracut loads force_drivers before its pre-udev hooks, so before the binder" "$TMP/out.txt"

# --- 10. mkinitcpio: the preset whose kernel is the running one ----------------------
root=$(newroot mkinitcpio)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
rm -rf "$root/stage" "$root/boot/initrd.img-$KVER"
mkdir -p "$root/stage/hooks" "$root/stage/usr/bin" "$root/stage/usr/lib/modules/$KVER/kernel/drivers/vfio/pci" \
	"$root/stage/$(dirname "$IMAGECONF")" "$root/etc/mkinitcpio.d"
echo 'ash functions' > "$root/stage/init_functions"
echo 'run_earlyhook() { :; }' > "$root/stage/hooks/vfio-binder"
echo 'ELF' > "$root/stage/usr/bin/vfio-binder"
echo 'zst' > "$root/stage/usr/lib/modules/$KVER/kernel/drivers/vfio/pci/vfio-pci.ko.zst"
cp "$root/etc/vfio.conf" "$root/stage/$IMAGECONF"
mkimage "$root/stage" "$root/boot/initramfs-linux.img"
mkimage "$root/stage" "$root/boot/initramfs-linux-lts.img"
# Two presets; the kernels' setup headers name their releases (boot protocol: 0x202 "HdrS", 0x20e the offset).
for k in linux:"$KVER" linux-lts:6.6.60-1-lts; do
	name=${k%%:*} rel=${k#*:}
	printf "ALL_kver=\"/boot/vmlinuz-%s\"\nPRESETS=('default' 'fallback')\ndefault_image=\"/boot/initramfs-%s.img\"\nfallback_image=\"/boot/initramfs-%s-fallback.img\"\n" \
		"$name" "$name" "$name" > "$root/etc/mkinitcpio.d/$name.preset"
	head -c 1024 /dev/zero > "$root/boot/vmlinuz-$name"
	printf 'HdrS' | dd of="$root/boot/vmlinuz-$name" bs=1 seek=514 conv=notrunc 2>/dev/null
	printf '\000\001' | dd of="$root/boot/vmlinuz-$name" bs=1 seek=526 conv=notrunc 2>/dev/null
	printf '%s (builder@archlinux) #1 SMP PREEMPT_DYNAMIC\000' "$rel" | dd of="$root/boot/vmlinuz-$name" bs=1 seek=768 conv=notrunc 2>/dev/null
done
# The lts preset sorts first: the match is by kernel release, not by order.
mv "$root/etc/mkinitcpio.d/linux-lts.preset" "$root/etc/mkinitcpio.d/a-linux-lts.preset"
scenario mkinitcpio "$root"
check "mkinitcpio: exit 0" test "$(exit_of)" = "exit 0"

# --- 11. nothing there: no modules for the kernel, no image, no record, no way back ---
root=$(newroot bare)
echo 6.9.9-nomodules > "$root/proc/sys/kernel/osrelease"
rm -rf "${root:?}/boot"/* "$root/run/vfio-binder" "$root/etc/grub.d" "$root/sys/class/iommu" "$root/proc/interrupts"
printf 'vendor_id\t: AuthenticAMD\n' > "$root/proc/cpuinfo"
echo "BOOT_IMAGE=/vmlinuz ro amd_iommu=off" > "$root/proc/cmdline"
rm -rf "$root/sys/kernel/iommu_groups"/*
scenario bare "$root"
check "bare: exit 1" test "$(exit_of)" = "exit 1"

# --- 12. the boot record against the machine ---------------------------------------
root=$(newroot record)
on_driver "$root" vfio-pci 0000:01:00.0
on_driver "$root" snd_hda_intel 0000:01:00.1
printf 'version 1\ntime %s\nconfig %s present\nfunction 0000:01:00.0 vfio-pci failed\nfunction 0000:01:00.1 vfio-pci bound\n' \
	"$((BTIME - 3600))" "$root/etc/vfio.conf" > "$root/run/vfio-binder/boot"
scenario record "$root"
check "record: exit 0 (warnings only)" test "$(exit_of)" = "exit 0"

# --- smaller cases: one finding each ------------------------------------------------
root=$(newroot small)
on_driver "$root" vfio-pci 0000:01:00.0 0000:01:00.1
expect() { # DESCRIPTION PATTERN
	check "$1" grep -q -- "$2" "$TMP/out.txt"
}
echo "BOOT_IMAGE=/vmlinuz ro quiet" > "$root/proc/cmdline"
run_doctor "$root" > "$TMP/out.txt"
expect "Intel without intel_iommu=on on a kernel that defaults to off: an error" \
	"^error    iommu      GenuineIntel CPU: kernel $KVER leaves the Intel IOMMU off unless asked"
echo "CONFIG_INTEL_IOMMU_DEFAULT_ON=y" > "$root/boot/config-$KVER"
run_doctor "$root" > "$TMP/out.txt"
expect "Intel, a kernel that defaults to on: fine" \
	"^ok       iommu      GenuineIntel CPU: kernel $KVER turns the Intel IOMMU on by default"
echo "BOOT_IMAGE=/vmlinuz ro intel_iommu=off" > "$root/proc/cmdline"
run_doctor "$root" > "$TMP/out.txt"
expect "intel_iommu=off: an error" "^error    iommu      GenuineIntel CPU and intel_iommu=off"
echo "BOOT_IMAGE=/vmlinuz ro intel_iommu=on intremap=off" > "$root/proc/cmdline"
sed -i 's/IR-PCI-MSI/PCI-MSI/' "$root/proc/interrupts"
run_doctor "$root" > "$TMP/out.txt"
expect "intremap=off: an error naming it" "^error    iommu      interrupt remapping is off.*intremap=off is on the kernel command line"
mkdir -p "$root/sys/module/vfio_iommu_type1/parameters"
echo Y > "$root/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"
run_doctor "$root" > "$TMP/out.txt"
expect "allow_unsafe_interrupts: a warning" "^warning  iommu      interrupt remapping is off, and vfio_iommu_type1 allow_unsafe_interrupts is set"
rm -r "$root/sys/module/vfio_iommu_type1" "$root/proc/interrupts"
run_doctor "$root" > "$TMP/out.txt"
expect "no /proc/interrupts: the ECAP bit" "^ok       iommu      the IOMMU supports interrupt remapping (ECAP bit 3"
printf '[binder]\npolicy = boot_vga\n\n[options]\ndisable_vga = 1\n' > "$root/etc/vfio.conf"
mkdir -p "$root/sys/module/vfio_pci/parameters"
echo N > "$root/sys/module/vfio_pci/parameters/disable_vga"
run_doctor "$root" > "$TMP/out.txt"
expect "options of a loaded driver: a warning with the current value" \
	"^warning  driver     vfio-pci is loaded already, so \[options\] do not apply until it loads again: disable_vga=1 (N)"
echo Y > "$root/sys/module/vfio_pci/parameters/disable_vga"
run_doctor "$root" > "$TMP/out.txt"
expect "options of a loaded driver that match: fine" "^ok       driver     vfio-pci is loaded, with the values of \[options\]"
echo 6.1.0-vfio-builtin > "$root/proc/sys/kernel/osrelease"
run_doctor "$root" > "$TMP/out.txt"
expect "a built-in driver: fine" "^ok       driver     vfio-pci is built into kernel 6.1.0-vfio-builtin"
expect "a built-in driver with options: a warning" "^warning  driver     vfio-pci is built in: \[options\] (disable_vga=1) cannot be given"
echo "$KVER" > "$root/proc/sys/kernel/osrelease"
chmod 644 "$root/etc/grub.d/11_vfio-binder"
run_doctor "$root" > "$TMP/out.txt"
expect "grub.cfg with the entry: fine, even with the script not executable" "^ok       fallback   @TMP@/small/boot/grub/grub.cfg has an entry with vfio_binder=off"
sed -i '/vfio_binder=off/d' "$root/boot/grub/grub.cfg"
run_doctor "$root" > "$TMP/out.txt"
expect "a script that is not executable: a warning" "^warning  fallback   @TMP@/small/etc/grub.d/11_vfio-binder is not executable"
chmod 755 "$root/etc/grub.d/11_vfio-binder"
run_doctor "$root" > "$TMP/out.txt"
expect "a script, grub.cfg not regenerated: update-grub" "^warning  fallback   .*is installed, but grub.cfg has no vfio_binder=off entry yet; fix: update-grub"
mkdir -p "$root/boot/loader/entries"
printf 'title Debian (no vfio-binder)\nlinux /vmlinuz\noptions root=/dev/sda1 vfio_binder=off\n' > "$root/boot/loader/entries/debian-novfio.conf"
run_doctor "$root" > "$TMP/out.txt"
expect "a boot loader entry: fine" "^ok       fallback   boot loader entry @TMP@/small/boot/loader/entries/debian-novfio.conf has vfio_binder=off"
cp "$root/boot/initrd.img-$KVER" "$root/boot/initrd.img-6.1.0-unsigned"
echo 6.1.0-unsigned > "$root/proc/sys/kernel/osrelease"
run_doctor "$root" > "$TMP/out.txt"
expect "an image whose module is for another kernel: an error" \
	"^error    initramfs  the image's vfio-pci module is not for kernel 6.1.0-unsigned: usr/lib/modules/$KVER/"
echo "$KVER" > "$root/proc/sys/kernel/osrelease"
rm "$root/boot/initrd.img-$KVER"
printf 'not an image' > "$root/boot/initrd.img-$KVER"
run_doctor "$root" > "$TMP/out.txt"
expect "a damaged image: the lister fails" "^error    initramfs  lsinitramfs @TMP@/small/boot/initrd.img-$KVER failed"
"$BINDER" --sysfs "$root/sys" --boot "$TMP/nonexistent" doctor > "$TMP/out.txt" 2>&1
check "a missing root given by the user: exit 2" test $? -eq 2
expect "a missing root is named" "cannot open the --boot root $TMP/nonexistent: No such file or directory"
"$BINDER" --sysfs "$TMP/nonexistent" doctor > "$TMP/out.txt" 2>&1
check "a missing sysfs root: exit 2" test $? -eq 2
# --etc moves the default configuration; -c still wins.
run_doctor "$root" -c "$TMP/none.conf" > "$TMP/out.txt"
expect "-c wins over --etc" "configuration @TMP@/none.conf$"
expect "nothing configured: a warning with the fix" \
	"^warning  plan       the plan binds nothing: nothing is configured; fix: write @TMP@/none.conf"
check "nothing configured: said once" test "$(grep -c 'nothing to do\|binds nothing' "$TMP/out.txt")" -eq 1

finish
