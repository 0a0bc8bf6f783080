#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Stands in for tests/monitor/test-monitor when configure did not find
# umockdev: a skip, which CI (VFIO_BINDER_REQUIRE_ALL=1) turns into a failure.
if [ "${VFIO_BINDER_REQUIRE_ALL:-0}" = 1 ]; then
	echo "FAIL: the monitor tests need umockdev: install the Debian packages umockdev and libumockdev-dev, then re-run configure" >&2
	exit 1
fi
echo "SKIP: the monitor tests need umockdev (Debian packages umockdev and libumockdev-dev)" >&2
exit 77
