# shellcheck shell=bash
# shellcheck disable=SC2034  # variables for the scripts that source this
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_storm.sh — stampede-storm against a boot server, sourced after lib.sh.
#
#   storm_root DIR          boot files: undionly.kpxe, ipxe.efi, bzImage,
#                           init.xz of STORM_KB_* sizes (small by default,
#                           so a 1,000-client chain runs in a CI minute)
#   storm_memif_config FILE SOCKET [API_PORT]
#                           a server config on a memif port (role server)
#                           with a /16 pool, the admin API and a token
#   storm_ctl ARGS...       stampedectl against that admin API (srv ns)
#   storm_jobs N [MAC_BASE] N hosts (the generator's MACs) in group
#                           "room", each with a deploy job of image "img"
#   storm_run NAME ARGS...  stampede-storm in the srv namespace; its output
#                           in $STP_WORK/NAME.out, JSON in NAME.json, exit
#                           status in STORM_RC
#   storm_dnsmasq_start ROOT FIRST LAST [LOG]
#                           dnsmasq (DHCP + TFTP, the FOG-style peer) on
#                           stp0 in the srv namespace: FIRST-LAST leased, the
#                           firmware file by architecture, the script URL
#                           to iPXE; LOG its log (default a work file;
#                           /dev/null for benchmarks); STORM_PEER_CPU pins
#                           it (taskset -c). DNSMASQ_PID.
#   jget FILE EXPR          a value of the JSON, EXPR a Python subscript
#                           path such as '["kernel"]["done"]'
#
# Knobs: STORM_BIN (build/tools/storm/stampede-storm), STORM_KB_BIOS (70),
# STORM_KB_UEFI (200), STORM_KB_KERNEL (256), STORM_KB_INITRD (512).

STORM_BIN=${STORM_BIN:-$STP_ROOT/build/tools/storm/stampede-storm}
STORM_CTL="$STP_ROOT/build/tools/stampedectl"
STORM_TOKEN=storm-token-0123456789
STORM_API_PORT=18080
STORM_RC=0

storm_root() {
	local d=$1
	mkdir -p "$d"
	head -c $((${STORM_KB_BIOS:-70} * 1024 + 13)) /dev/urandom >"$d/undionly.kpxe"
	head -c $((${STORM_KB_UEFI:-200} * 1024 + 7)) /dev/urandom >"$d/ipxe.efi"
	head -c $((${STORM_KB_KERNEL:-256} * 1024 + 3)) /dev/urandom >"$d/bzImage"
	head -c $((${STORM_KB_INITRD:-512} * 1024 + 1)) /dev/urandom >"$d/init.xz"
}

# storm_bytes DIR BIOS UEFI WITH_JOB — the file bytes a storm of BIOS and
# UEFI clients must receive (the boot files, and kernel + initrd when
# WITH_JOB is 1); the scripts come on top.
storm_bytes() {
	local d=$1 b=$2 u=$3 j=$4 k=0
	((j == 0)) || k=$(($(stat -c %s "$d/bzImage") + $(stat -c %s "$d/init.xz")))
	echo $((b * $(stat -c %s "$d/undionly.kpxe") + u * $(stat -c %s "$d/ipxe.efi") + (b + u) * k))
}

storm_memif_config() {
	local file=$1 sock=$2 port=${3:-$STORM_API_PORT} root prefix=stpst-$$
	root="$STP_WORK/storm-root"
	[[ -d "$root" ]] || storm_root "$root"
	_STP_PREFIXES+=("$prefix")
	STORM_API_PORT=$port
	cat >"$file" <<EOF
# written by tests/integration/lib_storm.sh for run $STP_P
eal:
  no_huge: true
  file_prefix: $prefix
  lcores: "0-1"
port:
  vdev: "net_memif0,role=server,socket=$sock"
  address: 10.80.0.1/14
dhcp:
  pool: 10.80.1.0-10.83.250.255
  lease_time: 3600
boot:
  root: $root
  bios: undionly.kpxe
  uefi: ipxe.efi
control:
  database: $STP_WORK/storm.sqlite
  token: "$STORM_TOKEN"
  api_listen: 127.0.0.1:$port
${CFG_EXTRA:-}
EOF
}

storm_ctl() {
	nsx srv "$STORM_CTL" --server "http://127.0.0.1:$STORM_API_PORT" --token "$STORM_TOKEN" "$@"
}

storm_jobs() {
	local n=$1 base=${2:-02:00:00:00:00:00}
	storm_ctl image add img --kernel bzImage --initrd init.xz >/dev/null || return 1
	storm_ctl group add room >/dev/null || return 1
	python3 - "$n" "$base" >"$STP_WORK/hosts.csv" <<'EOF'
import sys
n, base = int(sys.argv[1]), [int(x, 16) for x in sys.argv[2].split(":")]
b = base[3] << 16 | base[4] << 8 | base[5]
for i in range(n):
    v = b + i
    print("%02x:%02x:%02x:%02x:%02x:%02x,s%d,room,img"
          % (base[0], base[1], base[2], (v >> 16) & 255, (v >> 8) & 255, v & 255, i))
EOF
	storm_ctl host import "$STP_WORK/hosts.csv" >/dev/null || return 1
	storm_ctl job deploy --group room --image img >/dev/null
}

storm_run() {
	local name=$1
	shift
	STORM_RC=0
	nsx srv "$STORM_BIN" --json "$STP_WORK/$name.json" "$@" >"$STP_WORK/$name.out" 2>&1 ||
		STORM_RC=$?
	sed 's/^/    | /' "$STP_WORK/$name.out" >&2
}

storm_dnsmasq_start() {
	local root=$1 first=$2 last=$3 log=${4:-$STP_WORK/dnsmasq.log} pin=()
	[[ -z "${STORM_PEER_CPU:-}" ]] || pin=(taskset -c "$STORM_PEER_CPU")
	bg_start "$STP_WORK/dnsmasq.out" ip netns exec "$STP_SRV" "${pin[@]}" dnsmasq \
		--no-daemon --port=0 --interface=stp0 --bind-interfaces --conf-file=/dev/null \
		--log-facility="$log" --no-ping --dhcp-range="$first,$last,1h" \
		--dhcp-lease-max=100000 --dhcp-leasefile="$STP_WORK/dnsmasq.leases" \
		--enable-tftp --tftp-root="$root" --tftp-max=10000 \
		--dhcp-match=set:ipxe,175 --dhcp-match=set:efi64,option:client-arch,7 \
		--dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe \
		--dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi \
		--dhcp-boot=tag:ipxe,http://10.77.0.1/boot.ipxe \
		--pid-file="$STP_WORK/dnsmasq.pid" --user=root --group=root
	DNSMASQ_PID=$BG_PID
}

jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval("d" + sys.argv[2]))' "$1" "$2" 2>/dev/null || echo "?"
}
