#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Job slots with real firmware (README, "Hosts and boot menus"): four BIOS
# VMs in one group, one group deploy job, jobs.max_active 2, all powered on
# at once. The first two jobs (creation order: hosts 1 and 2) boot at once;
# hosts 3 and 4 get the waiting script: iPXE says on the console what it
# waits for, sleeps its MAC's 10-30 s and fetches its script again, and
# `stampedectl job list` / `status` show their jobs waiting while the first
# two run. stampede is killed with -9 and restarted while they wait: the
# queue is still there. As the first jobs end their slots go on, the
# waiting hosts' next fetch boots them, and all four jobs are done. A
# poller reads `job list` every second: never more than two jobs booting
# or running at once.
#
# SLOTS_KILL9=0 leaves out the restart.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_tftp.sh
source "$(dirname "$0")/lib_tftp.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"
# shellcheck source=lib_e2e.sh
source "$(dirname "$0")/lib_e2e.sh"

N=4
MAX=2
KILL9=${SLOTS_KILL9:-1}
mac() { echo "52:54:00:77:5b:0$1"; }

# wait_s MAC — the sleep the waiting script asks of MAC: menu_wait_s() in
# control/menu.c, FNV-1a over the MAC's text into 10..30 s.
wait_s() {
	local m=$1 h=2166136261 i c
	for ((i = 0; i < ${#m}; i++)); do
		printf -v c '%d' "'${m:i:1}"
		h=$((((h ^ c) * 16777619) & 0xffffffff))
	done
	echo $((10 + h % 21))
}

# jobs_json — GET /api/v1/jobs on the admin socket.
jobs_json() { nsx srv curl -s -m 5 http://127.0.0.1:8080/api/v1/jobs; }

# state_of_host I [JOB_LIST] — host I's job state in a `job list` output.
state_of_host() {
	awk -v m="$(mac "$1")" '$3 == m { print $5 }' <<<"${2:-$(ctl job list)}"
}

E2E_EXTRA="jobs:
  max_active: $MAX"
e2e_up
assert_match "the server says it limits jobs" "$(cat "$STP_LOG")" \
	"job slots: at most $MAX jobs booting or running at once, leases of 600 s"
ctl group add rack >/dev/null
for i in $(seq 1 "$N"); do
	ctl host add "$(mac "$i")" --name "slot-0$i" --group rack --image debian12 >/dev/null
done
note "$(ctl job deploy --group rack --image debian12)"
list=$(ctl job list)
for i in 1 2; do assert_eq "host $i: its job has a slot" queued "$(state_of_host "$i" "$list")"; done
for i in 3 4; do assert_eq "host $i: its job waits" waiting "$(state_of_host "$i" "$list")"; done

# Every second: a mark and the job list, until the end of the test.
bg_start "$STP_WORK/poll.log" ip netns exec "$STP_SRV" bash -c \
	"while :; do echo \"--- \$EPOCHREALTIME\"; '$E2E_CTL' --server http://127.0.0.1:8080 \
	 job list 2>&1; sleep 1; done"
poll_pid=$BG_PID

t0=$SECONDS
pids=()
for i in $(seq 1 "$N"); do
	vm_start "slot$i" "$(mac "$i")" bios
	pids+=("$VM_PID")
done

# The waiting hosts say on their consoles what they wait for, and how long.
for i in 3 4; do
	w=$(wait_s "$(mac "$i")")
	if vm_wait_serial "slot$i" 300 "stampede: $MAX jobs run at once, asking again in $w s" &&
		vm_serial "slot$i" | grep -q "^stampede: deploy job [0-9]* for $(mac "$i") waits for a job slot$"; then
		pass "VM $i: iPXE says it waits for a job slot, asking again in $w s ($((SECONDS - t0)) s after power-on)"
	else
		fail "VM $i: the waiting message" "$(vm_serial "slot$i" | tail -n 6 | tr '\n' '|')"
	fi
done
list=$(ctl job list)
status=$(ctl status)
note "$list"
for i in 3 4; do
	assert_eq "host $i: job list shows its job waiting" waiting "$(state_of_host "$i" "$list")"
	row=$(awk -v m="$(mac "$i")" '$1 == m' <<<"$status")
	assert_match "host $i: status shows its job waiting" "$row" "^$(mac "$i") +slot-0$i +[0-9]+ +waiting +0% "
done
running=0
for i in 1 2; do
	[[ "$(state_of_host "$i" "$list")" =~ ^(queued|booting|running)$ ]] && running=$((running + 1))
done
if ((running == 2)); then
	assert_contains "status: both slots taken, two jobs waiting" "$status" \
		"job slots: 2 of 2 taken, 2 jobs waiting (lease 600 s)"
else
	note "a first job already ended when the waiting messages came ($running of 2 left)"
fi

if [[ "$KILL9" == 1 ]]; then
	stp_kill9
	note "stampede killed with -9 while hosts 3 and 4 wait"
	stp_start "$E2E_CFG" || { fail "restart"; stp_finish; }
	list=$(ctl job list)
	waiting=0
	for i in 3 4; do [[ "$(state_of_host "$i" "$list")" == waiting ]] && waiting=$((waiting + 1)); done
	# A first job may have ended meanwhile and handed its slot on.
	if ((waiting + $(grep -cE ' (done) ' <<<"$list" || true) >= 2)); then
		pass "after kill -9 and a restart the queue is still there ($waiting waiting)"
	else
		fail "after kill -9 and a restart the queue is still there" "$list"
	fi
fi

for i in $(seq 1 "$N"); do
	if vm_wait_serial "slot$i" 600 'STAMPEDE-IMAGING-OS: job [0-9]* done'; then
		pass "VM $i: its job is done"
	else
		fail "VM $i: its job is done" "$(vm_serial "slot$i" | tail -n 6 | tr '\n' '|')"
	fi
done
note "4 jobs through 2 slots: all done $((SECONDS - t0)) s after power-on"
bg_stop "$poll_pid" KILL
for p in "${pids[@]}"; do bg_stop "$p" KILL; done
assert_eq "every job of the group is done" "$N" "$(ctl job list | awk '$5 == "done"' | wc -l)"

# The poller's view: never more than MAX jobs holding a slot, and a moment
# where the first two ran (booting or running) while the others waited.
read -r polls max_active seen <<<"$(awk -v m3="$(mac 3)" -v m4="$(mac 4)" \
	-v m1="$(mac 1)" -v m2="$(mac 2)" '
	function flush() { if (n) { if (a > max) max = a; if (r1 && r2 && w3 && w4) seen = 1 } }
	/^--- / { flush(); n++; a = 0; r1 = r2 = w3 = w4 = 0; next }
	$5 ~ /^(queued|booting|running)$/ { a++ }
	$3 == m1 && $5 ~ /^(booting|running)$/ { r1 = 1 }
	$3 == m2 && $5 ~ /^(booting|running)$/ { r2 = 1 }
	$3 == m3 && $5 == "waiting" { w3 = 1 }
	$3 == m4 && $5 == "waiting" { w4 = 1 }
	END { flush(); print n + 0, max + 0, seen + 0 }' "$STP_WORK/poll.log")"
note "$polls job lists polled"
if ((polls > 10 && max_active <= MAX)); then
	pass "never more than $MAX jobs booting or running at once (at most $max_active)"
else
	fail "never more than $MAX jobs booting or running at once" "$polls polls, at most $max_active"
fi
assert_eq "job list showed hosts 3 and 4 waiting while hosts 1 and 2 ran" 1 "$seen"

# Hosts 3 and 4 started only once a first job had ended.
order=$(jobs_json | python3 -c '
import json, sys
jobs = {j["mac"]: j for j in json.load(sys.stdin)["jobs"]}
first = min(jobs["'"$(mac 1)"'"]["finished"], jobs["'"$(mac 2)"'"]["finished"])
for m in ("'"$(mac 3)"'", "'"$(mac 4)"'"):
    print(m, "after" if jobs[m]["started"] >= first else "before", jobs[m]["started"] - first)
')
note "$order"
assert_eq "hosts 3 and 4 began only after a slot freed" 2 "$(grep -c ' after ' <<<"$order")"
for i in 3 4; do
	n=$(vm_serial "slot$i" | grep -c 'waits for a job slot' || true)
	note "VM $i: $n waiting rounds"
done
stp_stop
assert_eq "server stopped cleanly" 0 "$STP_RC"
stp_finish
