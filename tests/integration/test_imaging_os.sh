#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The imaging-OS stand-in (tools/imaging-os/) on its own, without stampede:
# qemu boots its bzImage + init.xz directly (-kernel/-initrd, TCG), the guest
# does DHCP against dnsmasq and talks to a small python3 HTTP server that
# implements the imaging-OS API and records every call.
#
#   ns <P>-srv: stp0 10.77.0.1/24, dnsmasq (DHCP only), the API on port 80
#               (tests/tools/imaging_api_stub.py)
#   ns <P>-lan: br0 -- s-stp0 (veth to stp0), t-vm (tap of the VM)
#
# Runs (each VM must power itself off within VM_LIMIT seconds):
#   e1000       deploy, job 42: check-in, progress 0/50/100, done
#   virtio      the same over virtio-net-pci (q35); the first check-in gets
#               a 503, so the retry path runs too
#   register    no job, type register, an SMBIOS serial and a 64 MiB virtio
#               disk: POST /api/v1/register with mac, serial and disk_bytes
#   fail        every progress call gets a 500: four attempts, then the
#               "job 43 failed" marker and a best-effort POST .../failed
#   nojob       no stampede.job: "no job", no API call at all
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=lib_vm.sh
source "$(dirname "$0")/lib_vm.sh"

IOS_DIR=${STP_IMAGING_OS_DIR:-$STP_ROOT/build/imaging-os}
VM_LIMIT=${STP_IMAGING_VM_LIMIT:-90}
SERVER=http://10.77.0.1
REC=$STP_WORK/api.rec          # one line per API call, written by the stub
CTL=$STP_WORK/api.fault        # "PATH-SUBSTRING COUNT CODE": faults to inject
TIMINGS=()

# ------------------------------------------------------------- the API

# The imaging-OS API as the stand-in uses it: tests/tools/imaging_api_stub.py,
# started below. Each call is recorded as
#   KIND code=N method=M path=P ct=CONTENT-TYPE [key=value ...]
# with KIND checkin/progress/done/failed/register (or fault/badjson/unknown)
# and the JSON body's fields as key=value, strings JSON-quoted.

# ------------------------------------------------------------- helpers

# vm_run NAME TIMEOUT NIC MACHINE MAC APPEND [QEMU-ARGS...] — boot the
# stand-in, wait for qemu to exit by itself. Sets VM_EXITED (1/0), VM_RC and
# VM_MS (milliseconds from start to exit). A VM still running at the limit
# is killed.
VM_EXITED=0
VM_RC=0
VM_MS=0
vm_run() {
	local name=$1 limit=$2 nic=$3 machine=$4 mac=$5 append=$6 t0 pid
	shift 6
	: >"$REC"
	t0=$(date +%s%N)
	bg_start "$STP_WORK/vm.$name.serial" ip netns exec "$STP_LAN" \
		qemu-system-x86_64 -accel "$ACCEL" -M "$machine" -m 256 -nographic -no-reboot \
		-kernel "$IOS_DIR/bzImage" -initrd "$IOS_DIR/init.xz" -append "$append" \
		-device "$nic,netdev=n0,mac=$mac" \
		-netdev tap,id=n0,ifname=t-vm,script=no,downscript=no "$@"
	pid=$BG_PID
	VM_EXITED=0
	if wait_for "$limit" _gone "$pid"; then VM_EXITED=1; fi
	VM_MS=$((($(date +%s%N) - t0) / 1000000))
	if ((VM_EXITED)); then bg_stop "$pid"; else bg_stop "$pid" KILL; fi
	VM_RC=$BG_RC
	TIMINGS+=("$name $(ms_to_s "$VM_MS") s")
	note "run $name: $(ms_to_s "$VM_MS") s, exited=$VM_EXITED rc=$VM_RC"
}

# ms_to_s MS — milliseconds as seconds with three decimals.
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# shellcheck disable=SC2317  # called through wait_for
_gone() { ! kill -0 "$1" 2>/dev/null; }

# console NAME — the VM's serial console, cleaned.
console() { vm_serial "$1"; }

# marker NAME TEXT — does the console have the line "STAMPEDE-IMAGING-OS: TEXT..."?
has_marker() { console "$1" | grep -aq "^STAMPEDE-IMAGING-OS: $2"; }

# check_marker NAME TEXT
check_marker() {
	if has_marker "$1" "$2"; then pass "$1: console has '$2'"; else
		fail "$1: console has '$2'" "not found; console tail: $(console "$1" | tail -n 8 | tr '\n' '|')"
	fi
}

# check_poweroff NAME — the VM ended itself, cleanly, within the limit.
check_poweroff() {
	local secs
	secs=$(ms_to_s "$VM_MS")
	if ((VM_EXITED)); then
		pass "$1: VM powered off by itself in $secs s (limit $VM_LIMIT s)"
		assert_eq "$1: qemu exit status" 0 "$VM_RC"
	else
		fail "$1: VM powered off by itself" "still running after $VM_LIMIT s; console tail: $(console "$1" | tail -n 8 | tr '\n' '|')"
	fi
	check_marker "$1" "powering off"
	assert_not_contains "$1: no kernel panic" "$(console "$1")" "Kernel panic"
}

# check_up NAME MAC — the "up" marker: a lease from dnsmasq's range.
check_up() {
	local line ip
	line=$(console "$1" | grep -a '^STAMPEDE-IMAGING-OS: up ' | tail -n 1 || true)
	ip=$(sed -n 's/.* ip=\([0-9.]*\).*/\1/p' <<<"$line")
	assert_ip_in "$1: up with a lease from dnsmasq" "$ip" 10.77.0.100 10.77.0.150
	assert_contains "$1: up on the NIC with the given MAC" "$line" "mac=$2"
}

# rec_kinds — the kinds of the recorded calls, space-separated.
rec_kinds() { awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }' "$REC"; }

# check_deploy NAME MAC JOB — the records of one deploy run: a check-in for
# MAC, three progress calls with increasing percent, done; all for JOB.
check_deploy() {
	local name=$1 mac=$2 job=$3 line p prev=-1 ok=1 percents
	assert_eq "$name: API calls in order" "checkin progress progress progress done" \
		"$(grep -v '^fault ' "$REC" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }')"
	line=$(grep '^checkin ' "$REC" | tail -n 1 || true)
	assert_contains "$name: check-in is GET /api/v1/job?mac=MAC" "$line" \
		"code=200 method=GET path=/api/v1/job?mac=$mac "
	percents=$(sed -n 's/^progress .* percent=\([0-9]*\).*/\1/p' "$REC" | tr '\n' ' ')
	for p in $percents; do ((p > prev)) || ok=0; prev=$p; done
	if ((ok)) && [[ "$prev" == 100 && $(wc -w <<<"$percents") == 3 ]]; then
		pass "$name: three progress calls, percent increasing to 100 ($percents)"
	else
		fail "$name: three progress calls, percent increasing to 100" "percents: '$percents'"
	fi
	assert_eq "$name: every job call is for job $job" 4 \
		"$(grep -cE "^(progress|done) code=200 method=POST path=/api/v1/job/$job/(progress|done) ct=application/json .*job=\"$job\"" "$REC" || true)"
	assert_eq "$name: progress bodies carry bytes, rate and a message" 3 \
		"$(grep -cE '^progress .*bytes=[0-9]+ job=.* message="[^"]+" percent=[0-9]+ rate=[0-9]+' "$REC" || true)"
	assert_contains "$name: done body" "$(grep '^done ' "$REC" || true)" 'message="stand-in imaging done"'
	assert_eq "$name: no malformed or unknown calls" 0 "$(grep -cE '^(badjson|unknown) ' "$REC" || true)"
}

# ------------------------------------------------------------- build

t0=$SECONDS
if "$STP_ROOT/tools/imaging-os/build.sh" "$IOS_DIR" 2>"$STP_WORK/build.log"; then
	pass "build.sh built (or reused) $IOS_DIR in $((SECONDS - t0)) s"
else
	fail "build.sh" "$(tail -n 5 "$STP_WORK/build.log" | tr '\n' '|')"
	stp_finish
fi
sed 's/^/    | /' "$STP_WORK/build.log" >&2
t0=$(stat -c %Y "$IOS_DIR/init.xz")
"$STP_ROOT/tools/imaging-os/build.sh" "$IOS_DIR" 2>/dev/null
assert_eq "build.sh reuses an up-to-date OUTDIR" "$t0" "$(stat -c %Y "$IOS_DIR/init.xz")"
assert_contains "init.xz uses CRC32 checks" "$(xz --robot -lv "$IOS_DIR/init.xz")" "CRC32"

# ------------------------------------------------------------- the lab

lab_up
ip -n "$STP_SRV" addr add 10.77.0.1/24 dev stp0
ip -n "$STP_LAN" tuntap add t-vm mode tap
ip -n "$STP_LAN" link set t-vm master br0
ip -n "$STP_LAN" link set t-vm up
ACCEL=$(vm_accel)
note "qemu acceleration: $ACCEL"

bg_start "$STP_WORK/dnsmasq.log" ip netns exec "$STP_SRV" dnsmasq --no-daemon \
	--conf-file=/dev/null --port=0 --interface=stp0 --bind-interfaces \
	--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,10m --dhcp-authoritative \
	--dhcp-leasefile="$STP_WORK/dnsmasq.leases" --pid-file="$STP_WORK/dnsmasq.pid" \
	--log-dhcp --no-ping
DNSMASQ_PID=$BG_PID
bg_start "$STP_WORK/api.log" ip netns exec "$STP_SRV" python3 -u \
	"$STP_ROOT/tests/tools/imaging_api_stub.py" 10.77.0.1 80 "$REC" "$CTL"
API_PID=$BG_PID
if ! wait_for 10 grep -q 'api: listening' "$STP_WORK/api.log"; then
	fail "API server start" "$(tail -n 5 "$STP_WORK/api.log" | tr '\n' '|')"
	stp_finish
fi
if ! kill -0 "$DNSMASQ_PID" 2>/dev/null; then
	fail "dnsmasq start" "$(tail -n 5 "$STP_WORK/dnsmasq.log" | tr '\n' '|')"
	stp_finish
fi

# ------------------------------------------------------------- e1000 deploy

mac=52:54:00:aa:00:01
vm_run e1000 "$VM_LIMIT" e1000 pc "$mac" \
	"console=ttyS0 stampede.job=42 stampede.type=deploy stampede.image=debian12 stampede.server=$SERVER stampede.mac=$mac quiet"
check_poweroff e1000
check_up e1000 "$mac"
for m in "job 42 checked in" "job 42 progress 0" "job 42 progress 50" "job 42 progress 100" "job 42 done"; do
	check_marker e1000 "$m"
done
check_deploy e1000 "$mac" 42
assert_contains "e1000: dnsmasq acknowledged the lease" "$(cat "$STP_WORK/dnsmasq.log")" "DHCPACK(stp0) 10.77.0."

# ------------------------------------------------------------- virtio deploy

mac=52:54:00:aa:00:02
echo "/api/v1/job? 1 503" >"$CTL"
vm_run virtio "$VM_LIMIT" virtio-net-pci q35 "$mac" \
	"console=ttyS0 stampede.job=42 stampede.type=deploy stampede.image=debian12 stampede.server=$SERVER stampede.mac=$mac quiet"
rm -f "$CTL"
check_poweroff virtio
check_up virtio "$mac"
for m in "job 42 progress 0" "job 42 progress 50" "job 42 progress 100" "job 42 done"; do
	check_marker virtio "$m"
done
check_marker virtio "api GET /api/v1/job?mac=$mac: attempt 1 of 4: server returned error: HTTP/1.0 503"
assert_eq "virtio: the 503 check-in was retried" "fault checkin" \
	"$(grep -E '^(fault|checkin) ' "$REC" | awk '{ printf "%s%s", (NR > 1 ? " " : ""), $1 }')"
check_deploy virtio "$mac" 42

# ------------------------------------------------------------- register

mac=52:54:00:aa:00:03
truncate -s 64M "$STP_WORK/disk.img"
vm_run register "$VM_LIMIT" e1000 pc "$mac" \
	"console=ttyS0 stampede.type=register stampede.server=$SERVER stampede.mac=$mac quiet" \
	-smbios type=1,serial=STP-SERIAL-7 \
	-drive "file=$STP_WORK/disk.img,format=raw,if=virtio"
check_poweroff register
check_up register "$mac"
check_marker register "registered mac=$mac serial=STP-SERIAL-7 disk_bytes=67108864"
assert_eq "register: one call, POST /api/v1/register" \
	"register code=200 method=POST path=/api/v1/register ct=application/json disk_bytes=67108864 mac=\"$mac\" serial=\"STP-SERIAL-7\"" \
	"$(cat "$REC")"

# ------------------------------------------------------------- failure

mac=52:54:00:aa:00:04
echo "/progress 99 500" >"$CTL"
vm_run fail "$VM_LIMIT" e1000 pc "$mac" \
	"console=ttyS0 stampede.job=43 stampede.type=deploy stampede.image=debian12 stampede.server=$SERVER stampede.mac=$mac quiet"
rm -f "$CTL"
check_poweroff fail
check_marker fail "job 43 failed: progress 0: POST /api/v1/job/43/progress: server returned error: HTTP/1.0 500"
assert_not_contains "fail: no done after a failed progress" "$(console fail)" "job 43 done"
assert_eq "fail: check-in, 4 progress attempts, then POST failed" \
	"checkin fault fault fault fault failed" "$(rec_kinds)"
assert_contains "fail: the failed call carries the reason" "$(grep '^failed ' "$REC" || true)" \
	'code=200 method=POST path=/api/v1/job/43/failed ct=application/json job="43" message="progress 0: POST /api/v1/job/43/progress: server returned error: HTTP/1.0 500'

# ------------------------------------------------------------- no job

mac=52:54:00:aa:00:05
vm_run nojob "$VM_LIMIT" e1000 pc "$mac" "console=ttyS0 stampede.server=$SERVER quiet"
check_poweroff nojob
check_marker nojob "no job"
assert_eq "nojob: no API call" "" "$(cat "$REC")"

note "VM runs: $(printf '%s; ' "${TIMINGS[@]}")"
bg_stop "$API_PID"
bg_stop "$DNSMASQ_PID"
stp_finish
