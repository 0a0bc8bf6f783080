#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by the image and boot tests: a staged install as a distribution
# would make it (./configure --prefix=/usr --sysconfdir=/etc from the release
# tarball, then make install DESTDIR=...), and a way to run the real dracut
# and mkinitramfs against it without touching this machine's /usr or /etc.

# shellcheck disable=SC2016 # single-quoted scripts for inner shells, by design
STAGE=$BUILDDIR/tests/hooks/stage

# stage_build: (re)builds $STAGE/root unless it is newer than the build tree's
# binary and hook files.
stage_build() {
	local newest f tarball
	newest=$BUILDDIR/src/vfio-binder
	for f in "$BUILDDIR"/dracut/*/* "$BUILDDIR"/initramfs/*/* "$BUILDDIR"/initramfs/scripts/*/*; do
		[[ -f $f && $f -nt $newest ]] && newest=$f
	done
	if [[ -e $STAGE/stamp && $STAGE/stamp -nt $newest ]]; then
		echo "stage: reusing $STAGE/root"
		return 0
	fi
	echo "stage: make dist, then configure --prefix=/usr --sysconfdir=/etc and make install DESTDIR=$STAGE/root"
	rm -rf "$STAGE"
	mkdir -p "$STAGE/src"
	make -s -C "$BUILDDIR" dist >"$STAGE/dist.log" 2>&1 || { cat "$STAGE/dist.log"; return 1; }
	# shellcheck disable=SC2012 # our own file names
	tarball=$(ls -t "$BUILDDIR"/vfio-binder-*.tar.xz | head -n1)
	tar -xJf "$tarball" -C "$STAGE/src" --strip-components=1
	(
		cd "$STAGE/src" &&
			./configure -q --prefix=/usr --sysconfdir=/etc --localstatedir=/var &&
			make -s -j"$(nproc)" &&
			make -s install DESTDIR="$STAGE/root"
	) >"$STAGE/build.log" 2>&1 || { tail -n 50 "$STAGE/build.log"; return 1; }
	touch "$STAGE/stamp"
}

# staged LAYER_ETC COMMAND...: runs COMMAND in a private mount namespace where
# the staged /usr lies over this machine's /usr, and LAYER_ETC (a directory,
# may be empty) over /etc. STAGE_EXTRA_USR, when set, is a directory laid
# over both (test-only dracut modules). Read-only overlays: nothing reaches
# the real tree.
staged() {
	local etc=$1 usr=$STAGE/root/usr
	shift
	[[ -n ${STAGE_EXTRA_USR:-} ]] && usr=$STAGE_EXTRA_USR:$usr
	unshare --mount --propagation private bash -c '
		set -e
		mount -t overlay vfio-stage -o "lowerdir=$1:/usr" /usr
		mount -t overlay vfio-stage -o "lowerdir=$2:/etc" /etc
		shift 2
		exec "$@"' _ "$usr" "$etc" "$@"
}

# need_root_tools: the image and boot tests need root (mount namespaces).
need_root() {
	[[ $(id -u) == 0 ]] || skip "needs root for a private mount namespace (unshare -m)"
	unshare --mount true 2>/dev/null || skip "unshare --mount does not work here"
}

# The newest kernel with modules, as installed by linux-image-amd64.
test_kver() {
	local k
	k=$(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n1)
	[[ -n $k && -e /boot/vmlinuz-$k ]] || return 1
	echo "$k"
}
