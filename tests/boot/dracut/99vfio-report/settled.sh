#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Test-only dracut hook: report, then power off.
/usr/bin/vfio-report
