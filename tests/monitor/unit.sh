#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's systemd unit as make generated it: systemd-analyze verify
# finds no error, systemd-analyze security rates it at most 2.5 (doc/monitor.md
# reports the score), and the hardening the issue asks for is there; and the
# monitor's own scripts pass ShellCheck.
set -u
: "${TOPDIR:?run through make check}" "${BUILDDIR:?run through make check}"

# pass, fail, check and skip (a missing tool is a skip here and a failure in
# CI, under VFIO_BINDER_REQUIRE_ALL=1), shared with the hook tests.
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$TOPDIR/tests/hooks/lib.sh"

unit=$BUILDDIR/systemd/vfio-binder-monitor.service
[[ -f $unit ]] || { echo "FAIL: $unit was not generated (make check builds it)" >&2; exit 1; }
command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed (Debian package systemd)"
command -v shellcheck >/dev/null || skip "shellcheck not installed (Debian package shellcheck)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vfio-monitor-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# verify wants ExecStart= to exist: point it at the binary just built.
sed "s|^ExecStart=[^ ]*/vfio-binder |ExecStart=$BUILDDIR/src/vfio-binder |" "$unit" >"$tmp/vfio-binder-monitor.service"
check "the unit names the binary by its installed path" grep -q "^ExecStart=/.*/vfio-binder monitor " "$unit"
no_placeholder() { ! grep -n "@[a-z_]*@" "$unit"; }
check "no @...@ left unsubstituted" no_placeholder

# --man=no: the man pages are not installed in a build tree.
if (cd "$tmp" && systemd-analyze verify --man=no ./vfio-binder-monitor.service) >"$tmp/verify.out" 2>&1 &&
	! grep -q "vfio-binder-monitor" "$tmp/verify.out"; then
	pass "systemd-analyze verify"
else
	fail "systemd-analyze verify:"
	sed 's/^/#   /' "$tmp/verify.out"
fi

# --threshold is in tenths: 25 fails above an exposure of 2.5.
(cd "$tmp" && systemd-analyze security --offline=true --threshold=25 ./vfio-binder-monitor.service) \
	>"$tmp/security.out" 2>&1
rc=$?
score=$(sed -n 's/.*Overall exposure level for vfio-binder-monitor.service: \([0-9.]*\).*/\1/p' "$tmp/security.out")
echo "# systemd-analyze security: exposure ${score:-?}"
if [[ $rc == 0 && -n $score ]]; then
	pass "systemd-analyze security: exposure $score, at most 2.5"
else
	fail "systemd-analyze security: exposure ${score:-?} (exit $rc):"
	grep -E '^✗|Overall' "$tmp/security.out" | sed 's/^/#   /'
fi

# What the issue asks of the unit, setting by setting.
has() { grep -qx "$1" "$unit"; }
check "ProtectSystem=strict" has "ProtectSystem=strict"
check "ProtectHome=yes" has "ProtectHome=yes"
check "NoNewPrivileges=yes" has "NoNewPrivileges=yes"
check "CapabilityBoundingSet= only CAP_SYS_MODULE" has "CapabilityBoundingSet=CAP_SYS_MODULE"
check "RestrictAddressFamilies=AF_NETLINK AF_UNIX" has "RestrictAddressFamilies=AF_NETLINK AF_UNIX"
# ProtectKernelTunables= makes /sys read-only; the writes go to these two.
check "sysfs writable where the binder writes" has "ReadWritePaths=/sys/bus/pci /sys/devices"
check "module loading not forbidden" has "ProtectKernelModules=no"
check "reload is SIGHUP, without /bin/kill (procps)" has "ExecReload=/bin/sh -c 'kill -HUP \"\$MAINPID\"'"
check "logs to stderr (the journal)" grep -q "^ExecStart=.* monitor --log=stderr$" "$unit"
check "readiness through sd_notify: Type=notify" has "Type=notify"

# Both units start when the command line alone selects devices, in either
# spelling the binder accepts: systemd compares the words as written.
for u in "$BUILDDIR/systemd/vfio-binder.service" "$unit"; do
	for key in device id policy; do
		for spelling in vfio_binder vfio-binder; do
			check "${u##*/} starts for $spelling.$key=" grep -qx "ConditionKernelCommandLine=|$spelling.$key" "$u"
		done
	done
done

for f in "$TOPDIR"/tests/monitor/*.sh "$TOPDIR"/.ci/steps.d/50-monitor.sh; do
	[[ -e $f ]] || continue
	check "shellcheck ${f#"$TOPDIR"/}" shellcheck -x "$f"
done

echo "$passes passed, $fails failed"
[[ $fails == 0 ]]
