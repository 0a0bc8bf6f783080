#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Each libFuzzer harness (five) for 60 seconds (make fuzz): any crash, leak, timeout
# or sanitizer report fails the step, and the summary gives the executions
# each ran. About 5.5 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
