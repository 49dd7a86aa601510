#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# setup.sh — make this Debian 12 machine ready to build, test and benchmark
# stampede. Idempotent; run as root from anywhere:
#
#   tools/setup.sh              packages, services, hugepages, bpffs, build
#   tools/setup.sh --no-build   everything but the build
#   tools/setup.sh --no-apt     skip apt (packages already there)
#
# Progress goes to stdout one line a step; command output goes to the log
# (STP_SETUP_LOG, default /tmp/stampede-setup.log), whose tail is printed if
# a step fails.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOG=${STP_SETUP_LOG:-/tmp/stampede-setup.log}
DO_APT=1
DO_BUILD=1
for a in "$@"; do
	case "$a" in
	--no-build) DO_BUILD=0 ;;
	--no-apt) DO_APT=0 ;;
	-h | --help) sed -n '3,14p' "$0"; exit 0 ;;
	*) echo "setup.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

PKG_BUILD=(build-essential meson ninja-build pkg-config dpdk dpdk-dev libdpdk-dev
	libnuma-dev libcmocka-dev libyaml-dev libsqlite3-dev sqlite3 libjansson-dev
	libmicrohttpd-dev libcurl4-openssl-dev clang libclang-rt-14-dev cppcheck
	libhugetlbfs-bin shellcheck pyflakes3)
PKG_PEERS=(busybox-static isc-dhcp-client isc-dhcp-relay kea-admin kea-dhcp4-server
	dnsmasq-base iproute2 iputils-ping iputils-arping nftables ethtool tcpdump
	tftp-hpa atftp curl wget wrk python3 procps kmod util-linux nginx-light prometheus)
PKG_E2E=(qemu-system-x86 qemu-utils ipxe ipxe-qemu ovmf xz-utils cpio dpkg)
# Services these packages install that must not run or hold ports here
# (test_metrics.sh starts a Prometheus of its own, in its namespace).
SERVICES=(kea-dhcp4-server kea-dhcp6-server kea-dhcp-ddns-server kea-ctrl-agent
	isc-dhcp-relay isc-dhcp-relay6 dnsmasq nginx prometheus)

step() { printf 'setup: %s\n' "$*"; }
die() {
	printf 'setup: FAILED: %s (log: %s)\n' "$*" "$LOG" >&2
	tail -n 30 "$LOG" | sed 's/^/  | /' >&2
	exit 1
}
run() { "$@" >>"$LOG" 2>&1; }

[[ $EUID -eq 0 ]] || { echo "setup.sh: run as root" >&2; exit 1; }
: >"$LOG"
step "log in $LOG"

# ------------------------------------------------------------------ apt
OWN_POLICY=""
drop_policy() { [[ -z "$OWN_POLICY" ]] || rm -f /usr/sbin/policy-rc.d; }
trap drop_policy EXIT

# install_group LABEL PKG... — apt-get install the ones not yet installed.
install_group() {
	local label=$1 p missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		step "packages $label: all $# present"
	else
		step "packages $label: installing ${missing[*]}"
		run apt-get install -y --no-install-recommends "${missing[@]}" ||
			die "apt-get install ${missing[*]}"
	fi
}

if ((DO_APT)); then
	export DEBIAN_FRONTEND=noninteractive
	# Keep package scripts from starting daemons (kea, relay) while we install.
	if [[ ! -e /usr/sbin/policy-rc.d ]]; then
		printf '#!/bin/sh\n# stampede tools/setup.sh: no daemons during install\nexit 101\n' \
			>/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		OWN_POLICY=1
	fi
	if find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -60 2>/dev/null | grep -q .; then
		step "apt-get update: done within the last hour, skipped"
	else
		step "apt-get update"
		run apt-get update || die "apt-get update"
	fi
	install_group "build" "${PKG_BUILD[@]}"
	install_group "peers" "${PKG_PEERS[@]}"
	install_group "e2e" "${PKG_E2E[@]}"
fi

# ------------------------------------------------------------- services
stopped=()
for s in "${SERVICES[@]}"; do
	if [[ -d /run/systemd/system ]] && systemctl list-unit-files "$s.service" >/dev/null 2>&1; then
		if systemctl is-active -q "$s" 2>/dev/null || systemctl is-enabled -q "$s" 2>/dev/null; then
			run systemctl disable --now "$s" || true
			stopped+=("$s")
		fi
	elif [[ -x "/etc/init.d/$s" ]]; then
		# No systemd: the sysv script stops whatever it started, then keep
		# it from starting at boot.
		run "/etc/init.d/$s" stop || true
		run update-rc.d "$s" disable || true
		stopped+=("$s")
	fi
done
step "services stopped/disabled: ${stopped[*]:-none found}"
busy=$(ss -Hlunp 2>/dev/null | awk '$4 ~ /:(67|68|69|4011)$/' || true)
[[ -z "$busy" ]] || step "WARNING: something still listens on a DHCP/TFTP port: $busy"

# ------------------------------------------------------------ hugepages
want_pages=256   # 512 MiB of 2 MiB pages
have_pages() { awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo; }
if (($(have_pages) >= want_pages)) && grep -q hugetlbfs /proc/mounts; then
	step "hugepages: $(have_pages) x 2M reserved, mounted"
else
	mkdir -p /dev/hugepages   # dpdk-hugepages.py mounts here; some images lack it
	if command -v dpdk-hugepages.py >/dev/null; then
		run dpdk-hugepages.py -p 2M --setup 512M || true
	fi
	if (($(have_pages) >= want_pages)) && ! grep -q hugetlbfs /proc/mounts; then
		run mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages || true
	fi
	if (($(have_pages) < want_pages)) && command -v hugeadm >/dev/null; then
		run hugeadm --pool-pages-min "2M:$want_pages" || true
		grep -q hugetlbfs /proc/mounts || run hugeadm --create-mounts || true
	fi
	if (($(have_pages) >= want_pages)) && grep -q hugetlbfs /proc/mounts; then
		step "hugepages: $(have_pages) x 2M reserved, mounted"
	else
		step "hugepages: NOT available (have $(have_pages) pages)." \
			"stampede must run with --no-huge: set 'eal.no_huge: true' in its config" \
			"(the tests do this anyway)"
	fi
fi

# ---------------------------------------------------------------- bpffs
if mountpoint -q /sys/fs/bpf 2>/dev/null; then
	step "bpffs: mounted at /sys/fs/bpf"
elif mkdir -p /sys/fs/bpf 2>/dev/null && run mount -t bpf bpf /sys/fs/bpf; then
	step "bpffs: mounted at /sys/fs/bpf"
else
	step "bpffs: could not mount /sys/fs/bpf (AF_XDP via libxdp will not work; af_packet will)"
fi

# ---------------------------------------------------------------- build
if ((DO_BUILD)); then
	cd "$ROOT"
	if [[ -f build/build.ninja ]]; then
		step "meson: build/ already configured"
	else
		# The project's default buildtype is debugoptimized (-O2 -g): fast
		# code that still has symbols and assertions for the tests.
		step "meson setup build"
		run meson setup build || die "meson setup build"
	fi
	step "ninja -C build"
	run ninja -C build || die "ninja -C build"
	if [[ -x build/dataplane/stampede ]]; then
		step "built build/dataplane/stampede"
	else
		step "WARNING: build finished but build/dataplane/stampede is missing"
	fi
fi
step "done"
