#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Boot Debian's kernel under QEMU from dracut and initramfs-tools images with
# the binder, and check which driver each PCI function ends on
# (tests/boot/run.sh). Measured: 583 s, 28 checks (the fresh-clone .ci/run
# at daf97ae, 2 cores, TCG; doc/testing.md, "Boot tests").
set -euo pipefail
cd "$(dirname "$0")/../.."
# A hung boot has its own 300 s limit; this caps the suite, well inside CI's 90 minutes.
timeout 2700 make check-boot
