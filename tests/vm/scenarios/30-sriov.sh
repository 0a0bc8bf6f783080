#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Scenario 5: SR-IOV virtual functions created while the monitor runs. An
# emulated NVMe controller (QEMU's nvme with sriov_max_vfs=2, in an NVM
# subsystem, docs/system/devices/nvme.rst) as the physical function at
# 00:05.0 on the root bus; its VFs appear at 00:05.1 and 00:05.2 (VF offset
# and stride 1), 1b36:0010 like the PF. The VFs cannot do I/O (no flexible
# resources assigned), but the kernel's nvme driver still binds one and
# lets it go when its probe fails: the uevent record catches that.
# shellcheck disable=SC2016 # single-quoted scripts run in the guest

SRIOV_PF=0000:00:05.0
SRIOV_VFS=(0000:00:05.1 0000:00:05.2)

sriov_machine() {
	vm_qemu_args -device nvme-subsys,id=nvmesubsys0 \
		-device nvme,id=nvme0,serial=vmtest-pf,subsys=nvmesubsys0,bus=pcie.0,addr=0x5,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2
	vm_enable vfio-binder-monitor.service
}

# sriov_make_vfs [AUTOPROBE]: (AUTOPROBE into sriov_drivers_autoprobe first,
# if given) 2 VFs, recorded, and settled; then the checks both recipes share.
sriov_make_vfs() {
	local pf=/sys/bus/pci/devices/$SRIOV_PF
	vm_wait_guest "[[ \$(readlink $pf/driver) == */nvme ]]" ||
		{ fail "$VM_NAME: the PF $SRIOV_PF is not on nvme within 60 s of the boot"; return 1; }
	vm_uevents_start || return
	[[ -z ${1:-} ]] || vm_run "echo $1 >$pf/sriov_drivers_autoprobe" || return
	vm_check "2 VFs created (sriov_numvfs)" "echo 2 >$pf/sriov_numvfs" || return
	vm_wait_guest "[[ -e /sys/bus/pci/devices/${SRIOV_VFS[0]} && -e /sys/bus/pci/devices/${SRIOV_VFS[1]} ]]" ||
		{ fail "$VM_NAME: the VFs ${SRIOV_VFS[*]} did not appear"; return 1; }
	vm_settle "$SRIOV_PF" "${SRIOV_VFS[@]}" || echo "# $VM_NAME: the functions' drivers did not hold still for 2 s within 60 s"
	vm_expect "$SRIOV_PF=nvme" "${SRIOV_VFS[0]}=vfio-pci" "${SRIOV_VFS[1]}=vfio-pci"
	vm_expect_binds "${SRIOV_VFS[0]}" vfio-pci "${SRIOV_VFS[1]}" vfio-pci
}

# The recipe being added: "vfs = PF" selects the PF's virtual functions, and
# the binder sets sriov_drivers_autoprobe = 0 on the PF itself, so the
# admin writes only sriov_numvfs.
vm_scenario sriov-vfs sc_sriov_vfs "[devices] vfs = PF: the VFs end on vfio-pci, never on nvme; the PF keeps nvme"
sc_sriov_vfs() {
	sriov_machine
	vm_conf <<-EOF
		[devices]
		vfs = $SRIOV_PF
	EOF
	vm_boot || return
	vm_check "vfio-binder-monitor.service is active" 'systemctl is-active vfio-binder-monitor.service' ||
		vm_run 'journalctl -b -o cat -u vfio-binder-monitor.service | grep "vfio-binder:"' 2>&1 | vm_indent
	vm_check "the binder set sriov_drivers_autoprobe = 0 on the PF" \
		"[[ \$(cat /sys/bus/pci/devices/$SRIOV_PF/sriov_drivers_autoprobe) == 0 ]]"
	sriov_make_vfs
}

# The README's recipe today ("SR-IOV recipe"): the VFs' vendor:device, and
# the admin turns sriov_drivers_autoprobe off before writing sriov_numvfs.
# QEMU's VFs share the PF's 1b36:0010, so the PF is excluded by address.
vm_scenario sriov-readme sc_sriov_readme "the README's SR-IOV recipe (id = VF's vendor:device, autoprobe off by hand)"
sc_sriov_readme() {
	sriov_machine
	vm_conf <<-EOF
		[devices]
		id = 1b36:0010
		exclude = $SRIOV_PF
	EOF
	vm_boot || return
	vm_check "vfio-binder-monitor.service is active" 'systemctl is-active vfio-binder-monitor.service'
	sriov_make_vfs 0
}

# Issue 16's [sriov]: the binder makes the VFs itself (the monitor, when nvme
# binds the PF, or at its start when nvme already has it) and vfs = takes
# them; autoprobe is left to the binder, so nvme never touches a VF.
vm_scenario sriov-config sc_sriov_config "[sriov] PF = 2 with vfs = PF: the binder makes the VFs, they end on vfio-pci, nvme never probes them"
sc_sriov_config() {
	local pf=/sys/bus/pci/devices/$SRIOV_PF
	sriov_machine
	vm_conf <<-EOF
		[devices]
		vfs = $SRIOV_PF @ 1b36:0010
		[sriov]
		$SRIOV_PF @ 1b36:0010 = 2
	EOF
	vm_boot || return
	vm_check "vfio-binder-monitor.service is active" 'systemctl is-active vfio-binder-monitor.service' ||
		vm_run 'journalctl -b -o cat -u vfio-binder-monitor.service | grep "vfio-binder:"' 2>&1 | vm_indent
	vm_wait_guest "[[ -e /sys/bus/pci/devices/${SRIOV_VFS[0]} && -e /sys/bus/pci/devices/${SRIOV_VFS[1]} ]]" ||
		{ fail "$VM_NAME: the binder made no VFs ${SRIOV_VFS[*]}"; vm_journal vfio-binder-monitor.service; return 1; }
	vm_check "sriov_numvfs reads 2" "[[ \$(cat $pf/sriov_numvfs) == 2 ]]"
	vm_check "sriov_drivers_autoprobe is 0" "[[ \$(cat $pf/sriov_drivers_autoprobe) == 0 ]]"
	vm_settle "$SRIOV_PF" "${SRIOV_VFS[@]}" || echo "# $VM_NAME: the functions' drivers did not hold still for 2 s within 60 s"
	vm_expect "$SRIOV_PF=nvme" "${SRIOV_VFS[0]}=vfio-pci" "${SRIOV_VFS[1]}=vfio-pci"
	vm_check "no VF was ever bound to nvme (dmesg)" \
		"! dmesg | grep -E 'nvme ${SRIOV_VFS[0]}|nvme ${SRIOV_VFS[1]}' | grep -v vfio"
	vm_check "the monitor said it made them" \
		"journalctl -b -o cat -u vfio-binder-monitor.service | grep -q '\\[sriov\\] $SRIOV_PF: 2 virtual functions made'"
}
