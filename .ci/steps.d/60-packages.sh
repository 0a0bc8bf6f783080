#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Distribution packages from the release tarball (make check-packages,
# tests/packages/): the .deb (dpkg-buildpackage, lintian, then install,
# update-initramfs and purge in a Debian 12 chroot made by debootstrap), the
# Arch package (makepkg as nobody, check() included) and the Fedora RPM
# (rpmbuild, %check included, rpmlint), each with its file list. Needs root
# and the Debian mirror (debootstrap). Measured: 376 s (the fresh-clone
# .ci/run at daf97ae, 2 cores, TCG; the README, "Distribution packages").
set -euo pipefail
cd "$(dirname "$0")/../.."
make check-packages
