#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot Debian's kernel under QEMU from dracut and initramfs-tools images with
# the binder, and check which driver each PCI function ends on
# (tests/boot/run.sh). About 17 minutes under TCG on 2 cores (README, "Boot tests").
set -euo pipefail
cd "$(dirname "$0")/../.."
make check-boot
