#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages are plain roff: lint them with mandoc (required: every
# warning fails) and, when it is installed, with groff at its strictest.
# Without mandoc the test skips (77), or fails under VFIO_BINDER_REQUIRE_ALL=1.
: "${TOPDIR:?run through make check}"

pages="$TOPDIR/man/vfio-binder.8 $TOPDIR/man/vfio.conf.5"
failures=0

if ! command -v mandoc >/dev/null 2>&1; then
	if [ -n "${VFIO_BINDER_REQUIRE_ALL:-}" ] && [ "$VFIO_BINDER_REQUIRE_ALL" != 0 ]; then
		echo "FAIL: mandoc not installed (Debian package mandoc); VFIO_BINDER_REQUIRE_ALL=1 forbids skipping"
		exit 1
	fi
	echo "SKIP: mandoc not installed (Debian package mandoc)"
	exit 77
fi

for page in $pages; do
	name=${page##*/}
	if [ ! -f "$page" ]; then
		echo "FAIL: $name is missing"
		failures=$((failures + 1))
		continue
	fi
	# mandoc exits 0 with nothing to say; any output at all is a finding.
	if out=$(mandoc -Tlint -Wwarning "$page" 2>&1) && [ -z "$out" ]; then
		echo "ok: mandoc -Tlint -Wwarning $name"
	else
		echo "FAIL: mandoc -Tlint -Wwarning $name:"
		echo "$out"
		failures=$((failures + 1))
	fi
	if command -v groff >/dev/null 2>&1; then
		if out=$(groff -ww -z -man "$page" 2>&1) && [ -z "$out" ]; then
			echo "ok: groff -ww -z -man $name"
		else
			echo "FAIL: groff -ww -z -man $name:"
			echo "$out"
			failures=$((failures + 1))
		fi
	fi
	# The section in .TH must match the file name's.
	th=$(sed -n 's/^\.TH [^ ]* \([0-9]\) .*/\1/p' "$page")
	if [ "$th" != "${name##*.}" ]; then
		echo "FAIL: $name: .TH says section '$th'"
		failures=$((failures + 1))
	fi
	# Every file starts with its licence.
	if ! head -n1 "$page" | grep -qx '\.\\" SPDX-License-Identifier: GPL-2.0-or-later'; then
		echo "FAIL: $name: no SPDX line at the top"
		failures=$((failures + 1))
	fi
done

[ "$failures" -eq 0 ]
