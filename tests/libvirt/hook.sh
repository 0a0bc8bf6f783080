#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The libvirt QEMU hook (libvirt/vfio-binder, as make generated it) on
# recorded domain XML, with a stand-in vfio-binder (VFIO_BINDER=...) that
# records its arguments and exits with a chosen status: which commands the
# hook runs, its exit status, its stderr, and that its stdout stays empty
# (libvirt reads a qemu.d hook's stdout as a replacement domain XML).
# Real: the hook, xmllint. Not real: libvirtd (the hook is called the way
# hooks.rst documents) and the binder (the stand-in). At the end, the same
# hook with the real binder on a fake sysfs tree, from start to stop.
# shellcheck disable=SC2016 # eval and the inner shells expand
set -u
# shellcheck source-path=SCRIPTDIR source=../hooks/lib.sh
. "$(dirname "$0")/../hooks/lib.sh"

hook=$BUILDDIR/libvirt/vfio-binder
xmls=$TOPDIR/tests/libvirt
[[ -f $hook ]] || { fail "$hook is missing: run make"; finish; exit; }
command -v xmllint >/dev/null || skip "xmllint not installed (Debian package libxml2-utils)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/vfio-binder" <<'STUB'
#!/bin/sh
echo "$*" >>"$STUB_LOG"
echo "stand-in stdout"
echo "stand-in stderr: $1" >&2
exit "${STUB_STATUS:-0}"
STUB
chmod +x "$tmp/vfio-binder"
export STUB_LOG=$tmp/calls

# run XML STATUS ARGS...: the hook with XML on stdin and the stand-in
# exiting STATUS; leaves $tmp/calls, $tmp/out, $tmp/err and $rc.
run() {
	local xml=$1 status=$2
	shift 2
	: >"$tmp/calls"
	STUB_STATUS=$status VFIO_BINDER=$tmp/vfio-binder sh "$hook" "$@" <"$xml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
calls_are() { diff <(printf '%s' "$1") "$tmp/calls"; }
no_calls() { [[ ! -s $tmp/calls ]]; }
quiet_stdout() { [[ ! -s $tmp/out ]]; }
rc_is() { [[ $rc == "$1" ]] || { echo "exit status $rc, expected $1; stderr: $(cat "$tmp/err")" >&2; return 1; }; }
err_has() { grep -qF -- "$1" "$tmp/err" || { echo "stderr lacks '$1': $(cat "$tmp/err")" >&2; return 1; }; }

start=$SECONDS
# --- prepare begin: reserve the unmanaged PCI host devices ------------------------
run "$xmls/managed-yes.xml" 0 win10 prepare begin -
check "managed='yes': no command, exit 0" eval 'no_calls && rc_is 0 && quiet_stdout'
run "$xmls/managed-no.xml" 0 win10 prepare begin -
check "managed='no': reserve 0000:01:00.0, exit 0" eval 'calls_are "reserve 0000:01:00.0"$'\''\n'\'' && rc_is 0'
check "managed='no': the stand-in's stdout goes to stderr, stdout stays empty" \
	eval 'quiet_stdout && err_has "stand-in stdout" && err_has "stand-in stderr: reserve"'
run "$xmls/managed-absent.xml" 0 win10 prepare begin -
check "managed absent (libvirt's 'no'): reserve 0000:01:00.1" eval 'calls_are "reserve 0000:01:00.1"$'\''\n'\'' && rc_is 0'
run "$xmls/several.xml" 0 gaming prepare begin -
check "several: one reserve with the three unmanaged, in document order, PCI domain 1 included" \
	eval 'calls_are "reserve 0000:2d:00.0 0000:2d:00.1 0001:03:1f.7"$'\''\n'\'' && rc_is 0 && quiet_stdout'
run "$xmls/none.xml" 0 server prepare begin -
check "no host device: no command, exit 0" eval 'no_calls && rc_is 0 && quiet_stdout'
run "$xmls/usb.xml" 0 linux prepare begin -
check "USB host device ignored, the PCI one reserved" eval 'calls_are "reserve 0000:0a:00.0"$'\''\n'\'' && rc_is 0'

# --- refusing the start ----------------------------------------------------------------
run "$xmls/several.xml" 1 gaming prepare begin -
check "reserve exits 1: the hook exits 1 (libvirt does not start the domain)" rc_is 1
check "... naming the domain and the addresses on stderr" \
	eval 'err_has "domain '\''gaming'\''" && err_has "reserve 0000:2d:00.0 0000:2d:00.1 0001:03:1f.7" && err_has "failed (exit 1)" && err_has "not started"'
check "... with the binder's own messages, and nothing on stdout" eval 'err_has "stand-in stderr: reserve" && quiet_stdout'
run "$xmls/managed-no.xml" 2 win10 prepare begin -
check "reserve exits 2 (configuration error): the hook exits 1" eval 'rc_is 1 && err_has "failed (exit 2)"'
run "$xmls/malformed.xml" 0 broken prepare begin -
check "malformed XML: refused, no command" eval 'rc_is 1 && no_calls && quiet_stdout'
check "... saying the XML is not well-formed, naming the domain" \
	eval 'err_has "domain '\''broken'\''" && err_has "not well-formed"'
run "$xmls/bad-address.xml" 0 odd prepare begin -
check "slot 0x20: refused, no command" eval 'rc_is 1 && no_calls && err_has "slot='\''0x20'\'' is larger than 0x1f"'
: >"$tmp/calls"
VFIO_BINDER=$tmp/missing sh "$hook" win10 prepare begin - <"$xmls/managed-no.xml" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no binder at VFIO_BINDER: refused, naming it and the address" \
	eval 'rc_is 1 && err_has "cannot run $tmp/missing for 0000:01:00.0"'

# --- release end: release --configured -------------------------------------------------
run "$xmls/several.xml" 0 gaming release end -
check "release end -: release --configured with the three unmanaged" \
	eval 'calls_are "release --configured 0000:2d:00.0 0000:2d:00.1 0001:03:1f.7"$'\''\n'\'' && rc_is 0 && quiet_stdout'
run "$xmls/managed-no.xml" 0 win10 release end shutdown
check "release end shutdown (libvirt 10.5+ passes the reason): the same" \
	eval 'calls_are "release --configured 0000:01:00.0"$'\''\n'\'' && rc_is 0'
run "$xmls/managed-yes.xml" 0 win10 release end destroyed
check "release of a managed device: no command" eval 'no_calls && rc_is 0'
run "$xmls/managed-no.xml" 1 win10 release end -
check "release exits 1: the hook exits 1 and says so (libvirt logs it)" \
	eval 'rc_is 1 && err_has "release --configured 0000:01:00.0" && err_has "failed (exit 1)"'

# --- every other operation: nothing ------------------------------------------------------
for op in "start begin -" "started begin -" "stopped end -" "migrate begin -" "restore begin -" \
	"reconnect begin -" "attach begin -" "prepare end -" "release begin -"; do
	# shellcheck disable=SC2086 # three words
	run "$xmls/several.xml" 0 gaming $op
	check "$op: no command, exit 0, no output" eval 'no_calls && rc_is 0 && quiet_stdout && [[ ! -s $tmp/err ]]'
done
run "$xmls/malformed.xml" 0 broken started begin -
check "other operations do not even parse the XML" eval 'no_calls && rc_is 0'

# The installed hook names the binder by its configured path.
check "the generated hook names the binder by its installed path, nothing left unsubstituted" \
	eval 'grep -q "^VFIO_BINDER=\${VFIO_BINDER:-/.*/vfio-binder}\$" "$hook" && ! grep -q "@[a-z]*@" "$hook"'

# --- end to end: the hook and the real binder on a fake tree ---------------------------
# VFIO_BINDER names a wrapper that runs the built binder on fake sysfs, proc,
# dev, run and etc roots: the turing-4fn-amd-host machine with its RTX 2080
# unbound (a fake tree has no kernel to let go of a driver). "prepare begin"
# must leave the whole card on vfio-pci (its USB and UCSI functions too,
# which the domain does not name) and the managed NIC alone; "release end"
# must give back only what vfio.conf marks return_to_host.
e2e=$tmp/e2e
[[ -n $tmp && -d $tmp ]] || { fail "no temporary directory"; finish; exit; }
mkdir -p "$e2e/proc" "$e2e/dev" "$e2e/run" "$e2e/etc"
"$BUILDDIR/tests/mkfakesys" "$TOPDIR/tests/topologies/turing-4fn-amd-host.txt" "$e2e/sys" ||
	{ fail "cannot build the fake tree"; finish; exit; }
printf '#!/bin/sh\nexec "%s" --sysfs "%s" --proc "%s" --dev "%s" --run "%s" --etc "%s" --no-cmdline "$@"\n' \
	"$BUILDDIR/src/vfio-binder" "$e2e/sys" "$e2e/proc" "$e2e/dev" "$e2e/run" "$e2e/etc" >"$e2e/vfio-binder"
chmod +x "$e2e/vfio-binder"
printf '[devices]\ndevice = 2d:00.0\n' >"$e2e/etc/vfio.conf"
chmod 644 "$e2e/etc/vfio.conf"
overrides() { # the driver_override of the card's four functions and of the NIC
	local f
	for f in 2d:00.0 2d:00.1 2d:00.2 2d:00.3 06:00.0; do
		printf '%s=%s ' "$f" "$(cat "$e2e/sys/bus/pci/devices/0000:$f/driver_override")"
	done
}
hook_e2e() { # XML ARGS...
	local xml=$1
	shift
	VFIO_BINDER=$e2e/vfio-binder sh "$hook" "$@" <"$xml" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

hook_e2e "$xmls/turing-card.xml" win11 prepare begin -
check "e2e prepare begin: exit 0, nothing on stdout" eval 'rc_is 0 && quiet_stdout'
check "e2e prepare begin: the whole card on vfio-pci, the managed NIC untouched" \
	test "$(overrides)" = "2d:00.0=vfio-pci 2d:00.1=vfio-pci 2d:00.2=vfio-pci 2d:00.3=vfio-pci 06:00.0=(null) "
check "e2e prepare begin: the binder's own lines reach libvirt on stderr" \
	err_has "vfio-binder: 0000:2d:00.2 [10de:1ad8] -> vfio-pci (companion of 0000:2d:00.0; override set, driver not loaded)"
check "e2e prepare begin: recorded as the hook's reserve" \
	grep -Eq '^function 0000:2d:00\.3 reserved [0-9]+ vfio-pci reserve 0000:2d:00\.0 0000:2d:00\.1$' "$e2e/run/vfio-binder/runtime"
"$e2e/vfio-binder" status >"$tmp/status" 2>&1
# shellcheck disable=SC2034 # read inside eval
st=$?
check "e2e: status after the start: the overrides as planned, exit 1 (nothing binds on a fake tree)" \
	eval '[[ $st == 1 ]] && grep -q "^0000:2d:00.3 \[10de:1ad9\] not bound (companion of 0000:2d:00.0)" "$tmp/status"'

# release end with return_to_host unset (no): the card stays on vfio-pci for the next start.
# shellcheck disable=SC2034 # read inside eval
before=$(overrides)
hook_e2e "$xmls/turing-card.xml" win11 release end -
check "e2e release end, return_to_host = no: exit 0, the card stays" eval 'rc_is 0 && quiet_stdout && [[ $(overrides) == "$before" ]]'
check "e2e release end: says why it stays" \
	err_has "0000:2d:00.0: stays on vfio-pci: the configuration does not give it back to the host (return_to_host = no in [binder])"

# A guest still holding the group (its qemu did not exit): release refuses and
# names it. The group's node exists while vfio-pci has the functions: the
# test binds them in the tree as the kernel would have, and unbinds them
# after (a fake tree's links never change by themselves).
printf '[devices]\ndevice = 2d:00.0 return_to_host=yes\n' >"$e2e/etc/vfio.conf"
mkdir -p "$e2e/proc/4242/fd" "$e2e/sys/bus/pci/drivers/vfio-pci"
: >"$e2e/sys/bus/pci/drivers/vfio-pci/unbind"
for f in 0 1 2 3; do
	ln -s ../../../bus/pci/drivers/vfio-pci "$e2e/sys/devices/pci0000:00/0000:2d:00.$f/driver"
done
ln -s /dev/vfio/14 "$e2e/proc/4242/fd/31"
echo qemu-system-x86 >"$e2e/proc/4242/comm"
hook_e2e "$xmls/turing-card.xml" win11 release end -
check "e2e release end while qemu holds /dev/vfio/14: exit 1, named" \
	eval 'rc_is 1 && err_has "held by qemu-system-x86 (pid 4242) through /dev/vfio/14" && err_has "failed (exit 1)"'
check "e2e: nothing given back while it is held, nothing unbound" \
	eval '[[ $(overrides) == "$before" && ! -s $e2e/sys/bus/pci/drivers/vfio-pci/unbind ]]'
rm -r "$e2e/proc/4242" "$e2e"/sys/devices/pci0000:00/0000:2d:00.[0-3]/driver

# return_to_host=yes on the GPU's line: the card goes back whole.
hook_e2e "$xmls/turing-card.xml" win11 release end -
check "e2e release end, return_to_host=yes: exit 0" eval 'rc_is 0 && quiet_stdout'
check "e2e release end: the whole card's overrides cleared, the NIC untouched" \
	test "$(overrides)" = "2d:00.0= 2d:00.1= 2d:00.2= 2d:00.3= 06:00.0=(null) "
check "e2e release end: recorded" \
	grep -Eq '^function 0000:2d:00\.0 released [0-9]+ - release --configured 0000:2d:00\.0 0000:2d:00\.1$' "$e2e/run/vfio-binder/runtime"
"$e2e/vfio-binder" status >"$tmp/status" 2>&1
# shellcheck disable=SC2034 # read inside eval
st=$?
check "e2e: status after the stop: released at runtime, exit 0" \
	eval '[[ $st == 0 ]] && grep -qF "0000:2d:00.0 [10de:1e87] released at runtime: on no driver, by '\''release --configured 0000:2d:00.0 0000:2d:00.1'\''" "$tmp/status"'

# The host's own GPU: reserve refuses it without --force, so libvirt does not start the guest.
snap=$(find "$e2e/sys" -name driver_override -exec cat {} + | md5sum)
hook_e2e "$xmls/host-gpu.xml" single-gpu prepare begin -
check "e2e: the boot VGA in a domain: exit 1, the domain is not started" \
	eval 'rc_is 1 && err_has "the boot VGA, the host'\''s console: '\''reserve --force'\'' takes it" && err_has "domain '\''single-gpu'\''" && err_has "the domain is not started, the host keeps the devices"'
check "e2e: the boot VGA refused: nothing written" test "$snap" = "$(find "$e2e/sys" -name driver_override -exec cat {} + | md5sum)"

echo "libvirt hook cases took $((SECONDS - start)) s"
finish
