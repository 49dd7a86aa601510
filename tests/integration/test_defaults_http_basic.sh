#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# test_http_basic.sh again, with what a user gets: STP_DEFAULTS=1 leaves
# port.driver (auto: AF_XDP here) and eal.no_huge (false: hugepages) at
# their defaults, and lib_defaults.sh checks at every start that the server
# really runs on AF_XDP and hugepages (or says loudly that no hugepages
# were free and it fell back to ordinary pages). Every HTTP check of
# test_http_basic.sh is driver-neutral, so all of them must pass here too.
set -euo pipefail
STP_DEFAULTS=${STP_DEFAULTS:-1} exec bash "$(dirname "$0")/test_http_basic.sh"
