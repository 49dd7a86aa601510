# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# lib.sh — helpers sourced by tests/integration/test_*.sh and tests/bench/.
#
# The lab (docs/design.md, "Lab and test topology"):
#
#   ns <P>-srv          ns <P>-lan                      ns <P>-<client>
#   stp0 (no IP) ====== s-stp0 --+                       eth0 (MAC chosen here)
#     stampede/DPDK               +-- br0 -- c-<client> ====/
#     af_packet, owns 10.77.0.1  (tx offload off on s-stp0)
#
# Every namespace, process and file a test makes carries the run's unique
# prefix <P> and is removed by the EXIT trap. Processes are only ever ended
# by the PID this library recorded when it started them. Nothing here sends
# a packet to any address outside the namespaces it created.
#
# Environment knobs:
#   STP_BIN            the server binary (default build/dataplane/stampede)
#   STP_READY_TIMEOUT  seconds to wait for "stampede: ready" (default 30)
#   STP_KEEP=1         keep the work directory even when every check passed
#   STP_VERBOSE=1      trace lab commands
#   STP_DEFAULTS=1     configs leave eal.no_huge and port.driver at their
#                      defaults (hugepages, auto: AF_XDP here), as a user's
#                      would; memory_mb 512 as tools/lab.sh sets it

STP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STP_BIN=${STP_BIN:-$STP_ROOT/build/dataplane/stampede}
STP_READY_TIMEOUT=${STP_READY_TIMEOUT:-30}
STP_P="stp$$"                        # unique prefix of this run
STP_WORK=$(mktemp -d "/tmp/stampede-it.$$.XXXXXX")
STP_SRV="$STP_P-srv"
STP_LAN="$STP_P-lan"
STP_ADDR=10.77.0.1                   # the dataplane's address
STP_PID=""                           # the running server, if any
STP_LOG=""                           # its stderr+stdout
STP_NPASS=0
STP_NFAIL=0
_STP_NS=()                           # namespaces made, in creation order
_STP_PIDS=()                         # processes started and not yet reaped
_STP_PREFIXES=()                     # DPDK file prefixes our configs used
_STP_NCLIENT=0
_STP_NSTART=0
declare -A STP_MAC=()                # client name -> MAC

# ---------------------------------------------------------------- output

say() { printf '%s\n' "$*" >&2; }
note() { printf '  .. %s\n' "$*" >&2; }

# pass NAME — record a passed check.
pass() {
	STP_NPASS=$((STP_NPASS + 1))
	printf 'PASS %s\n' "$1"
}

# fail NAME WHY — record a failed check; never aborts the test file.
fail() {
	STP_NFAIL=$((STP_NFAIL + 1))
	printf 'FAIL %s: %s\n' "$1" "$2"
}

# assert_eq NAME EXPECTED ACTUAL
assert_eq() {
	if [[ "$2" == "$3" ]]; then pass "$1"; else
		fail "$1" "expected '$2', got '$3'"; fi
}

# assert_ne NAME UNEXPECTED ACTUAL
assert_ne() {
	if [[ "$2" != "$3" ]]; then pass "$1"; else
		fail "$1" "got '$3', which it must not be"; fi
}

# assert_contains NAME HAYSTACK NEEDLE
assert_contains() {
	if [[ "$2" == *"$3"* ]]; then pass "$1"; else
		fail "$1" "'$3' not found in: $(printf '%s' "$2" | head -c 600 | tr '\n' '|')"; fi
}

# assert_not_contains NAME HAYSTACK NEEDLE
assert_not_contains() {
	if [[ "$2" != *"$3"* ]]; then pass "$1"; else
		fail "$1" "'$3' found in: $(printf '%s' "$2" | head -c 600 | tr '\n' '|')"; fi
}

# assert_match NAME STRING ERE
assert_match() {
	if [[ "$2" =~ $3 ]]; then pass "$1"; else
		fail "$1" "'$2' does not match /$3/"; fi
}

# assert_ip_in NAME IP FIRST LAST — IP inside the inclusive range.
assert_ip_in() {
	local v f l
	if [[ ! "$2" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
		fail "$1" "'$2' is not an IPv4 address"; return 0
	fi
	v=$(ip2int "$2"); f=$(ip2int "$3"); l=$(ip2int "$4")
	if ((v >= f && v <= l)); then pass "$1"; else
		fail "$1" "$2 is outside $3-$4"; fi
}

ip2int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# stp_finish — print this file's tally and exit 0 only if nothing failed and
# something was checked.
stp_finish() {
	printf '%s: %d passed, %d failed\n' "$(basename "$0")" "$STP_NPASS" "$STP_NFAIL"
	if ((STP_NFAIL > 0 || STP_NPASS == 0)); then exit 1; fi
	exit 0
}

# ---------------------------------------------------------------- cleanup

# _stp_reap PID — end a process this library started: TERM, then KILL.
_stp_reap() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 30; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	{ wait "$pid"; } 2>/dev/null || true
}

_stp_forget_pid() {
	local keep=() p
	for p in "${_STP_PIDS[@]}"; do [[ "$p" == "$1" ]] || keep+=("$p"); done
	_STP_PIDS=("${keep[@]}")
}

stp_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#_STP_PIDS[@]} - 1; i >= 0; i--)); do _stp_reap "${_STP_PIDS[i]}"; done
	_STP_PIDS=()
	for ((i = ${#_STP_NS[@]} - 1; i >= 0; i--)); do
		ip netns del "${_STP_NS[i]}" 2>/dev/null
	done
	_STP_NS=()
	# DPDK leaves its runtime directory behind even after a clean exit
	for i in "${_STP_PREFIXES[@]}"; do
		[[ -z "$i" || "$i" == */* ]] || rm -rf -- "/var/run/dpdk/$i" /dev/hugepages/"$i"map_*
	done
	if ((rc != 0 || STP_NFAIL > 0)) || [[ -n "${STP_KEEP:-}" ]]; then
		say "logs kept in $STP_WORK"
	else
		rm -rf "$STP_WORK"
	fi
	exit "$rc"
}
trap stp_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[[ -z "${STP_VERBOSE:-}" ]] || set -x
# shellcheck source=tests/integration/lib_defaults.sh
[[ -z "${STP_DEFAULTS:-}" ]] || . "$(dirname "${BASH_SOURCE[0]}")/lib_defaults.sh"

# bg_start LOG CMD... — start CMD in the background, output to LOG; the PID
# is left in BG_PID and recorded for cleanup.
BG_PID=""
bg_start() {
	local log=$1
	shift
	: >"$log"   # exists before anyone polls it
	"$@" >"$log" 2>&1 &
	BG_PID=$!
	_STP_PIDS+=("$BG_PID")
}

# bg_stop PID [SIGNAL [SECONDS]] — signal (default TERM) a process we
# started, wait for it (up to SECONDS, default 5, then KILL) and set BG_RC
# to its exit status.
BG_RC=0
bg_stop() {
	local pid=$1 sig=${2:-TERM} secs=${3:-5} i
	kill "-$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	BG_RC=0
	{ wait "$pid"; } 2>/dev/null || BG_RC=$?
	_stp_forget_pid "$pid"
} 2>/dev/null   # no "Killed" job notice from bash

# wait_for SECONDS CMD... — poll CMD every 0.1 s until it succeeds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

# ---------------------------------------------------------------- the lab

# nsx NAME CMD... — run CMD in the lab namespace NAME (srv, lan, a client).
nsx() {
	local ns="$STP_P-$1"
	shift
	ip netns exec "$ns" "$@"
}

_stp_ns_add() {
	ip netns add "$1"
	_STP_NS+=("$1")
	ip -n "$1" link set lo up
	# Quiet lab: no IPv6 chatter (RS, MLD, DAD) on the wire unless a test asks.
	ip netns exec "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# lab_up — srv and lan namespaces, bridge br0, stp0 (no IP) on the bridge.
lab_up() {
	_stp_ns_add "$STP_LAN"
	_stp_ns_add "$STP_SRV"
	ip -n "$STP_LAN" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$STP_LAN" link set br0 up
	ip -n "$STP_LAN" link add s-stp0 type veth peer name stp0 netns "$STP_SRV"
	ip -n "$STP_LAN" link set s-stp0 master br0
	ip -n "$STP_LAN" link set s-stp0 up
	# The kernel hands segments with partial checksums to af_packet
	# unless the bridge end of the server's veth computes them.
	nsx lan ethtool -K s-stp0 tx off >/dev/null
	ip -n "$STP_SRV" link set stp0 address 02:77:00:00:00:01
	ip -n "$STP_SRV" link set stp0 up
	note "lab up: prefix $STP_P, work $STP_WORK"
}

# lab_add_bridge NAME — a further segment (bridge) in the lan namespace.
lab_add_bridge() {
	ip -n "$STP_LAN" link add "$1" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
	ip -n "$STP_LAN" link set "$1" up
}

# lab_add_client NAME [MAC] [BRIDGE] [IFNAME] — a client namespace <P>-NAME
# whose IFNAME (default eth0) sits on BRIDGE (default br0). The MAC is
# 02:77:00:00:01:NN with NN counting clients in the order they are added,
# unless given. NAME: at most 12 characters. Sets STP_MAC[NAME].
lab_add_client() {
	local name=$1 mac=${2:-} br=${3:-br0} ifn=${4:-eth0} ns="$STP_P-$1"
	((${#name} <= 12)) || { say "client name too long: $name"; return 1; }
	if [[ -z "$mac" ]]; then
		_STP_NCLIENT=$((_STP_NCLIENT + 1))
		mac=$(printf '02:77:00:00:01:%02x' "$_STP_NCLIENT")
	fi
	ip netns list | grep -qw "^$ns" || _stp_ns_add "$ns"
	ip -n "$STP_LAN" link add "c-$name" type veth peer name "$ifn" netns "$ns"
	ip -n "$STP_LAN" link set "c-$name" master "$br"
	ip -n "$STP_LAN" link set "c-$name" up
	ip -n "$ns" link set "$ifn" address "$mac"
	ip -n "$ns" link set "$ifn" up
	STP_MAC[$name]=$mac
}

# lab_add_port NAME BRIDGE IFNAME — one more interface for an existing
# namespace (a relay's second leg). Its bridge-side end is "p-NAME".
lab_add_port() {
	local ns="$STP_P-$1"
	ip -n "$STP_LAN" link add "p-$1" type veth peer name "$3" netns "$ns"
	ip -n "$STP_LAN" link set "p-$1" master "$2"
	ip -n "$STP_LAN" link set "p-$1" up
	ip -n "$ns" link set "$3" up
}

# ---------------------------------------------------------------- config

# stp_boot_root — a boot root with small stand-in boot files.
stp_boot_root() {
	local d="$STP_WORK/boot"
	if [[ ! -d "$d" ]]; then
		mkdir -p "$d"
		head -c 65536 /dev/urandom >"$d/undionly.kpxe"
		head -c 131072 /dev/urandom >"$d/ipxe.efi"
		printf '#!ipxe\necho stampede integration test\n' >"$d/boot.ipxe"
	fi
	echo "$d"
}

# stp_write_config FILE [MODE] — the lab config. MODE server (default),
# proxy or off. Overridable through variables:
#   CFG_ADDRESS (10.77.0.1/24) CFG_POOL (10.77.0.100-10.77.0.250)
#   CFG_ROUTER (10.77.0.254) CFG_DNS ("10.77.0.53, 10.77.0.54")
#   CFG_LEASE (600) CFG_DB (work/db/leases.sqlite) CFG_PREFIX (stpit-$$)
#   CFG_LCORES (unset: the machine's) CFG_EXTRA (YAML appended verbatim)
stp_write_config() {
	local file=$1 mode=${2:-server} root db prefix=${CFG_PREFIX:-stpit-$$}
	root=$(stp_boot_root)
	_STP_PREFIXES+=("$prefix")
	db=${CFG_DB:-$STP_WORK/db/leases.sqlite}
	mkdir -p "$(dirname "$db")"
	local huge="  no_huge: true" drv="  driver: af_packet"
	if [[ -n "${STP_DEFAULTS:-}" ]]; then   # what a user gets: lib_defaults.sh
		drv="" huge="  # no_huge, port.driver: the defaults (STP_DEFAULTS)"
		[[ "$STP_DEFAULTS" != nohuge ]] || huge="  no_huge: true  # no free hugepages"
		[[ -n "${TFTP_MEMORY_MB:-}" ]] || huge+=$'\n  memory_mb: 512'
	fi
	cat >"$file" <<EOF
# written by tests/integration/lib.sh for run $STP_P
eal:
$huge
  file_prefix: $prefix
${CFG_LCORES:+  lcores: "$CFG_LCORES"}
port:
  iface: stp0
$drv
  address: ${CFG_ADDRESS:-10.77.0.1/24}
dhcp:
  mode: $mode
  pool: ${CFG_POOL:-10.77.0.100-10.77.0.250}
  router: ${CFG_ROUTER:-10.77.0.254}
  dns: [${CFG_DNS:-10.77.0.53, 10.77.0.54}]
  lease_time: ${CFG_LEASE:-600}
  pools:
    - subnet: 10.78.0.0/24
      range: 10.78.0.100-10.78.0.150
      router: 10.78.0.1
      dns: [10.78.0.53]
hosts:
  - mac: "02:77:00:00:02:50"
    ip: 10.77.0.50
    name: reserved50
  - mac: "02:77:00:00:03:05"
    ip: 10.78.0.5
    name: rack-node05
boot:
  root: $root
  bios: undionly.kpxe
  uefi: ipxe.efi
  script: boot.ipxe
control:
  database: $db
${CFG_EXTRA:-}
EOF
}

# ---------------------------------------------------------------- server

# stp_start CONFIG — start the server in the srv namespace; wait for
# "stampede: ready". Returns 1 (after printing the log tail) if it exits or
# does not get ready in STP_READY_TIMEOUT seconds.
stp_start() {
	local cfg=$1 i
	if [[ ! -x "$STP_BIN" ]]; then
		say "server binary $STP_BIN not built (meson setup build && ninja -C build)"
		return 1
	fi
	_STP_NSTART=$((_STP_NSTART + 1))
	STP_LOG="$STP_WORK/stampede.$_STP_NSTART.log"
	bg_start "$STP_LOG" ip netns exec "$STP_SRV" "$STP_BIN" --config "$cfg"
	STP_PID=$BG_PID
	for ((i = 0; i < STP_READY_TIMEOUT * 10; i++)); do
		if grep -q 'stampede: ready' "$STP_LOG"; then
			note "server up (pid $STP_PID, log $STP_LOG)"
			! declare -F stp_on_ready >/dev/null || stp_on_ready
			return 0
		fi
		if ! kill -0 "$STP_PID" 2>/dev/null; then
			i=0; wait "$STP_PID" 2>/dev/null || i=$?
			_stp_forget_pid "$STP_PID"
			say "server exited (status $i) before ready; log tail:"
			tail -n 25 "$STP_LOG" | sed 's/^/    | /' >&2
			STP_PID=""
			return 1
		fi
		sleep 0.1
	done
	say "server not ready after ${STP_READY_TIMEOUT}s; log tail:"
	tail -n 25 "$STP_LOG" | sed 's/^/    | /' >&2
	return 1
}

# stp_stop — SIGTERM the server, wait; STP_RC gets its exit status.
STP_RC=0
stp_stop() {
	[[ -n "$STP_PID" ]] || return 0
	# the exit path writes the database and frees DPDK memory: on a
	# machine busy with VMs that can take more than 5 s, and a KILL
	# there would fail "stopped cleanly" for the wrong reason. Once the
	# server logged "state written", only memory and sockets are left
	# to release, which a KILL cannot speed up: give that 90 s more.
	kill -TERM "$STP_PID" 2>/dev/null || true
	wait_for 20 bash -c "! kill -0 $STP_PID 2>/dev/null" ||
		! grep -q 'stampede: state written' "$STP_LOG" ||
		wait_for 90 bash -c "! kill -0 $STP_PID 2>/dev/null" || true
	bg_stop "$STP_PID" TERM 1
	STP_RC=$BG_RC
	STP_PID=""
}

# stp_kill9 — SIGKILL the server, wait.
stp_kill9() {
	[[ -n "$STP_PID" ]] || return 0
	bg_stop "$STP_PID" KILL
	STP_PID=""
}

# stp_alive — is the server still running?
stp_alive() { [[ -n "$STP_PID" ]] && kill -0 "$STP_PID" 2>/dev/null; }

# stp_counters — SIGUSR1 the server; print what it logged in reply.
stp_counters() {
	local before
	stp_alive || return 1
	before=$(wc -c <"$STP_LOG")
	kill -USR1 "$STP_PID"
	# The dump ends with the control line; a loaded machine may take a while.
	wait_for 15 bash -c "tail -c +$((before + 1)) '$STP_LOG' | grep -q 'stampede: control:'" || true
	tail -c "+$((before + 1))" "$STP_LOG"
}

# ---------------------------------------------------------------- clients

# udhcpc_run CLIENT [ARGS...] — busybox udhcpc once in the foreground; its
# -s script writes the environment of every event to <work>/udhcpc.CLIENT.<event>.
udhcpc_run() {
	local c=$1 s="$STP_WORK/udhcpc.sh"
	shift
	if [[ ! -x "$s" ]]; then
		cat >"$s" <<'EOF'
#!/bin/sh
env | sort >"$STP_DUMP.$1"
exit 0
EOF
		chmod +x "$s"
	fi
	rm -f "$STP_WORK/udhcpc.$c".*
	STP_DUMP="$STP_WORK/udhcpc.$c" timeout 40 \
		ip netns exec "$STP_P-$c" busybox udhcpc -f -q -n -i eth0 \
		-t 6 -T 2 -A 1 -s "$s" "$@" >"$STP_WORK/udhcpc.$c.log" 2>&1
}

# udhcpc_get CLIENT EVENT VAR — a variable udhcpc gave its script.
udhcpc_get() {
	local f="$STP_WORK/udhcpc.$1.$2"
	[[ -f "$f" ]] || return 0
	sed -n "s/^$3=//p" "$f" | head -n 1
}

# dhc_script CLIENT — the client's dhclient -sf script (dhclient passes its
# script no environment of ours, so the output path is written into it):
# logs each event to <work>/dhc.CLIENT.events, keeps the env of the last
# event per reason, and configures/deconfigures the address itself so a
# client can renew and release by unicast.
dhc_script() {
	local s="$STP_WORK/dhclient-script.$1.sh"
	if [[ ! -x "$s" ]]; then
		{
			echo '#!/bin/sh'
			echo "out='$STP_WORK/dhc.$1'"
			cat <<'EOF'
echo "reason=$reason new_ip_address=${new_ip_address:-} old_ip_address=${old_ip_address:-}" >>"$out.events"
env | sort >"$out.env.$reason"
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
	if [ -n "${old_ip_address:-}" ] && [ "$old_ip_address" != "$new_ip_address" ]; then
		ip -4 addr flush dev "$interface"
	fi
	ip -4 addr replace "$new_ip_address/${new_subnet_mask:-255.255.255.0}" dev "$interface"
	;;
EXPIRE|FAIL|RELEASE|STOP)
	ip -4 addr flush dev "$interface"
	;;
esac
exit 0
EOF
		} >"$s"
		chmod +x "$s"
	fi
	echo "$s"
}

# dhc_conf CLIENT [LINES...] — write <work>/dhclient.CLIENT.conf: fast
# retries, asks for what the tests check, plus LINES (dhclient.conf syntax).
dhc_conf() {
	local c=$1 f="$STP_WORK/dhclient.$1.conf" l
	shift
	{
		echo 'option pxe-arch code 93 = unsigned integer 16;'
		echo 'timeout 20; retry 5; initial-interval 1; backoff-cutoff 2; select-timeout 0;'
		echo 'request subnet-mask, broadcast-address, routers, domain-name-servers,'
		echo '  dhcp-lease-time, dhcp-server-identifier, vendor-class-identifier,'
		echo '  tftp-server-name, bootfile-name;'
		for l in "$@"; do echo "$l"; done
	} >"$f"
	echo "$f"
}

# dhc_start CLIENT [CONF] [LEASEFILE] — dhclient in the foreground (-d), in
# the background; DHC_PID. Events go to <work>/dhc.CLIENT.events, the lease
# file (default <work>/dhc.CLIENT.leases) is kept for later runs.
DHC_PID=""
dhc_start() {
	local c=$1 conf=${2:-} lf=${3:-$STP_WORK/dhc.$1.leases} s
	s=$(dhc_script "$c")
	[[ -n "$conf" ]] || conf=$(dhc_conf "$c")
	bg_start "$STP_WORK/dhc.$c.log.$RANDOM" \
		ip netns exec "$STP_P-$c" dhclient -4 -d -1 -v -cf "$conf" -lf "$lf" \
		-pf "$STP_WORK/dhc.$c.pid.$RANDOM" -sf "$s" eth0
	DHC_PID=$BG_PID
}

# dhc_wait_bound CLIENT SECONDS [COUNT] — wait until the script saw COUNT
# (default 1) events among BOUND/REBOOT/RENEW/REBIND.
_dhc_n() {
	[[ -f "$1" ]] && (($(grep -cE '^reason=(BOUND|REBOOT|RENEW|REBIND) ' "$1") >= $2))
}
dhc_wait_bound() {
	wait_for "$2" _dhc_n "$STP_WORK/dhc.$1.events" "${3:-1}"
}

# dhc_lease CLIENT — dhclient once: start, wait for a lease (25 s), stop.
# Returns 1 if no lease came.
dhc_lease() {
	local c=$1 conf=${2:-} lf=${3:-} rc=0
	rm -f "$STP_WORK/dhc.$c.events"
	dhc_start "$c" "$conf" "$lf"
	dhc_wait_bound "$c" 25 || rc=1
	bg_stop "$DHC_PID" TERM
	return "$rc"
}

# dhc_release CLIENT [LEASEFILE] — dhclient -r: RELEASE the lease by unicast
# to the server. The server's MAC is resolved first: dhclient's script
# flushes the address right after sending, and the kernel drops a packet
# still waiting for ARP when a device loses its last IPv4 address. Output in
# <work>/dhc.CLIENT.release.log; returns dhclient's status.
dhc_release() {
	local c=$1 lf=${2:-$STP_WORK/dhc.$1.leases}
	nsx "$c" ping -c 1 -W 2 10.77.0.1 >/dev/null 2>&1 || true
	ip netns exec "$STP_P-$c" dhclient -4 -r -v -cf "$(dhc_conf "$c")" -lf "$lf" \
		-pf "$STP_WORK/dhc.$c.rel.pid" -sf "$(dhc_script "$c")" eth0 \
		>"$STP_WORK/dhc.$c.release.log" 2>&1
}

# dhc_last_event CLIENT — the last event line of the client's script.
dhc_last_event() { tail -n 1 "$STP_WORK/dhc.$1.events" 2>/dev/null || true; }

# lease_field FILE KEY — value of KEY ("fixed-address", "filename",
# "option routers", ...) in the last lease{} of a dhclient lease file,
# quotes and the trailing ';' removed.
lease_field() {
	[[ -f "$1" ]] || return 0
	awk -v key="$2" '
		/^lease \{/ { delete v; inb = 1; next }
		/^\}/ { inb = 0; next }
		inb {
			line = $0; sub(/^[ \t]+/, "", line); sub(/;[ \t]*$/, "", line)
			if (index(line, key " ") == 1) {
				val = substr(line, length(key) + 2); gsub(/"/, "", val); v[key] = val
			}
		}
		END { if (key in v) print v[key] }' "$1"
}

# ---------------------------------------------------------------- captures

# cap_start NS IFACE FILE — tcpdump DHCP (67/68/4011) into FILE; CAP_PID.
CAP_PID=""
cap_start() {
	local log="$3.log"
	bg_start "$log" ip netns exec "$STP_P-$1" tcpdump -n -U --immediate-mode -s 0 -i "$2" -w "$3" \
		'udp and (port 67 or port 68 or port 4011)'
	CAP_PID=$BG_PID
	wait_for 10 grep -q 'listening on' "$log" || { say "tcpdump did not start: $(cat "$log")"; return 1; }
}

# cap_stop — stop the capture started last (SIGINT flushes the file).
cap_stop() {
	sleep 0.5
	bg_stop "$CAP_PID" INT
}

# dhcp_decode PCAP — one line per DHCP/BOOTP packet in PCAP:
#   src= sport= dst= dport= op= type= xid= chaddr= ciaddr= yiaddr= siaddr=
#   giaddr= flags= sname= file= o<code>=<hex> ... o60s=<text> o66s= o67s=
dhcp_decode() { python3 "$STP_ROOT/tests/tools/dhcp_decode.py" "$1"; }

# dhcp_pick PCAP FILTER... — decoded lines containing every FILTER word
# (e.g. " type=2 " "src=10.77.0.1 "), first match only.
dhcp_pick() {
	local lines f
	lines=$(dhcp_decode "$1")
	shift
	for f in "$@"; do lines=$(grep -aF -- "$f" <<<"$lines" || true); done
	head -n 1 <<<"$lines"
}

# Field of a decoded line: dfield LINE KEY
dfield() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p" | head -n 1; }
