#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# bench_boot.sh — boot time, power-on to "done", of real PXE firmware in
# qemu through stampede, and through the classic dnsmasq (DHCP + TFTP) +
# nginx (HTTP) setup on the same veth lab (issue #6). Reports; never asserts.
#
#   tests/bench/bench_boot.sh                  everything (~5-6 min on 2 cores)
#   SERVERS=stampede MODES=after FIRMWARE=bios STORM=0 tests/bench/bench_boot.sh
#   SERVERS=dnsmasq STORM=4 FIRMWARE= tests/bench/bench_boot.sh   the storm only
#
# Knobs:
#   SERVERS   "stampede dnsmasq"   which setups run
#   MODES     "before after"       stampede runs: "before" has both boot-time
#                                  savings off (boot.no_pxedhcp: false,
#                                  boot.ipv6_ra: false), "after" the defaults
#   FIRMWARE  "bios uefi"          single-VM boots, one after the other
#   STORM     4                    VMs in the BIOS storm (one group deploy job
#                                  for stampede, "after" only); 0: no storm
#   VM_CPUS   0                    taskset list for every qemu ("": unpinned)
#   SRV_CPUS  1                    taskset list for dnsmasq and nginx
#   LIMIT_BIOS 240, LIMIT_UEFI 360, LIMIT_STORM 600   seconds per boot
#
# What each setup does:
#   stampede   DHCP server mode, TFTP, HTTP, per-host scripts, the job API,
#              all from the DPDK dataplane (af_packet on stp0, worker lcore 1,
#              control thread on lcore 0). A deploy job per host queued with
#              stampedectl; "before" and "after" differ only in the two keys:
#              iPXE gets option 175.176 no-pxedhcp (skips its ProxyDHCP
#              wait) and its IPv6 Router Solicitation gets a no-router RA
#              (skips its IPv6 autoconfiguration wait).
#   dnsmasq    what a FOG-style admin runs: dnsmasq (kernel address
#              10.77.0.1 on stp0, DNS off) hands out addresses, boot files by
#              architecture (undionly.kpxe BIOS, ipxe.efi UEFI x86-64) over
#              its TFTP, and iPXE (user class "iPXE") the URL
#              http://10.77.0.1/boot.ipxe; nginx (sendfile) serves the same
#              files, the same chain script and one static per-host script per
#              MAC with the kernel line stampede renders, and answers /api/
#              with a fixed 200 so the imaging-OS stand-in reaches "done".
#              No option 175 and no RA (neither is default config: an admin
#              would have to know to add them), no windowsize in dnsmasq's
#              TFTP, no job state: the stand-in API only says 200.
#
# Measured per VM, as seconds after qemu was started ("power-on"; the KVM
# probe of lib_vm.sh, 10 s here, runs once before any clock starts):
#   console marks (both setups; the serial console, timestamped by a 20 Hz
#   poller, so +-0.05 s): EDK2's ">>Start PXE over IPv4", iPXE running, its
#   Ctrl-B prompt, net0 opened, its network configured ("Configuring ...
#   ok"), the kernel and the initrd requested, the initrd loaded, the
#   stand-in's "start", "up" (its own DHCP) and "job N done". The main table
#   gives the time spent between marks (they add up to the total):
#     firmware  power-on -> iPXE running (BIOS: SeaBIOS POST and the NIC's
#               iPXE ROM) or -> EDK2 starts PXE (UEFI: OVMF)
#     fw-pxe    UEFI: EDK2's DHCP (+ its port 4011 request when the offer
#               says PXEClient) and TFTP of ipxe.efi, until iPXE runs
#     ipxe-init iPXE initialises its devices (EFI: takes over from SNP)
#     prompt    iPXE's "Press Ctrl-B" pause (2 s in Debian's build)
#     ipxe-net  iPXE's network configuration: DHCP, the ProxyDHCP wait, IPv6
#     script    the chain script and the per-host script, until the kernel
#               request
#     kernel    bzImage over HTTP;  initrd  init.xz over HTTP
#     linux     the kernel boots and unpacks the initramfs (TCG: slow)
#     os-dhcp   the stand-in loads its NIC driver and does DHCP
#     api       check-in, progress 0/50/100 (two 1 s pauses), done
#   server timeline: stampede's own (GET /api/v1/status: fw_dhcp, fw_tftp,
#   ipxe_dhcp, script, kernel, initrd, checkin, progress, done); for
#   dnsmasq + nginx the same events from dnsmasq's log (DHCPACK, "sent
#   <file>"; timestamped by the poller) and nginx's access log ($msec minus
#   $request_time: when the request arrived, as stampede stamps it).
#   storm: every VM's power-on -> done, all done (first power-on to last
#   done), p50 (nearest rank) and max.
#
# Placement (2 cores): every qemu under taskset -c $VM_CPUS (CPU 0),
# servers on CPU 1: stampede's polling worker lcore 1 (it spins the whole
# core; its control thread on lcore 0 sleeps when idle), dnsmasq and nginx
# under taskset -c $SRV_CPUS. So the guests get the same single core in
# every setup. qemu runs under TCG here (docs/design.md, "End-to-end
# boots"): guest CPU time is most of a boot, and figures move with the
# machine's load: the load average is printed with the results.
# nginx-light is installed from Debian when no nginx is found.
set -euo pipefail
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/../integration/lib.sh"
# shellcheck source=tests/integration/lib_tftp.sh
. "$(dirname "$0")/../integration/lib_tftp.sh"
# shellcheck source=tests/integration/lib_vm.sh
. "$(dirname "$0")/../integration/lib_vm.sh"
# shellcheck source=tests/integration/lib_e2e.sh
. "$(dirname "$0")/../integration/lib_e2e.sh"

SERVERS=${SERVERS-"stampede dnsmasq"}
MODES=${MODES-"before after"}
FIRMWARE=${FIRMWARE-"bios uefi"}
STORM=${STORM-4}
VM_CPUS=${VM_CPUS-0}
SRV_CPUS=${SRV_CPUS-1}
LIMIT_BIOS=${LIMIT_BIOS:-240}
LIMIT_UEFI=${LIMIT_UEFI:-360}
LIMIT_STORM=${LIMIT_STORM:-600}
SRV=10.77.0.1
PY=/usr/bin/python3
[[ -x "$PY" ]] || PY=python3
RESULTS="$STP_WORK/results.txt"
BOOTS="$STP_WORK/boots.txt"     # one line of k=v per boot
: >"$RESULTS"
: >"$BOOTS"
T_START=$SECONDS

for t in taskset curl qemu-system-x86_64 dnsmasq; do
	command -v "$t" >/dev/null || { say "bench_boot: $t missing (tools/setup.sh)"; exit 1; }
done
if [[ " $SERVERS " == *" dnsmasq "* ]] && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
	# policy-rc.d (exit 101) keeps the package from starting its service
	# on the host; without it, install nothing
	if [[ -x /usr/sbin/policy-rc.d ]]; then
		say "bench_boot: installing nginx-light (its service stays off: policy-rc.d)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			nginx-light >"$STP_WORK/apt.log" 2>&1 || say "bench_boot: apt-get failed: $(tail -n 2 "$STP_WORK/apt.log")"
	else
		say "bench_boot: nginx missing and no policy-rc.d to keep its service off"
	fi
fi

# The KVM probe starts a qemu of its own: once, before any clock runs
# (lib_vm.sh keeps the answer in VM_ACCEL).
vm_accel >/dev/null

# ------------------------------------------------------------- the lab

lab_up
lab_add_client probe
nsx probe ip addr add 10.77.0.9/24 dev eth0
img="$STP_ROOT/build/imaging-os"
"$STP_ROOT/tools/imaging-os/build.sh" "$img" >"$STP_WORK/imaging-os.log" 2>&1 ||
	{ say "bench_boot: imaging-OS build failed: $(tail -n 3 "$STP_WORK/imaging-os.log")"; exit 1; }
# stampede's boot root: the real firmware files and the stand-in (the chain
# script and per-host scripts are rendered by control)
root=$(stp_boot_root)
rm -f "$root/boot.ipxe"
vm_boot_files "$root"
cp "$img/bzImage" "$img/init.xz" "$root/"
bg_start "$STP_WORK/stamp.log" "$PY" -u "$STP_ROOT/tests/tools/boot_stamp_growth.py" "$STP_WORK/stamp.idx" \
	"$STP_WORK/vm.*.serial" "$STP_WORK/dnsmasq.log"

# vm_go NAME MAC FW — vm_start pinned to VM_CPUS; T0[NAME] = its power-on.
declare -A T0=() VMPID=()
vm_go() {
	VM_PIN=$VM_CPUS vm_start "$1" "$2" "$3"
	T0[$1]=$VM_T0
	VMPID[$1]=$VM_PID
}

# vm_done NAME — has the VM's stand-in said "job N done"?
vm_done() { grep -aqE 'STAMPEDE-IMAGING-OS: job [^ ]+ done' "$STP_WORK/vm.$1.serial"; }

# vm_end NAMES... — give each VM a few seconds to power itself off, then
# stop it; drop its tap.
vm_end() {
	local n
	for n in "$@"; do
		wait_for 10 bash -c "! kill -0 ${VMPID[$n]} 2>/dev/null" || true
		bg_stop "${VMPID[$n]}" KILL
		ip -n "$STP_LAN" link del "t-$n" 2>/dev/null || true
	done
}

# wait_all LIMIT NAMES... — until every VM is done (or LIMIT seconds).
wait_all() {
	local limit=$1 end n left
	shift
	end=$((SECONDS + limit))
	while ((SECONDS < end)); do
		left=0
		for n in "$@"; do vm_done "$n" || left=1; done
		((left)) || return 0
		sleep 0.2
	done
	return 1
}

# record SETUP KIND FW NAME MAC JOB — one line of k=v into $BOOTS: the
# console marks and the server timeline of that boot.
record() {
	local setup=$1 kind=$2 fw=$3 name=$4 mac=$5 job=$6 t0 marks srv
	t0=${T0[$name]}
	sleep 0.3   # one more poll of the console by the stamper
	marks=$("$PY" "$STP_ROOT/tests/tools/boot_console_marks.py" "$STP_WORK/stamp.idx" \
		"$STP_WORK/vm.$name.serial" "$t0")
	case $setup in
	stampede*)
		srv=$("$PY" "$STP_ROOT/tests/tools/boot_stampede_stages.py" "$STP_WORK/status.$setup.json" \
			"$t0" "$mac") ;;
	dnsmasq)
		srv="$("$PY" "$STP_ROOT/tests/tools/boot_dnsmasq_stages.py" "$STP_WORK/stamp.idx" \
			"$STP_WORK/dnsmasq.log" "$t0" "$mac") $("$PY" "$STP_ROOT/tests/tools/boot_nginx_stages.py" \
			"$STP_WORK/nginx/access.log" "$t0" "$mac" "$job")" ;;
	esac
	echo "setup=$setup kind=$kind fw=$fw vm=$name mac=$mac job=$job t0=$t0 $marks | $srv" >>"$BOOTS"
	if vm_done "$name"; then
		note "$setup $fw $name: done $(kv "$marks" "done") s after power-on"
	else
		note "$setup $fw $name: NOT done; console tail: $(vm_serial "$name" | tail -n 4 | tr '\n' '|')"
	fi
}

# ------------------------------------------------------------- stampede

# stampede_up MODE — the e2e lab config with both savings on (after) or
# off (before), its own database, the admin API; image debian12.
stampede_up() {
	local mode=$1 cfg="$STP_WORK/stampede.$1.yaml" on=true
	[[ "$mode" == after ]] || on=false
	CFG_LCORES=0-1 CFG_DB="$STP_WORK/db/$mode.sqlite" CFG_EXTRA="" TFTP_MEMORY_MB=512 \
		tftp_config "$cfg"
	sed -i "s|^  database: \(.*\)$|  database: \1\n  token: \"$E2E_TOKEN\"\n  api_listen: 127.0.0.1:8080|" "$cfg"
	sed -i "s|^  script: boot.ipxe$|  script: boot.ipxe\n  no_pxedhcp: $on\n  ipv6_ra: $on|" "$cfg"
	stp_start "$cfg" || return 1
	ctl image add debian12 --kernel bzImage --initrd init.xz --args "console=ttyS0" >/dev/null
}

# script_ready MAC — the per-host script (from the probe) boots the job.
script_ready() {
	nsx probe curl -s -m 2 "http://$SRV/boot/$1.ipxe" 2>/dev/null | grep -q 'stampede.job='
}

# stampede_status SETUP — the admin API's status JSON and stampedectl's table.
stampede_status() {
	nsx srv curl -s -m 10 http://127.0.0.1:8080/api/v1/status >"$STP_WORK/status.$1.json" || true
	ctl status >"$STP_WORK/status.$1.txt" 2>&1 || true
}

# stampede_single MODE FW — one host, one deploy job, one VM to done.
stampede_single() {
	local mode=$1 fw=$2 mac name job limit=$LIMIT_BIOS
	[[ "$fw" == bios ]] || limit=$LIMIT_UEFI
	mac=$(printf '52:54:00:b0:%02x:%02x' "$([[ $mode == before ]] && echo 1 || echo 2)" \
		"$([[ $fw == bios ]] && echo 1 || echo 2)")
	name="s${mode:0:1}-$fw"
	ctl host add "$mac" --name "$name" --image debian12 >/dev/null
	job=$(ctl job deploy --host "$mac" --image debian12 | sed -n 's/^job \([0-9]*\):.*/\1/p')
	wait_for 10 script_ready "$mac" || say "bench_boot: $mac: no job script after 10 s"
	nsx probe curl -s -m 2 "http://$SRV/boot/$mac.ipxe" >"$STP_WORK/script.$name.ipxe" || true
	say "bench_boot: stampede $mode: $fw VM, job $job"
	vm_go "$name" "$mac" "$fw"
	wait_all "$limit" "$name" || true
	vm_end "$name"
	stampede_status "stampede-$mode"
	record "stampede-$mode" single "$fw" "$name" "$mac" "$job"
}

# stampede_storm — STORM BIOS hosts in one group, one group deploy job.
stampede_storm() {
	local i mac names=() macs=()
	ctl group add storm >/dev/null
	for ((i = 1; i <= STORM; i++)); do
		mac=$(printf '52:54:00:b0:03:%02x' "$i")
		ctl host add "$mac" --name "storm-$i" --group storm --image debian12 >/dev/null
		macs+=("$mac")
		names+=("sa-storm$i")
	done
	ctl job deploy --group storm --image debian12 >/dev/null
	for mac in "${macs[@]}"; do
		wait_for 10 script_ready "$mac" || say "bench_boot: $mac: no job script after 10 s"
	done
	say "bench_boot: stampede after: storm of $STORM BIOS VMs"
	for ((i = 0; i < STORM; i++)); do vm_go "${names[i]}" "${macs[i]}" bios; done
	wait_all "$LIMIT_STORM" "${names[@]}" || true
	vm_end "${names[@]}"
	stampede_status stampede-after
	for ((i = 0; i < STORM; i++)); do
		record stampede-after storm bios "${names[i]}" "${macs[i]}" \
			"$(ctl job list | awk -v m="${macs[i]}" '$3 == m { j = $1 } END { print j }')"
	done
}

run_stampede() {
	local mode fw
	for mode in $MODES; do
		stampede_up "$mode" || { say "bench_boot: stampede ($mode) did not start"; continue; }
		for fw in $FIRMWARE; do stampede_single "$mode" "$fw"; done
		if ((STORM > 0)) && [[ "$mode" == after ]]; then stampede_storm; fi
		stp_stop
	done
}

# ------------------------------------------------------------- dnsmasq + nginx

NGINX_PID=""
DNSMASQ_PID=""
DROOT="$STP_WORK/droot"

# droot_script MAC JOB — the chain script's target for MAC: what stampede
# renders for a deploy job (control/menu.c), as a static file.
droot_script() {
	mkdir -p "$DROOT/boot"
	cat >"$DROOT/boot/$1.ipxe" <<EOF
#!ipxe
echo stampede: deploy job $2 for $1
kernel http://$SRV/bzImage initrd=init.xz stampede.job=$2 stampede.type=deploy stampede.image=debian12 stampede.server=http://$SRV stampede.mac=$1 console=ttyS0
initrd http://$SRV/init.xz
boot
EOF
}

dnsmasq_up() {
	local d="$STP_WORK/nginx" bin
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	[[ -x "$bin" ]] || { say "bench_boot: no nginx"; return 1; }
	mkdir -p "$DROOT" "$d"
	cp "$root/undionly.kpxe" "$root/ipxe.efi" "$root/bzImage" "$root/init.xz" "$DROOT/"
	# shellcheck disable=SC2016  # ${net0/mac} is for iPXE to expand
	printf '#!ipxe\nchain http://%s/boot/${net0/mac}.ipxe || chain http://%s/boot/default.ipxe\n' \
		"$SRV" "$SRV" >"$DROOT/boot.ipxe"
	chmod -R a+rX "$DROOT"
	cat >"$d/nginx.conf" <<EOF
# written by tests/bench/bench_boot.sh for run $STP_P
user root;
worker_processes 1;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 1024; }
http {
	log_format boot '\$msec \$request_time \$remote_addr \$request_method \$request_uri \$status \$body_bytes_sent';
	access_log $d/access.log boot;
	client_body_temp_path $d/body;
	proxy_temp_path $d/proxy;
	fastcgi_temp_path $d/fastcgi;
	uwsgi_temp_path $d/uwsgi;
	scgi_temp_path $d/scgi;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 60s;
	types { text/plain ipxe; }
	default_type application/octet-stream;
	server {
		listen $SRV:80;
		root $DROOT;
		# the imaging-OS stand-in's job API: check-in, progress, done
		location /api/ {
			default_type application/json;
			return 200 '{"status": "ok"}\n';
		}
	}
}
EOF
	ip -n "$STP_SRV" addr add "$SRV/24" dev stp0
	local pin=()
	[[ -z "$SRV_CPUS" ]] || pin=(taskset -c "$SRV_CPUS")
	bg_start "$d/nginx.out" ip netns exec "$STP_SRV" "${pin[@]}" "$bin" -c "$d/nginx.conf"
	NGINX_PID=$BG_PID
	bg_start "$STP_WORK/dnsmasq.log" ip netns exec "$STP_SRV" "${pin[@]}" dnsmasq -k \
		--conf-file=/dev/null --port=0 --no-resolv --no-hosts -u root \
		--interface=stp0 --bind-interfaces --no-ping --log-dhcp --log-facility=- \
		--dhcp-leasefile="$STP_WORK/dnsmasq.leases" --dhcp-authoritative \
		--dhcp-range=10.77.0.100,10.77.0.250,255.255.255.0,10m \
		--dhcp-option=3,10.77.0.254 --dhcp-option=6,10.77.0.53,10.77.0.54 \
		--dhcp-userclass=set:ipxe,iPXE \
		--dhcp-match=set:efi64,option:client-arch,7 \
		--dhcp-match=set:efi64,option:client-arch,9 \
		--dhcp-boot=tag:ipxe,http://$SRV/boot.ipxe \
		--dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi \
		--dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe \
		--enable-tftp --tftp-root="$DROOT"
	DNSMASQ_PID=$BG_PID
	wait_for 10 nginx_answers ||
		{ say "bench_boot: nginx does not answer: $(tail -n 3 "$d/error.log" "$d/nginx.out" 2>/dev/null)"; return 1; }
	kill -0 "$DNSMASQ_PID" 2>/dev/null ||
		{ say "bench_boot: dnsmasq exited: $(tail -n 3 "$STP_WORK/dnsmasq.log")"; return 1; }
}

nginx_answers() {
	[[ "$(nsx probe curl -s -m 1 -o /dev/null -w '%{http_code}' "http://$SRV/boot.ipxe")" == 200 ]]
}

dnsmasq_down() {
	[[ -z "$DNSMASQ_PID" ]] || bg_stop "$DNSMASQ_PID" TERM
	[[ -z "$NGINX_PID" ]] || bg_stop "$NGINX_PID" QUIT
	DNSMASQ_PID="" NGINX_PID=""
	ip -n "$STP_SRV" addr del "$SRV/24" dev stp0 2>/dev/null || true
}

run_dnsmasq() {
	local fw mac name job=100 i names=() macs=() jobs=() limit
	dnsmasq_up || { dnsmasq_down; return 0; }
	for fw in $FIRMWARE; do
		job=$((job + 1))
		mac=$(printf '52:54:00:b0:11:%02x' "$([[ $fw == bios ]] && echo 1 || echo 2)")
		name="d-$fw"
		limit=$LIMIT_BIOS
		[[ "$fw" == bios ]] || limit=$LIMIT_UEFI
		droot_script "$mac" "$job"
		say "bench_boot: dnsmasq + nginx: $fw VM"
		vm_go "$name" "$mac" "$fw"
		wait_all "$limit" "$name" || true
		vm_end "$name"
		record dnsmasq single "$fw" "$name" "$mac" "$job"
	done
	if ((STORM > 0)); then
		for ((i = 1; i <= STORM; i++)); do
			job=$((job + 1))
			macs+=("$(printf '52:54:00:b0:13:%02x' "$i")")
			names+=("d-storm$i")
			jobs+=("$job")
			droot_script "${macs[i - 1]}" "$job"
		done
		say "bench_boot: dnsmasq + nginx: storm of $STORM BIOS VMs"
		for ((i = 0; i < STORM; i++)); do vm_go "${names[i]}" "${macs[i]}" bios; done
		wait_all "$LIMIT_STORM" "${names[@]}" || true
		vm_end "${names[@]}"
		for ((i = 0; i < STORM; i++)); do
			record dnsmasq storm bios "${names[i]}" "${macs[i]}" "${jobs[i]}"
		done
	fi
	dnsmasq_down
}

# ------------------------------------------------------------- run

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
others=$(pgrep -c qemu-system || true)
say "bench_boot: servers: $SERVERS; stampede modes: $MODES; firmware: ${FIRMWARE:-none}; storm: $STORM; accel $VM_ACCEL"
say "bench_boot: load average $LOAD0; qemu processes already running: ${others:-0}"
for s in $SERVERS; do
	case $s in
	stampede) run_stampede ;;
	dnsmasq) run_dnsmasq ;;
	*) say "bench_boot: unknown server $s" ;;
	esac
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------- tables

# f LINE KEY — a field of a boots.txt line.
f() { kv "$1" "$2"; }

# d A B — B - A of two mark values (seconds), "-" if either is missing.
d() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "") print "-"; else printf "%.1f", b - a }'; }

{
	printf '\nBoot time, power-on -> "done" (s), qemu %s on CPU %s, servers on CPU %s\n' \
		"$VM_ACCEL" "${VM_CPUS:-any}" "${SRV_CPUS:-any}"
	printf 'load average before %s, after %s; other qemu processes at start: %s\n' \
		"$LOAD0" "$LOAD1" "${others:-0}"
	printf '%-15s %-5s %-10s %6s | %8s %6s %9s %6s %8s %6s %6s %6s %6s %7s %5s\n' setup fw vm total \
		firmware fw-pxe ipxe-init prompt ipxe-net script kernel initrd linux os-dhcp api
	while IFS= read -r l; do
		fwend=$(f "$l" edk2_pxe)
		[[ "$fwend" != - ]] || fwend=$(f "$l" ipxe)
		printf '%-15s %-5s %-10s %6s | %8s %6s %9s %6s %8s %6s %6s %6s %6s %7s %5s\n' \
			"$(f "$l" setup)" "$(f "$l" fw)" "$(f "$l" vm)" "$(d 0 "$(f "$l" "done")")" \
			"$(d 0 "$fwend")" "$(d "$(f "$l" edk2_pxe)" "$(f "$l" ipxe)")" \
			"$(d "$(f "$l" ipxe)" "$(f "$l" ipxe_prompt)")" \
			"$(d "$(f "$l" ipxe_prompt)" "$(f "$l" ipxe_open)")" "$(d "$(f "$l" ipxe_open)" "$(f "$l" net_ok)")" \
			"$(d "$(f "$l" net_ok)" "$(f "$l" kernel)")" "$(d "$(f "$l" kernel)" "$(f "$l" initrd)")" \
			"$(d "$(f "$l" initrd)" "$(f "$l" initrd_ok)")" "$(d "$(f "$l" initrd_ok)" "$(f "$l" os_start)")" \
			"$(d "$(f "$l" os_start)" "$(f "$l" os_up)")" "$(d "$(f "$l" os_up)" "$(f "$l" "done")")"
	done <"$BOOTS"
	printf '\nServer timeline (s after power-on): stampede from its /api/v1/status, dnsmasq + nginx from their logs\n'
	printf '%-15s %-5s %-10s %7s %7s %9s %6s %6s %6s %7s %8s %6s\n' setup fw vm \
		fw_dhcp fw_tftp ipxe_dhcp script kernel initrd checkin progress "done"
	while IFS= read -r l; do
		s=${l#*| }
		printf '%-15s %-5s %-10s %7s %7s %9s %6s %6s %6s %7s %8s %6s\n' \
			"$(f "$l" setup)" "$(f "$l" fw)" "$(f "$l" vm)" \
			"$(f "$s" fw_dhcp)" "$(f "$s" fw_tftp)" "$(f "$s" ipxe_dhcp)" "$(f "$s" script)" \
			"$(f "$s" kernel)" "$(f "$s" initrd)" "$(f "$s" checkin)" "$(f "$s" progress)" \
			"$(f "$s" "done")"
	done <"$BOOTS"
	if grep -q 'kind=storm' "$BOOTS"; then
		printf '\nStorm of %s BIOS VMs (one group deploy job), power-on -> done (s)\n' "$STORM"
		printf '%-16s %9s %6s %6s %s\n' setup all-done p50 max per-VM
		for s in stampede-after dnsmasq; do
			grep -q "setup=$s kind=storm" "$BOOTS" || continue
			grep "setup=$s kind=storm" "$BOOTS" | awk '
				{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
				  n++; t0[n] = v["t0"]; dn[n] = v["done"] }
				END {
					first = 1e18; last = 0; ok = 0; list = ""
					for (i = 1; i <= n; i++) {
						if (t0[i] < first) first = t0[i]
						list = list (dn[i] == "-" ? " -" : sprintf(" %.1f", dn[i]))
						if (dn[i] != "-") { ok++; x[ok] = dn[i] + 0; e = t0[i] + dn[i]; if (e > last) last = e }
					}
					for (i = 1; i <= ok; i++) for (j = i + 1; j <= ok; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
					r = int((50 * ok + 99) / 100); if (r < 1) r = 1
					if (ok < n) all = sprintf("- (%d of %d)", ok, n); else all = sprintf("%.1f", last - first)
					printf "%-16s %9s %6s %6s%s\n", s, all, ok ? sprintf("%.1f", x[r]) : "-", ok ? sprintf("%.1f", x[ok]) : "-", list
				}' s="$s"
		done
	fi
	printf '\nwhole run %d s\n' "$((SECONDS - T_START))"
} | tee -a "$RESULTS"
say "bench_boot: results in $RESULTS; per boot in $BOOTS; consoles vm.*.serial, stampede status.*.{json,txt}, nginx/access.log, dnsmasq.log"
STP_KEEP=1
