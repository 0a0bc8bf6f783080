#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Arch Linux package: contrib/arch/PKGBUILD built by Debian's makepkg from
# the release tarball, as an unprivileged user, with --nodeps (no pacman
# database here) and its check(), i.e. make check. Then the package's file
# list (bsdtar -tf), its .PKGINFO, and the paths inside the mkinitcpio hooks.
# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
for t in makepkg bsdtar fakeroot setpriv; do
	command -v "$t" >/dev/null || skip "$t not found (Debian packages makepkg, libarchive-tools, fakeroot, util-linux)"
done

dir=$WORK/arch
mkdir -p "$dir"
cp "$TARBALL" "$dir/"
from_tarball contrib/arch/PKGBUILD >"$dir/PKGBUILD"
chown -R nobody:nogroup "$dir"
# zstd as on Arch (Debian's makepkg.conf says gzip). make check runs
# unprivileged here, as in every distribution build: a test that needs root
# may skip, so VFIO_BINDER_REQUIRE_ALL is lifted and the skips are listed.
if timed "makepkg --nodeps (with check())" "$WORK/makepkg.log" as_user env -u VFIO_BINDER_REQUIRE_ALL \
	PKGEXT=.pkg.tar.zst MAKEFLAGS="-j$(nproc)" \
	bash -c 'cd "$1" && makepkg --nodeps --nocolor' _ "$dir"; then
	pass "makepkg --nodeps built the package, check() included"
else
	fail "makepkg failed (last lines of the log):"
	tail -n 60 "$WORK/makepkg.log" >&2
	finish
	exit
fi
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$WORK/makepkg.log" | sed 's/^/# check(): /'
grep -E '^SKIP:' "$WORK/makepkg.log" | sed 's/^/# check(): /'
check "check(): make check ran and failed nothing" \
	suite_passed "$WORK/makepkg.log"

pkg=$dir/vfio-binder-$VERSION-1-x86_64.pkg.tar.zst
check "package file $(basename "$pkg")" test -f "$pkg" || { finish; exit; }
bsdtar -tf "$pkg" | sed -e 's|/$||' | grep -v '^\.' | sort >"$WORK/arch.list"
expect_paths "Arch package" "$WORK/arch.list" \
	usr/bin/vfio-binder \
	usr/lib/initcpio/install/vfio-binder \
	usr/lib/initcpio/hooks/vfio-binder \
	usr/lib/dracut/modules.d/90vfio-binder/module-setup.sh \
	usr/lib/systemd/system/vfio-binder.service \
	usr/lib/systemd/system/vfio-binder-monitor.service \
	usr/share/licenses/vfio-binder/COPYING \
	usr/share/man/man8/vfio-binder.8.gz \
	usr/share/man/man5/vfio.conf.5.gz \
	usr/share/vfio-binder/modprobe.d/vfio-binder.conf \
	etc/vfio.conf \
	etc/grub.d/11_vfio-binder \
	usr/lib/kernel/install.d/91-vfio-binder.install \
	etc/libvirt/hooks/qemu.d/vfio-binder \
	usr/share/bash-completion/completions/vfio-binder \
	usr/share/zsh/site-functions/_vfio-binder \
	usr/share/fish/vendor_completions.d/vfio-binder.fish
expect_none "Arch package" "$WORK/arch.list" initramfs-tools '^usr/sbin' '^lib/' '^sbin' '^bin/'

bsdtar -xOf "$pkg" .PKGINFO >"$WORK/PKGINFO"
expect_lines ".PKGINFO" "$WORK/PKGINFO" \
	'backup = etc/vfio.conf' 'depend = kmod' 'depend = systemd-libs' 'depend = libinih' \
	'checkdepend = check' 'license = GPL-2.0-or-later'
check "/etc/vfio.conf is comments only" \
	bash -c '! bsdtar -xOf "$1" etc/vfio.conf | grep -v "^#" | grep -q .' _ "$pkg"

# The hooks run the binary where this package puts it.
# has_line PATH REGEX: the package's PATH has a line matching REGEX.
has_line() { bsdtar -xOf "$pkg" "$1" | grep -qE -- "$2"; }
check "mkinitcpio hooks/vfio-binder runs /usr/bin/vfio-binder bind" \
	has_line usr/lib/initcpio/hooks/vfio-binder '^ +/usr/bin/vfio-binder bind'
check "mkinitcpio install/vfio-binder adds /usr/bin/vfio-binder" \
	has_line usr/lib/initcpio/install/vfio-binder '^ +add_binary /usr/bin/vfio-binder$'
check "mkinitcpio install/vfio-binder adds /etc/vfio.conf" \
	has_line usr/lib/initcpio/install/vfio-binder 'add_file /etc/vfio.conf'
check "vfio-binder.service runs /usr/bin/vfio-binder" \
	has_line usr/lib/systemd/system/vfio-binder.service '^ExecStart=/usr/bin/vfio-binder bind$'
check "no /usr/sbin left in any hook or unit" \
	bash -c '! bsdtar -xOf "$1" usr/lib/initcpio usr/lib/dracut usr/lib/systemd | grep -n /usr/sbin' _ "$pkg"
finish
