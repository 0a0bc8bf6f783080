#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The unit suite under valgrind --leak-check=full --error-exitcode=1
# (make check-valgrind: each Check program with CK_FORK=no, so the leak check
# at exit sees every case). Runs on .ci/run's own build. Measured: 42 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -j"$(nproc)" check-valgrind
