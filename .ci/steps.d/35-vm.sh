#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM tests (make check-vm, tests/vm/run.sh): a Debian 12 guest made by
# debootstrap, systemd as PID 1, the staged install and Debian's kernel under
# QEMU (TCG), with PCIe hot-plug through QMP; the monitor's scenarios.
# Measured: 414 s on the 2-core machine from an empty cache (11 scenarios,
# 103 checks; the fresh-clone .ci/run at daf97ae, 2 cores, TCG), debootstrap
# included (README, "VM tests"). The cap leaves room for a slow mirror.
set -euo pipefail
cd "$(dirname "$0")/../.."
timeout 1500 make check-vm
