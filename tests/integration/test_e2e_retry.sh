#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The default job script retries a failed fetch (README, "Administration"),
# with real iPXE: a BIOS VM gets a deploy job whose initrd is missing from
# boot.root. iPXE fetches the kernel, gets 404 for the initrd and says on
# the console that it retries in 2 s, then in 4 s; the initrd is put back
# (SIGHUP reloads the cache) and the next retry fetches it: the job is done
# without anyone touching the machine.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

MAC=52:54:00:77:6b:01
e2e_up
root=$(stp_boot_root)

# hup — SIGHUP the server; wait for the reload it logs.
hup() {
	local n
	n=$(grep -c 'reload: cache version' "$STP_LOG" || true)
	kill -HUP "$STP_PID"
	wait_for 10 bash -c "(( \$(grep -c 'reload: cache version' '$STP_LOG') > $n ))"
}

mv "$root/init.xz" "$STP_WORK/init.xz.away"
hup || fail "reload without the initrd" "no 'reload: cache version' in the log"
code=$(nsx probe curl -s -m 5 -o /dev/null -w '%{http_code}' http://10.77.0.1/init.xz || true)
assert_eq "the initrd is gone from the cache" 404 "$code"

ctl host add "$MAC" --name retry-01 --image debian12 >/dev/null
out=$(ctl job deploy --host "$MAC" --image debian12)
job=$(sed -n 's/^job \([0-9]*\):.*/\1/p' <<<"$out")
t0=$SECONDS
vm_start retry "$MAC" bios
vm_pid=$VM_PID
msg="stampede: could not fetch the initrd of job $job"
if vm_wait_serial retry 240 "$msg, retry 1 of 5 in 2 s"; then
	pass "iPXE says it will retry the initrd in 2 s ($((SECONDS - t0)) s after power-on)"
else
	fail "iPXE says it will retry the initrd" "$(vm_serial retry | tail -n 8 | tr '\n' '|')"
fi
if vm_wait_serial retry 30 "$msg, retry 2 of 5 in 4 s"; then
	pass "the second retry waits longer (4 s)"
else
	fail "the second retry waits longer" "$(vm_serial retry | tail -n 8 | tr '\n' '|')"
fi
mv "$STP_WORK/init.xz.away" "$root/init.xz"
hup || fail "reload with the initrd" "no 'reload: cache version' in the log"
if vm_wait_serial retry 300 "STAMPEDE-IMAGING-OS: job $job done"; then
	pass "a later retry fetched the initrd: job $job done ($((SECONDS - t0)) s after power-on)"
else
	fail "job $job done after the retries" "$(vm_serial retry | tail -n 12 | tr '\n' '|')"
fi
serial=$(vm_serial retry)
kernels=$(grep -c 'http://10.77.0.1/bzImage\.\.\.' <<<"$serial" || true)
assert_eq "the kernel was fetched once (only the initrd was retried)" 1 "$kernels"
assert_not_contains "no give-up" "$serial" "rebooting in 60 s"
note "console: $(grep -a 'stampede:' <<<"$serial" | tr '\n' '|' | head -c 600)"
bg_stop "$vm_pid" KILL
assert_eq "job list shows job $job done" "done" "$(job_state "$job")"
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
