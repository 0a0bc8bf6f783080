#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Fedora package: contrib/fedora/vfio-binder.spec built by Debian's
# rpmbuild from the release tarball (-bb --nodeps, %check included), rpmlint
# (no error), the file list (rpm -qlp), the scriptlets and the config file.
# Debian's rpm lacks Fedora's systemd-rpm-macros: %_unitdir and the
# %systemd_* scriptlet macros are defined below, on the command line, as
# Fedora's systemd-rpm-macros defined them before systemd-update-helper.
# Also on the command line: brp-compress run by bash (Debian's rpm ships it
# as a /bin/sh script, but it uses bash's "read -d", which dash refuses, and
# the man pages stay uncompressed), a Packager, which Fedora's build system
# sets, and Fedora's %_docdir_fmt (Debian's rpm keeps NAME-VERSION). rpmlint reads tests/packages/rpmlint.toml: Fedora's
# settings where Debian's rpmlint has openSUSE's.
# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
set -u
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

for t in rpmbuild rpmlint rpm; do
	command -v "$t" >/dev/null || skip "$t not found (Debian packages rpm, rpmlint)"
done

top=$WORK/rpmbuild
mkdir -p "$top/SOURCES" "$top/SPECS" "$top/tmp"
cp "$TARBALL" "$top/SOURCES/"
from_tarball contrib/fedora/vfio-binder.spec >"$top/SPECS/vfio-binder.spec"
sbindir=$(rpm --eval '%{_sbindir}')
macros=(
	--define "_topdir $top"
	--define "_tmppath $top/tmp"
	--define "_unitdir /usr/lib/systemd/system"
	--define '__brp_compress /bin/bash %{_rpmconfigdir}/brp-compress %{?_prefix}'
	--define "packager vfio-binder developers <maintainers@vfio-binder.invalid>"
	--define "_docdir_fmt %{NAME}"
	--define 'systemd_post() if [ $1 -eq 1 ] && [ -x /usr/bin/systemctl ]; then /usr/bin/systemctl --no-reload preset %{?*} || :; fi'
	--define 'systemd_preun() if [ $1 -eq 0 ] && [ -x /usr/bin/systemctl ]; then /usr/bin/systemctl --no-reload disable --now %{?*} || :; fi'
	--define 'systemd_postun() if [ $1 -ge 1 ] && [ -x /usr/bin/systemctl ]; then /usr/bin/systemctl daemon-reload || :; fi'
)
# As root, like .ci/run: VFIO_BINDER_REQUIRE_ALL holds in %check too.
if timed "rpmbuild -bb --nodeps (with %check)" "$WORK/rpmbuild.log" \
	rpmbuild -bb --nodeps "${macros[@]}" "$top/SPECS/vfio-binder.spec"; then
	pass "rpmbuild -bb --nodeps built the package, %check included"
else
	fail "rpmbuild failed (last lines of the log):"
	tail -n 60 "$WORK/rpmbuild.log" >&2
	finish
	exit
fi
grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR):' "$WORK/rpmbuild.log" | sed 's/^/# %check: /'
check "%check: make check ran, skipped nothing and failed nothing" \
	suite_passed "$WORK/rpmbuild.log" noskip

rpmfile=$(find "$top/RPMS" -name "vfio-binder-$VERSION-1*.rpm" ! -name '*debug*' | head -n1)
check "package file ${rpmfile##*/}" test -n "$rpmfile" || { finish; exit; }

rpmlint -c "$(dirname "$0")/rpmlint.toml" "$rpmfile" >"$WORK/rpmlint.log" 2>&1
sed 's/^/# rpmlint: /' "$WORK/rpmlint.log"
check "rpmlint: 0 errors" grep -qE '^ *1 packages and 0 specfiles checked; 0 errors' "$WORK/rpmlint.log"

rpm -qlp "$rpmfile" 2>/dev/null | sed 's|^/||' | sort >"$WORK/rpm.list"
expect_paths "RPM" "$WORK/rpm.list" \
	"${sbindir#/}/vfio-binder" \
	usr/lib/dracut/modules.d/90vfio-binder/module-setup.sh \
	usr/lib/dracut/modules.d/90vfio-binder/vfio-binder-hook.sh \
	usr/lib/systemd/system/vfio-binder.service \
	usr/lib/systemd/system/vfio-binder-monitor.service \
	usr/share/man/man8/vfio-binder.8.gz \
	usr/share/man/man5/vfio.conf.5.gz \
	usr/share/vfio-binder/modprobe.d/vfio-binder.conf \
	usr/share/licenses/vfio-binder/COPYING \
	usr/share/doc/vfio-binder/README.md \
	usr/share/doc/vfio-binder/vfio.conf \
	etc/vfio.conf \
	etc/grub.d/11_vfio-binder \
	usr/lib/kernel/install.d/91-vfio-binder.install \
	etc/libvirt/hooks/qemu.d/vfio-binder \
	usr/share/bash-completion/completions/vfio-binder \
	usr/share/zsh/site-functions/_vfio-binder \
	usr/share/fish/vendor_completions.d/vfio-binder.fish
expect_none "RPM" "$WORK/rpm.list" initramfs-tools initcpio

check "RPM: /etc/vfio.conf is %config(noreplace)" \
	bash -c 'rpm -qp --qf "[%{FILEFLAGS:fflags} %{FILENAMES}\n]" "$1" | grep -qx "cn /etc/vfio.conf"' _ "$rpmfile"
rpm -qp --scripts "$rpmfile" >"$WORK/scripts" 2>/dev/null
check "RPM: %post presets both units on first install" \
	grep -q 'systemctl --no-reload preset vfio-binder.service vfio-binder-monitor.service' "$WORK/scripts"
check "RPM: %preun disables and stops both units on erase" \
	grep -q 'systemctl --no-reload disable --now vfio-binder.service vfio-binder-monitor.service' "$WORK/scripts"
check "RPM: no restart of either unit on upgrade" bash -c '! grep -n "restart" "$1"' _ "$WORK/scripts"
# has_line PATH REGEX: the package's PATH has a line matching REGEX.
has_line() { rpm2cpio "$rpmfile" | bsdtar -xOf - "./$1" | grep -qE -- "$2"; }
check "dracut module-setup.sh adds $sbindir/vfio-binder" \
	has_line usr/lib/dracut/modules.d/90vfio-binder/module-setup.sh "inst_binary $sbindir/vfio-binder"
check "vfio-binder.service runs $sbindir/vfio-binder" \
	has_line usr/lib/systemd/system/vfio-binder.service "^ExecStart=$sbindir/vfio-binder bind$"
finish
