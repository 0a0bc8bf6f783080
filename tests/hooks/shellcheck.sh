#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every shell file of the hooks and of their tests passes shellcheck in the
# dialect that runs it: bash where dracut or mkinitcpio source the file from
# bash, POSIX sh (dash) where busybox ash or the initramfs /bin/sh runs it.
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
)
# The tests' own scripts: bash, except what runs inside a test initramfs.
for f in "$t"/tests/hooks/*.sh "$t"/tests/boot/*.sh "$t"/tests/boot/dracut/*/*.sh \
	"$t"/.ci/steps.d/20-*.sh "$t"/.ci/steps.d/30-*.sh; do
	[[ -e $f ]] && dialect[$f]='bash'
done
# The distribution packages' scripts and their tests: bash, except the
# autopkgtest (sh). The PKGBUILD is bash that makepkg sources.
for f in "$t"/tests/packages/*.sh "$t"/tests/eagain.sh "$t"/.ci/steps.d/60-*.sh "$t"/contrib/arch/PKGBUILD; do
	[[ -e $f ]] && dialect[$f]='bash'
done
[[ -e $t/debian/tests/plan ]] && dialect[$t/debian/tests/plan]='sh'
for f in "$t"/tests/boot/initramfs/hooks/* "$t"/tests/boot/initramfs/scripts/*/* "$t"/tests/boot/*.sh \
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
	[[ $f == "$b"/@(dracut|mkinitcpio|initramfs)/* ]] &&
		check "${f#"$b"/} has no unsubstituted @...@" bash -c '! grep -n "@[a-z]*@" "$1"' _ "$f"
done

# Every file under the hook folders is listed above: a new one cannot escape.
while IFS= read -r f; do
	f=${f%.in}
	f=$b/${f#"$t"/}
	[[ $f == */systemd/* || $f == */modprobe.d/* ]] && continue
	[[ -v "dialect[$f]" ]] || fail "${f#"$b"/} is not in the shellcheck list"
done < <(find "$t/dracut" "$t/mkinitcpio" "$t/initramfs" -type f -name '*.in')
finish
