#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vfio-binder doctor on a real system (issue 15, check 6): the guest builds
# its own initramfs with the binder's initramfs-tools hook; doctor finds the
# binder, the hook, vfio-pci and a vfio.conf byte-identical to /etc/vfio.conf
# in it (ok). Then /etc/vfio.conf changes and the image is stale: doctor
# says so as an error with the rebuild command, and exits 1.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

vm_scenario doctor-initramfs sc_doctor_initramfs "doctor: a fresh image is ok on check 6, a stale one an error"
sc_doctor_initramfs() {
	local kver
	vm_conf <<-'EOF2'
		[devices]
		; nothing of this machine: the plan binds nothing, the image must still carry it
		id = 10de:1b81
	EOF2
	# Only what the hooks ask for: a small image, built quickly under TCG.
	vm_file /etc/initramfs-tools/conf.d/vmtest.conf <<-'EOF2'
		MODULES=list
		COMPRESS=gzip
	EOF2
	vm_boot || return
	kver=$(vm_run 'uname -r') || return
	# update-initramfs under TCG: about a minute, more on a busy host.
	vm_check "update-initramfs builds an image with the binder's hook" -t 300 \
		"mkdir -p /boot && { update-initramfs -c -k $kver >/run/update-initramfs.log 2>&1 || { tail -n 30 /run/update-initramfs.log; exit 1; }; } && { lsinitramfs /boot/initrd.img-$kver | grep -q 'scripts/init-top/00-vfio-binder' || { echo 'the image lacks scripts/init-top/00-vfio-binder'; exit 1; }; }" ||
		return
	vm_run -t 180 "vfio-binder doctor >/run/doctor.good; echo \$? >/run/doctor.good.rc"
	vm_check "doctor, fresh image: the configuration in the image is /etc/vfio.conf's" \
		"grep -E '^ok +initramfs .*vfio.conf' /run/doctor.good || { cat /run/doctor.good; exit 1; }"
	vm_check "doctor, fresh image: no initramfs error" \
		"! grep -E '^error +initramfs' /run/doctor.good || { cat /run/doctor.good; exit 1; }"
	vm_run 'printf "[devices]\nid = 10de:2204\n" >/etc/vfio.conf'
	vm_run -t 180 "vfio-binder doctor >/run/doctor.stale; echo \$? >/run/doctor.stale.rc"
	vm_check "doctor, stale image: an error on check 6 with the rebuild command" \
		"grep -E '^error +initramfs .*update-initramfs -u' /run/doctor.stale || { cat /run/doctor.stale; exit 1; }"
	vm_check "doctor, stale image: exit status 1" "[[ \$(cat /run/doctor.stale.rc) == 1 ]]"
}
