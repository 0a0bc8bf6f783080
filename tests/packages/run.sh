#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make check-packages [PACKAGE_FORMATS='deb arch rpm']: each format's test in
# turn, with its duration; fails if any failed.
set -u
here=$(dirname "$0")
formats=("$@")
((${#formats[@]})) || formats=(deb arch rpm)
failed=()
for f in "${formats[@]}"; do
	[[ -f $here/$f.sh ]] || { echo "unknown package format '$f' (deb, arch or rpm)" >&2; exit 2; }
	echo "=== packages: $f"
	start=$SECONDS
	bash "$here/$f.sh" || failed+=("$f")
	echo "=== packages: $f took $((SECONDS - start)) s"
done
if ((${#failed[@]})); then
	echo "packages: failed: ${failed[*]}" >&2
	exit 1
fi
echo "packages: ${formats[*]} passed"
