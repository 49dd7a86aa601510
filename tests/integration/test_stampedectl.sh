#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# stampedectl against the admin API alone (stampede-admin-test: a temp
# database, libmicrohttpd on 127.0.0.1 with a free port). Loopback only, no
# namespaces, no root. Exit 0 = every check passed.
#
# Environment: STP_BUILD  the build directory (default build/)
set -uo pipefail
. "$(dirname "$0")/lib.sh"

STP_BUILD=${STP_BUILD:-$STP_ROOT/build}
CTL=$STP_BUILD/tools/stampedectl
SRV=$STP_BUILD/tools/stampede-admin-test
TOKEN=test-token-0123456789
for b in "$CTL" "$SRV"; do
	[[ -x "$b" ]] || { say "missing $b (build it, or set STP_BUILD)"; exit 1; }
done

# ---------------------------------------------------------------- server

bg_start "$STP_WORK/server.log" "$SRV" "$STP_WORK/s.db" "$TOKEN"
SRV_PID=$BG_PID
wait_for 10 grep -q '^port ' "$STP_WORK/server.log" || {
	fail server "did not start: $(cat "$STP_WORK/server.log")"; stp_finish; }
PORT=$(awk '/^port /{print $2}' "$STP_WORK/server.log")
URL=http://127.0.0.1:$PORT
export STAMPEDE_SERVER=$URL STAMPEDE_TOKEN=$TOKEN
note "admin API on $URL (pid $SRV_PID)"

# run ARGS... — stampedectl with OUT, ERR and RC set.
OUT="" ERR="" RC=0
run() {
	RC=0
	OUT=$("$CTL" "$@" 2>"$STP_WORK/err") || RC=$?
	ERR=$(cat "$STP_WORK/err")
}

# The imaging OS's side, which stampedectl does not speak: check-in and
# progress, so that status has stage timestamps to show.
os_call() {
	curl -s -o /dev/null -w '%{http_code}' -X "$1" -H 'Content-Type: application/json' \
		${3:+--data "$3"} "$URL$2"
}

# ---------------------------------------------------------------- basics

run --version
assert_match "version" "$OUT" '^stampedectl [0-9]+\.[0-9]+'
run --help
assert_eq "help exit" 0 "$RC"
assert_contains "help lists job deploy" "$OUT" "job deploy --host MAC|--group G"
run host add --help
assert_contains "per-command help" "$OUT" "usage: stampedectl host add MAC [--name N]"
run job --help
assert_contains "group help" "$OUT" "stampedectl job cancel ID"

# ----------------------------------------------------------- setup data

run group add lab
assert_eq "group add" 0 "$RC"
run image add win11 --kernel win11/vmlinuz --initrd win11/initrd.img
assert_eq "image add" 0 "$RC"
run image list
assert_match "image list" "$OUT" 'win11 +win11/vmlinuz +win11/initrd.img'

# ----------------------------------------------------------------- hosts

run host add 52:54:00:00:00:01 --name pc-01 --group lab --image win11
assert_eq "host add rc" 0 "$RC"
assert_eq "host add out" "added 52:54:00:00:00:01 (pc-01)" "$OUT"
run host add 52-54-00-00-00-02 --group lab --args "quiet splash"
assert_eq "host add default name" "added 52:54:00:00:00:02 (host-525400000002)" "$OUT"
run host add 52:54:00:00:00:09 --name tmp-host
run host rm tmp-host
assert_eq "host rm by name" "removed 52:54:00:00:00:09" "$OUT"
run host rm 52:54:00:00:00:09
assert_eq "host rm unknown rc" 1 "$RC"

cat >"$STP_WORK/good.csv" <<'EOF'
mac,name,group,image
# a comment line
52:54:00:00:00:03, pc-03, lab, win11
52:54:00:00:00:04,a-very-long-host-name-that-must-not-be-truncated,lab
EOF
run host import "$STP_WORK/good.csv"
assert_eq "import good rc" 0 "$RC"
assert_contains "import good count" "$OUT" "imported 2 hosts"

cat >"$STP_WORK/bad.csv" <<'EOF'
52:54:00:00:00:05,pc-05
52:54:00:00:00:06,pc-06,nosuchgroup
EOF
run host import "$STP_WORK/bad.csv"
assert_eq "import bad rc" 1 "$RC"
assert_contains "import bad line number" "$ERR" "line 2:"
run host list
assert_not_contains "import bad is all or nothing" "$OUT" "pc-05"
assert_contains "host list long name untruncated" "$OUT" \
	"a-very-long-host-name-that-must-not-be-truncated"
assert_match "host list aligned" "$(printf '%s\n' "$OUT" | awk 'NR==1{print index($0,"GROUP")}
	/pc-01/{print index($0,"lab")}' | sort -u | wc -l)" '^1$'
assert_eq "host list rows" 5 "$(printf '%s\n' "$OUT" | wc -l)"

# ------------------------------------------------------------------ jobs

run job deploy --host pc-01
assert_eq "deploy host rc" 0 "$RC"
assert_match "deploy host out" "$OUT" '^job [0-9]+: deploy 52:54:00:00:00:01 with win11, queued$'
JOB1=$(sed -E 's/^job ([0-9]+):.*/\1/' <<<"$OUT")
run job register --group lab
assert_eq "group job refused (pc-01 busy) rc" 1 "$RC"
assert_contains "group job refused message" "$ERR" "already has job"
run job cancel "$JOB1"
assert_eq "cancel" "job $JOB1: cancelled" "$OUT"
run job cancel "$JOB1"
assert_eq "cancel twice rc" 1 "$RC"
run job register --group lab
assert_eq "group job rc" 0 "$RC"
assert_match "group job out" "$OUT" '^group job [0-9]+: register for 4 hosts of group lab$'
run job list
assert_eq "job list rows" 6 "$(printf '%s\n' "$OUT" | wc -l)"
assert_match "job list has cancelled" "$OUT" "$JOB1 +deploy +52:54:00:00:00:01 +win11 +cancelled"
run job list --state queued
assert_eq "job list --state" 5 "$(printf '%s\n' "$OUT" | wc -l)"

# --------------------------------------------------------------- status

assert_eq "os checkin" 200 "$(os_call GET '/api/v1/job?mac=52:54:00:00:00:03')"
JOB3=$("$CTL" job list --host pc-03 | awk 'NR==2{print $1}')
assert_eq "os progress" 200 "$(os_call POST "/api/v1/job/$JOB3/progress" '{"percent":40}')"
run status
assert_eq "status rc" 0 "$RC"
assert_match "status host row" "$OUT" \
	"52:54:00:00:00:03 +pc-03 +$JOB3 +running +40% +- +- +- +- +- +- +\\+0\\.[0-9]s +\\+[0-9.]+s +-"
assert_match "status summary" "$OUT" 'progress +1 +1 +[0-9]+ms +[0-9]+ms +[0-9]+ms'
assert_contains "status total" "$OUT" "1 hosts booting or booted"
assert_contains "status summary head" "$OUT" "STAGE      AT  TIMED  P50"
assert_contains "status: no slot limit" "$OUT" "job slots: no limit, 4 jobs booting or running"

run watch --interval 0.3 --count 2
assert_eq "watch rc" 0 "$RC"
assert_eq "watch lines" 2 "$(printf '%s\n' "$OUT" | wc -l)"
assert_match "watch line" "$(head -1 <<<"$OUT")" \
	'^[0-9:]{8} hosts=1 fw_dhcp=0\(0\.0/s\).* progress=1\(0\.0/s\) done=0'
assert_not_contains "watch no escapes off a terminal" "$OUT" $'\033'

# ------------------------------------------------------------ job slots

# A second server with jobs.max_active 2: a group job of four hosts gives
# two jobs a slot and makes two wait, in the order they were created; a
# slot that frees goes to the oldest waiting job.
bg_start "$STP_WORK/slots.log" "$SRV" "$STP_WORK/slots.db" "$TOKEN" 0 2
SLOTS_PID=$BG_PID
wait_for 10 grep -q '^port ' "$STP_WORK/slots.log" || {
	fail "slots server" "did not start: $(cat "$STP_WORK/slots.log")"; stp_finish; }
SLOTS_URL=http://127.0.0.1:$(awk '/^port /{print $2}' "$STP_WORK/slots.log")
slots() { STAMPEDE_SERVER=$SLOTS_URL run "$@"; }
slots group add rack
slots image add win11 --kernel win11/vmlinuz --initrd win11/initrd.img
for i in 1 2 3 4; do slots host add "52:54:00:00:01:0$i" --name "r-0$i" --group rack --image win11; done
slots job deploy --group rack
assert_match "slots: group job" "$OUT" '^group job [0-9]+: deploy for 4 hosts of group rack$'
slots job list
assert_match "slots: r-01 has a slot" "$OUT" ' 52:54:00:00:01:01 +win11 +queued +0% '
assert_match "slots: r-02 has a slot" "$OUT" ' 52:54:00:00:01:02 +win11 +queued +0% '
assert_match "slots: r-03 waits" "$OUT" \
	' 52:54:00:00:01:03 +win11 +waiting +0% +[0-9]+ +waiting for a free job slot'
assert_match "slots: r-04 waits" "$OUT" ' 52:54:00:00:01:04 +win11 +waiting '
slots job list --state waiting
assert_eq "slots: job list --state waiting" 3 "$(printf '%s\n' "$OUT" | wc -l)"
slots status
assert_contains "slots: status" "$OUT" "job slots: 2 of 2 taken, 2 jobs waiting (lease 600 s)"
slots job deploy --host r-04
assert_eq "slots: a waiting host has its job" 1 "$RC"
assert_match "slots: refusal names the waiting job" "$ERR" 'already has job [0-9]+ \(deploy, waiting\)'
R1=$(STAMPEDE_SERVER=$SLOTS_URL "$CTL" job list --host r-01 | awk 'NR==2{print $1}')
slots job cancel "$R1"
assert_eq "slots: cancel a job with a slot" "job $R1: cancelled" "$OUT"
slots job list
assert_match "slots: r-03 took the freed slot" "$OUT" ' 52:54:00:00:01:03 +win11 +queued '
assert_match "slots: r-04 still waits" "$OUT" ' 52:54:00:00:01:04 +win11 +waiting '
slots status
assert_contains "slots: status after" "$OUT" "job slots: 2 of 2 taken, 1 jobs waiting"
bg_stop "$SLOTS_PID"
assert_eq "slots server exits cleanly" 0 "$BG_RC"
# Restarted on the same database: the queue is still there.
bg_start "$STP_WORK/slots2.log" "$SRV" "$STP_WORK/slots.db" "$TOKEN" 0 2
SLOTS_PID=$BG_PID
wait_for 10 grep -q '^port ' "$STP_WORK/slots2.log" || {
	fail "slots server restart" "$(cat "$STP_WORK/slots2.log")"; stp_finish; }
SLOTS_URL=http://127.0.0.1:$(awk '/^port /{print $2}' "$STP_WORK/slots2.log")
slots job list --state waiting
assert_match "slots: r-04 waits after a restart" "$OUT" ' 52:54:00:00:01:04 +win11 +waiting '
bg_stop "$SLOTS_PID"

# ---------------------------------------------------------------- errors

run --token wrong-token-0123456789 host add 52:54:00:00:00:07 --name x
assert_eq "wrong token rc" 1 "$RC"
assert_eq "wrong token message" "stampedectl: wrong bearer token" "$ERR"
STAMPEDE_TOKEN="" run host rm pc-03
assert_eq "no token rc" 1 "$RC"
assert_contains "no token message" "$ERR" "missing bearer token"

# A port nobody listens on: this server's, once it is gone.
bg_stop "$SRV_PID"
assert_eq "server exits cleanly" 0 "$BG_RC"
run host list
assert_eq "unreachable rc" 2 "$RC"
assert_contains "unreachable message" "$ERR" "stampedectl: cannot reach $URL: "

run host add
assert_eq "missing MAC rc" 64 "$RC"
assert_contains "usage line" "$ERR" "usage: stampedectl host add MAC"
run host frob
assert_eq "unknown subcommand rc" 64 "$RC"
run job deploy --host a --group b
assert_eq "host and group rc" 64 "$RC"
run job list --bogus 1
assert_eq "unknown option rc" 64 "$RC"
run watch --interval 0
assert_eq "bad interval rc" 64 "$RC"
run --server
assert_eq "--server without value rc" 64 "$RC"
run
assert_eq "no command rc" 64 "$RC"

stp_finish
