#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Test-only dracut module: the native drivers of the test machine's display
# and USB controllers (so udev would load them, and the binder must win), and
# the reporter, run from the initqueue once udev has settled.

check() {
    return 255
}

depends() {
    return 0
}

installkernel() {
    hostonly='' instmods bochs qxl xhci_pci
}

install() {
    inst_multiple cat readlink sleep dmesg
    # shellcheck disable=SC2154 # moddir is set by dracut
    inst_script "$moddir/vfio-report.sh" /usr/bin/vfio-report
    inst_hook initqueue/settled 99 "$moddir/settled.sh"
    # Without a finished hook that stays false the initqueue ends before any
    # settled hook runs (there is no root device to wait for).
    inst_hook initqueue/finished 99 "$moddir/finished.sh"
    dracut_need_initqueue
}
