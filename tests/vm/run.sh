#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# VM tests (make check-vm): the binder on a real kernel with systemd as PID 1.
# Builds a Debian 12 image once per run (tests/vm/lib.sh: debootstrap, cached
# between runs; the staged "make install"; the host's Debian kernel and its
# modules), then runs each scenario of tests/vm/scenarios/*.sh in a VM of its
# own: a fresh copy of the image, booted under QEMU, driven through the
# command channel and QMP (hot-plug).
#
# Environment: VFIO_BINDER_VM_ONLY=REGEX (scenario names, default all), and
# those tests/vm/lib.sh lists (accelerator, cache, mirror, boot timeout).
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

t_start=$SECONDS
trap vm_stop_all EXIT
# Durations under TCG depend on what else the machine runs: say so.
echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
if ! vm_setup; then
	fail "the VM image could not be built (see above)"
	finish
	exit
fi
pass "VM image built in $VM_BUILD_SECONDS s"

for f in "$VM_TOP"/scenarios/*.sh; do
	# shellcheck source=/dev/null # each scenario file registers itself
	. "$f"
done
t_boots=$SECONDS
vm_run_scenarios "${VFIO_BINDER_VM_ONLY:-.}"

echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# VM suite: $((SECONDS - t_start)) s with ${VM_ACCEL:-no VM} (build $VM_BUILD_SECONDS s, scenarios $((SECONDS - t_boots)) s)"
finish
