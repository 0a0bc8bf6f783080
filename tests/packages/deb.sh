#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package, from the release tarball: dpkg-buildpackage -b, lintian
# (no error, no warning), the file list; then in a Debian 12 chroot made here
# by debootstrap (minbase, initramfs-tools and the host's kernel package): the
# install and its update-initramfs trigger, the autopkgtest
# (debian/tests/plan), update-initramfs -u -k KVER and lsinitramfs, remove
# and purge against a file list taken before the install. Needs root; the
# chroot is used from private mount namespaces with /proc only (no /sys, so
# nothing in it can reach this machine's devices) and its own /boot and /etc.
# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

need_root
unshare --mount true 2>/dev/null || skip "unshare --mount does not work here"
for t in dpkg-buildpackage dh lintian debootstrap unshare; do
	command -v "$t" >/dev/null || skip "$t not found (Debian packages dpkg-dev, debhelper, lintian, debootstrap)"
done
mirror=${VFIO_BINDER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

# --- build, from the tarball as the .orig.tar.xz of a 3.0 (quilt) package
src=$WORK/vfio-binder-$VERSION
tar -xJf "$TARBALL" -C "$WORK"
ln -s "$TARBALL" "$WORK/vfio-binder_$VERSION.orig.tar.xz"
debver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
arch=$(dpkg --print-architecture)
deb=$WORK/vfio-binder_${debver}_$arch.deb
if timed "dpkg-buildpackage -us -uc -b" "$WORK/deb-build.log" \
	bash -c 'cd "$1" && DEB_BUILD_OPTIONS="parallel=$(nproc)" dpkg-buildpackage -us -uc -b' _ "$src"; then
	pass "dpkg-buildpackage -us -uc -b built $(basename "$deb")"
else
	fail "dpkg-buildpackage failed (last lines of the log):"
	tail -n 60 "$WORK/deb-build.log" >&2
	finish
	exit
fi
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$WORK/deb-build.log" | sed 's/^/# dh_auto_test: /'
check "dh_auto_test: make check ran, skipped nothing and failed nothing" \
	suite_passed "$WORK/deb-build.log" noskip

# The source package too, from a fresh unpack: dpkg-source checks the 3.0
# (quilt) format against the .orig, and lintian then sees debian/copyright
# against the files it names.
mkdir "$WORK/source"
tar -xJf "$TARBALL" -C "$WORK/source"
ln -s "$TARBALL" "$WORK/source/vfio-binder_$VERSION.orig.tar.xz"
if (cd "$WORK/source/vfio-binder-$VERSION" && dpkg-source -b .) >"$WORK/dpkg-source.log" 2>&1; then
	pass "dpkg-source -b: $(basename "$WORK"/source/*.dsc)"
else
	fail "dpkg-source -b:"
	cat "$WORK/dpkg-source.log" >&2
fi

# --- lintian: the .dsc, and the .changes (the .deb, its -dbgsym and the
# buildinfo). Unprivileged: lintian warns when run as root.
if as_user lintian --fail-on error,warning --display-info "$WORK"/source/*.dsc \
	"$WORK/vfio-binder_${debver}_$arch.changes" >"$WORK/lintian.log" 2>&1; then
	pass "lintian: no error, no warning"
else
	fail "lintian:"
fi
sed 's/^/# lintian: /' "$WORK/lintian.log"

# --- the file list
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's|^\./||' -e '/^$/d' -e 's|/$||' >"$WORK/deb.list"
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd)
unitdir=${unitdir#/}
expect_paths .deb "$WORK/deb.list" \
	usr/sbin/vfio-binder \
	usr/share/man/man8/vfio-binder.8.gz \
	usr/share/man/man5/vfio.conf.5.gz \
	usr/lib/dracut/modules.d/90vfio-binder/module-setup.sh \
	usr/lib/dracut/modules.d/90vfio-binder/vfio-binder-hook.sh \
	usr/share/initramfs-tools/hooks/vfio-binder \
	usr/share/initramfs-tools/scripts/init-top/00-vfio-binder \
	usr/share/vfio-binder/modprobe.d/vfio-binder.conf \
	"$unitdir/vfio-binder.service" \
	"$unitdir/vfio-binder-monitor.service" \
	etc/vfio.conf \
	usr/share/doc/vfio-binder/README.Debian \
	usr/share/doc/vfio-binder/copyright \
	usr/share/doc/vfio-binder/examples/vfio.conf \
	etc/grub.d/11_vfio-binder \
	usr/lib/kernel/install.d/91-vfio-binder.install \
	etc/libvirt/hooks/qemu.d/vfio-binder \
	usr/share/bash-completion/completions/vfio-binder \
	usr/share/zsh/vendor-completions/_vfio-binder \
	usr/share/fish/vendor_completions.d/vfio-binder.fish
expect_none .deb "$WORK/deb.list" initcpio '^etc/modprobe\.d' '^etc/systemd'
check ".deb: its conffiles are /etc/vfio.conf, the GRUB script and the libvirt hook" \
	bash -c '[[ $(dpkg-deb --ctrl-tarfile "$1" | tar -xO ./conffiles | sort | tr "\n" " ") == "/etc/grub.d/11_vfio-binder /etc/libvirt/hooks/qemu.d/vfio-binder /etc/vfio.conf " ]]' _ "$deb"
check ".deb: triggers update-initramfs (dh_installinitramfs)" \
	bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xO ./triggers | grep -qx "activate-noawait update-initramfs"' _ "$deb"
check ".deb: the hooks name /usr/sbin/vfio-binder and /etc/vfio.conf" \
	bash -c 'd=$(mktemp -d) && dpkg-deb -x "$1" "$d" &&
		grep -q "^copy_exec /usr/sbin/vfio-binder$" "$d/usr/share/initramfs-tools/hooks/vfio-binder" &&
		grep -q "copy_file config /etc/vfio.conf" "$d/usr/share/initramfs-tools/hooks/vfio-binder" &&
		grep -q "inst_binary /usr/sbin/vfio-binder" "$d/usr/lib/dracut/modules.d/90vfio-binder/module-setup.sh"; r=$?; rm -rf "$d"; exit $r' _ "$deb"

# --- a Debian 12 root: minbase, what the kernel package needs, and the
# package's and the autopkgtest's dependencies, all at debootstrap time (the
# chroot then needs no network and no apt-get update).
kpkg=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed 's/[ ,].*//')
[[ $kpkg == linux-image-* ]] || skip "linux-image-amd64 is not installed (it names the kernel package to install in the chroot)"
kver=${kpkg#linux-image-}
kpkgver=$(dpkg-query -W -f='${Version}' "$kpkg")
# The host's apt cache holds it when apt installed it; otherwise apt-get download.
kdeb=/var/cache/apt/archives/${kpkg}_${kpkgver//:/%3a}_$arch.deb
if [[ ! -f $kdeb ]]; then
	(cd "$WORK" && apt-get download -q "$kpkg=$kpkgver") >"$WORK/kernel-download.log" 2>&1
	kdeb=$WORK/${kpkg}_${kpkgver//:/%3a}_$arch.deb
fi
check "kernel package $kpkg $kpkgver at hand ($kdeb)" test -f "$kdeb" || { finish; exit; }

deps=$(dpkg-deb -f "$deb" Depends | sed -e 's/([^)]*)//g' -e 's/[[:space:]]//g')
testdeps=$(sed -n 's/^Depends:[[:space:]]*//p' "$src/debian/tests/control" |
	tr ',' '\n' | sed -e 's/[[:space:]]//g' -e '/^vfio-binder$/d' -e '/^@$/d' | paste -sd,)
root=$WORK/chroot
if timed "debootstrap --variant=minbase $suite" "$WORK/debootstrap.log" unshare --mount --propagation private \
	debootstrap --variant=minbase --include="initramfs-tools,linux-base,kmod,$deps,$testdeps" \
	"$suite" "$root" "$mirror"; then
	pass "debootstrap: Debian $suite minbase with initramfs-tools, $deps, $testdeps"
else
	fail "debootstrap failed:"
	tail -n 30 "$WORK/debootstrap.log" >&2
	finish
	exit
fi

# in_root COMMAND...: COMMAND in the chroot, in a private mount namespace with
# /proc mounted; a clean environment.
in_root() {
	unshare --mount --propagation private bash -c '
		set -e
		root=$1
		shift
		mount -t proc proc "$root/proc"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			LC_ALL=C.UTF-8 HOME=/root DEBIAN_FRONTEND=noninteractive "$@"' _ "$root" "$@"
}
# image_list NAME: the chroot's initramfs for kver, as lsinitramfs lists it.
image_list() {
	in_root lsinitramfs "/boot/initrd.img-$kver" >"$WORK/$1" 2>"$WORK/$1.err"
}
# tree_list NAME: every path of the chroot but the kernel's and dpkg's and
# apt's bookkeeping and /tmp; and the checksums of /etc.
tree_list() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./sys -o -path ./tmp \
		-o -path ./run -o -path ./var/cache -o -path ./var/log -o -path ./var/lib/apt \
		-o -path ./var/lib/dpkg/triggers -o -path ./var/lib/dpkg/updates \) -prune -o -print |
		grep -vxE '\./var/lib/dpkg/(status|available|diversions|statoverride|lock.*)(-old)?' | sort) >"$WORK/$1.paths"
	(cd "$root" && find ./etc -type f -exec md5sum {} + | sort -k2) >"$WORK/$1.etc"
}

# Of the kernel's 400 MB of modules only vfio's and irqbypass (what the
# binder's hook adds) are unpacked: with all of them every update-initramfs
# (MODULES=most) took minutes, and the test runs five. Everything else of the
# package (vmlinuz, modules.order, the maintainer scripts) is installed.
cp "$kdeb" "$root/tmp/linux-image.deb"
if timed "kernel package install in the chroot" "$WORK/kernel.log" in_root dpkg \
	--path-exclude='/lib/modules/*/kernel/*' \
	--path-include='/lib/modules/*/kernel/drivers/vfio/*' \
	--path-include='/lib/modules/*/kernel/virt/lib/*' \
	-i /tmp/linux-image.deb; then
	pass "chroot: $kpkg installed (vfio modules only), initrd.img-$kver built by its postinst"
else
	fail "chroot: installing $kpkg failed:"
	tail -n 30 "$WORK/kernel.log" >&2
	finish
	exit
fi
rm -f "$root/tmp/linux-image.deb"
tree_list before

# --- install: the update-initramfs trigger puts the binder into the image.
cp "$deb" "$root/tmp/"
if timed "apt-get install ./$(basename "$deb")" "$WORK/install.log" \
	in_root apt-get install -y -q --no-install-recommends "/tmp/$(basename "$deb")"; then
	pass "chroot: apt-get install of the .deb"
else
	fail "chroot: apt-get install failed:"
	tail -n 30 "$WORK/install.log" >&2
fi
check "chroot: the install ran the update-initramfs trigger" \
	grep -q "update-initramfs: Generating /boot/initrd.img-$kver" "$WORK/install.log"
image_list image.trigger
expect_paths "initramfs after the trigger" "$WORK/image.trigger" \
	usr/sbin/vfio-binder scripts/init-top/00-vfio-binder etc/vfio.conf
units_installed_not_enabled() {
	[[ -f $root/$unitdir/vfio-binder.service && -f $root/$unitdir/vfio-binder-monitor.service ]] &&
		! find "$root/etc/systemd" -name 'vfio-binder*' | grep .
}
check "chroot: units installed, none enabled" units_installed_not_enabled
conffile_registered() { in_root dpkg-query -W -f='${Conffiles}' vfio-binder | grep -q '^ /etc/vfio.conf '; }
check "chroot: dpkg has /etc/vfio.conf as a conffile" conffile_registered

# --- the autopkgtest, as autopkgtest runs it: from the unpacked source.
cp -a "$src" "$root/tmp/src"
if timed "autopkgtest debian/tests/plan" "$WORK/autopkgtest.log" in_root sh -c \
	'cd /tmp/src && AUTOPKGTEST_TMP=$(mktemp -d) && export AUTOPKGTEST_TMP && debian/tests/plan'; then
	pass "autopkgtest debian/tests/plan in the chroot:"
else
	fail "autopkgtest debian/tests/plan in the chroot:"
fi
sed 's/^/#   /' "$WORK/autopkgtest.log"
rm -rf "$root/tmp/src"

# --- update-initramfs -u -k KVER, by hand, as README.Debian says after an edit.
marker="# deb.sh $$ $RANDOM"
echo "$marker" >>"$root/etc/vfio.conf"
if timed "update-initramfs -u -k $kver" "$WORK/update.log" in_root update-initramfs -u -k "$kver"; then
	pass "chroot: update-initramfs -u -k $kver"
else
	fail "chroot: update-initramfs -u -k $kver failed:"
	cat "$WORK/update.log" >&2
fi
image_list image.update
expect_paths "initramfs from update-initramfs" "$WORK/image.update" \
	usr/sbin/vfio-binder scripts/init-top/00-vfio-binder etc/vfio.conf
# What vfio-pci needs on this kernel, from its modules.dep, not from a list.
mapfile -t vfio_mods < <(in_root modprobe -S "$kver" --ignore-install --show-depends vfio-pci |
	awk '$1 == "insmod" { n = split($2, p, "/"); print p[n] }' | sort -u)
check "chroot: vfio-pci has dependencies to look for (${vfio_mods[*]})" test "${#vfio_mods[@]}" -ge 3
for m in "${vfio_mods[@]}"; do
	check "initramfs: $m of $kver" grep -qE "^usr/lib/modules/$kver/.*/${m//./\\.}$" "$WORK/image.update"
done
# image_has_conf LINE: the image's etc/vfio.conf holds LINE.
image_has_conf() {
	local f
	rm -rf "$root/tmp/unpacked"
	in_root unmkinitramfs "/boot/initrd.img-$kver" /tmp/unpacked || return 1
	f=$(find "$root/tmp/unpacked" -path '*/etc/vfio.conf' | head -n1)
	[[ -n $f ]] && grep -qxF -- "$1" "$f"
}
check "initramfs: carries the edited /etc/vfio.conf" image_has_conf "$marker"
rm -rf "$root/tmp/unpacked"

# --- remove: the conffile stays; purge: everything goes, the image too.
if timed "apt-get remove" "$WORK/remove.log" in_root apt-get remove -y -q vfio-binder; then
	pass "chroot: apt-get remove vfio-binder"
else
	fail "chroot: apt-get remove failed:"
	tail -n 30 "$WORK/remove.log" >&2
fi
check "after remove: /etc/vfio.conf kept (a conffile)" test -f "$root/etc/vfio.conf"
check "after remove: the binary is gone" test ! -e "$root/usr/sbin/vfio-binder"
image_list image.removed
expect_none "initramfs after remove (trigger)" "$WORK/image.removed" 'vfio-binder'
if timed "apt-get purge" "$WORK/purge.log" in_root apt-get purge -y -q vfio-binder; then
	pass "chroot: apt-get purge vfio-binder"
else
	fail "chroot: apt-get purge failed:"
	tail -n 30 "$WORK/purge.log" >&2
fi
rm -f "$root/tmp/$(basename "$deb")"
tree_list after
check "after purge: the same paths as before the install" diff -u "$WORK/before.paths" "$WORK/after.paths"
check "after purge: /etc as before the install, byte for byte" diff -u "$WORK/before.etc" "$WORK/after.etc"
finish
