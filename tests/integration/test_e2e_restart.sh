#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# kill -9 stampede while a job is running: the restarted server still knows
# the host, the job and its state, the imaging OS's next report (it retries)
# is accepted, and the job completes.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

MAC=52:54:00:77:7e:01
e2e_up
ctl host add "$MAC" --name restart-01 --image debian12 >/dev/null
job=$(ctl job deploy --host "$MAC" --image debian12 | sed -n 's/^job \([0-9]*\):.*/\1/p')
vm_start restart "$MAC" bios
if vm_wait_serial restart 240 "STAMPEDE-IMAGING-OS: job $job checked in"; then
	pass "imaging OS checked in"
else
	fail "imaging OS checked in" "$(vm_serial restart | tail -n 6 | tr '\n' '|')"
fi
stp_kill9
note "stampede killed with -9 while job $job runs"
stp_start "$E2E_CFG" || { fail "restart"; stp_finish; }
state=$(job_state "$job")
assert_match "after the restart job $job is still there, where it stopped" "$state" '^(booting|running)$'
if vm_wait_serial restart 120 "STAMPEDE-IMAGING-OS: job $job done"; then
	pass "the imaging OS's reports were accepted after the restart"
else
	fail "the imaging OS's reports were accepted after the restart" \
		"$(vm_serial restart | tail -n 8 | tr '\n' '|')"
fi
bg_stop "$VM_PID" KILL
assert_eq "job $job done" done "$(job_state "$job")"
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
