#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every shell file of the hooks and of their tests (the VM tests' too)
# passes shellcheck in the dialect that runs it: bash where dracut or
# mkinitcpio source the file from bash, POSIX sh (dash) where busybox ash or
# the initramfs /bin/sh runs it.
# The generated files are checked, not the .in templates, so the paths
# configure chose are in what shellcheck sees.
set -u
shopt -s extglob
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

command -v shellcheck >/dev/null || skip "shellcheck not installed (Debian package shellcheck)"

b=$BUILDDIR t=$TOPDIR
declare -A dialect=(
	["$b/dracut/90vfio-binder/module-setup.sh"]=bash
	["$b/dracut/90vfio-binder/vfio-binder-hook.sh"]=sh
	["$b/mkinitcpio/install/vfio-binder"]=bash
	["$b/mkinitcpio/hooks/vfio-binder"]=dash
	["$b/initramfs/hooks/vfio-binder"]=sh
	["$b/initramfs/scripts/init-top/00-vfio-binder"]=sh
	["$b/libvirt/vfio-binder"]=sh
	["$t/grub/11_vfio-binder"]=sh
	["$t/kernel-install/91-vfio-binder.install"]=sh
	["$t/shell-completion/bash/vfio-binder"]=bash
)
# The tests' own scripts: bash, except what runs inside a test initramfs.
for f in "$t"/tests/hooks/*.sh "$t"/tests/boot/*.sh "$t"/tests/boot/dracut/*/*.sh \
	"$t"/tests/bootentry/*.sh "$t"/tests/libvirt/*.sh "$t"/tests/completion/*.sh \
	"$t"/tests/vm/*.sh "$t"/tests/vm/scenarios/*.sh "$t"/tests/vm/guest/vmtest-agent \
	"$t"/.ci/steps.d/*.sh "$t"/tests/*.sh; do
	[[ -e $f ]] && dialect[$f]='bash'
done
# The distribution packages' scripts and their tests: bash, except the
# autopkgtest (sh). The PKGBUILD is bash that makepkg sources.
for f in "$t"/tests/packages/*.sh "$t"/contrib/arch/PKGBUILD; do
	[[ -e $f ]] && dialect[$f]='bash'
done
[[ -e $t/debian/tests/plan ]] && dialect[$t/debian/tests/plan]='sh'
for f in "$t"/tests/boot/initramfs/hooks/* "$t"/tests/boot/initramfs/scripts/*/* "$t"/tests/boot/*.sh "$t"/tests/*.sh \
	"$t"/tests/boot/dracut/*/*.sh; do
	[[ -e $f ]] && head -n1 "$f" | grep -qx '#!/bin/sh' && dialect[$f]='sh'
done
for f in "${!dialect[@]}"; do
	if [[ ! -f $f ]]; then
		fail "$f is missing"
		continue
	fi
	check "shellcheck -s ${dialect[$f]} ${f#"$b"/}" shellcheck -s "${dialect[$f]}" -x "$f"
	# A leftover @var@ would be a path the sed step did not fill in.
	# shellcheck disable=SC2016 # expanded by the inner bash
	[[ $f == "$b"/@(dracut|mkinitcpio|initramfs|libvirt)/* ]] &&
		check "${f#"$b"/} has no unsubstituted @...@" bash -c '! grep -n "@[a-z]*@" "$1"' _ "$f"
done

# Every file under the hook folders is listed above: a new one cannot escape.
while IFS= read -r f; do
	f=${f%.in}
	f=$b/${f#"$t"/}
	[[ $f == */systemd/* || $f == */modprobe.d/* ]] && continue
	[[ -v "dialect[$f]" ]] || fail "${f#"$b"/} is not in the shellcheck list"
done < <(find "$t/dracut" "$t/mkinitcpio" "$t/initramfs" "$t/libvirt" -type f -name '*.in')
while IFS= read -r f; do
	[[ -v "dialect[$f]" ]] || fail "${f#"$t"/} is not in the shellcheck list"
done < <(find "$t/grub" "$t/kernel-install" "$t/shell-completion/bash" -type f)
# Nor a shell script of the VM tests.
while IFS= read -r f; do
	head -n1 "$f" | grep -q '^#!/bin/\(ba\)\?sh' || continue
	[[ -v "dialect[$f]" ]] || fail "${f#"$t"/} is not in the shellcheck list"
done < <(find "$t/tests/vm" \( -path "$t/tests/vm/work" -o -path "$t/tests/vm/cache" \) -prune -o -type f -print)
finish
