#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test-only dracut hook: keep the initqueue running until the report is out.
[ -e /run/vfio-report.done ]
