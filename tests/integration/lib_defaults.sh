# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
#
# lib_defaults.sh — "test what users get". lib.sh sources this file when
# STP_DEFAULTS is set; its configs then leave port.driver (auto: AF_XDP
# here, af_packet where AF_XDP does not start) and eal.no_huge (false:
# hugepages) at their defaults, as a user's config and tools/lab.sh do,
# and every start of the server checks from its log that this is what it
# got (the stp_on_ready hook below).
#
#   STP_DEFAULTS=1       AF_XDP + hugepages (eal.memory_mb 512, as lab.sh)
#   STP_DEFAULTS=nohuge  AF_XDP + ordinary pages: chosen here, loudly, when
#                        fewer than 512 MB of hugepages are free (another
#                        DPDK process holds them, or tools/setup.sh could
#                        not reserve any); the hugepage default is then NOT
#                        covered by this run, and the output says so.
#
# STP_DEFAULTS_DRIVER=af_packet: the start about to be made is expected to
# fall back (a test that makes AF_XDP refuse on purpose).
#
# AF_XDP needs bpffs at /sys/fs/bpf (tools/setup.sh mounts it; the server
# mounts it itself otherwise); it is required here: a fall back to
# af_packet fails the check, with the server's reason.

DEFAULTS_NEED_MB=512

# defaults_huge_free_mb — free hugepage memory, in MB.
defaults_huge_free_mb() {
	awk '/^HugePages_Free:/ { f = $2 } /^Hugepagesize:/ { s = $2 }
		END { print int(f * s / 1024) }' /proc/meminfo
}

if [[ "$STP_DEFAULTS" != nohuge ]]; then
	DEFAULTS_FREE_MB=$(defaults_huge_free_mb)
	if ((DEFAULTS_FREE_MB < DEFAULTS_NEED_MB)); then
		say "WARNING: STP_DEFAULTS: only $DEFAULTS_FREE_MB MB of hugepages free, $DEFAULTS_NEED_MB MB needed" \
			"(HugePages_Total $(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo); tools/setup.sh reserves them," \
			"another DPDK process may hold them): falling back to eal.no_huge: true." \
			"The hugepage default is NOT tested by this run."
		STP_DEFAULTS=nohuge
	fi
fi
export STP_DEFAULTS

# stp_on_ready — called by stp_start once the server is ready: the driver
# and the memory it really runs on, from its start-up log.
stp_on_ready() {
	local port mem
	port=$(grep -m 1 '^stampede: port ' "$STP_LOG" || true)
	mem=$(grep -m 1 '^stampede: memory: ' "$STP_LOG" || true)
	note "defaults: ${port#stampede: }"
	note "defaults: ${mem#stampede: }"
	if [[ "${STP_DEFAULTS_DRIVER:-af_xdp}" == af_xdp ]]; then
		assert_contains "defaults: port.driver auto chose AF_XDP" "$port" "port net_af_xdp0 "
	else   # a test that makes AF_XDP refuse on purpose
		assert_contains "defaults: port.driver auto fell back to af_packet" "$port" "port net_af_packet0 "
	fi
	if [[ "$STP_DEFAULTS" == nohuge ]]; then
		say "WARNING: defaults: running on ordinary pages (no free hugepages), not the hugepage default"
		assert_contains "defaults: DPDK memory on ordinary pages (fallback)" "$mem" "of ordinary"
	else
		assert_contains "defaults: DPDK memory on hugepages" "$mem" "on hugepages"
	fi
}
