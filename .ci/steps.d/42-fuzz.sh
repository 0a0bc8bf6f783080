#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each libFuzzer harness (five) for 60 seconds (make fuzz): any crash, leak, timeout
# or sanitizer report fails the step, and the summary gives the executions
# each ran; then the selection's property test, 30000 runs (about 3 minutes).
# Measured: 415 s (the fresh-clone .ci/run at daf97ae, 2 cores, TCG).
set -euo pipefail
cd "$(dirname "$0")/../.."
# The property test's seed is fixed here so a CI result can be reproduced
# (new seeds found the card splits recorded in doc/testing.md, now fixed);
# "make fuzz" alone still draws a new seed each time.
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}" FUZZ_PROPERTY_SEED=1
