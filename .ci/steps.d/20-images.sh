#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Real dracut and initramfs-tools images from a staged "make install
# DESTDIR=...", inspected with lsinitrd / lsinitramfs (tests/hooks/images.sh).
# Measured: 248 s (the fresh-clone .ci/run at daf97ae, 2 cores, TCG).
set -euo pipefail
cd "$(dirname "$0")/../.."
make check-images
