#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_e2e_storm.sh with http.max_transfers: 1: four BIOS VMs (real iPXE)
# fetch their kernels and initrds one at a time, honouring each 503's
# Retry-After; all four jobs are done and the 503s are counted.
STORM_MAX_TRANSFERS=1 exec "$(dirname "$0")/test_e2e_storm.sh" "$@"
