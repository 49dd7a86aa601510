#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# tools/test.sh — the whole stampede test suite, as root, on Debian 12.
# Installs what it needs (tools/setup.sh), then runs in order:
#   unit        cmocka tests of every core (build/)
#   sanitizers  the same tests under ASan + UBSan (build-asan/)
#   cppcheck    static analysis of all C sources, warnings are failures
#   pyflakes    pyflakes3 over every Python file (tests/tools/), any message fails
#   fuzz        each libFuzzer harness for STP_FUZZ_SECONDS (default 30),
#               printing its executions, executions/s and coverage
#   integration real clients against the server in network namespaces
# and ends with one line "N passed, N failed". Exit status 0 only when
# nothing failed.
#
# Environment: STP_ONLY="unit asan ..." to run a subset; STP_FUZZ_SECONDS
# per harness and STP_FUZZ_ONLY="tcp dhcp ..." to fuzz some harnesses only.
# A long campaign (10^8 executions per harness takes hours):
#   STP_ONLY=fuzz STP_FUZZ_SECONDS=21600 tools/test.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
FUZZ_SECONDS=${STP_FUZZ_SECONDS:-30}
FUZZ_ONLY=${STP_FUZZ_ONLY:-}
# libFuzzer's entropic schedule scans its "rare" features (all seen fewer
# than 255 times by default) for every feature of every run: with the TCP
# core's ~25,000 features that scan took 70% of the first minutes (about
# 100 executions/s). At 16 the set stays small: about 20x the executions
# of a 20 s TCP run and more coverage, no loss on the other harnesses.
FUZZ_FLAGS=(-timeout=5 -rss_limit_mb=1024 -print_final_stats=1
	-entropic_feature_frequency_threshold=16)
ONLY=${STP_ONLY:-unit asan cppcheck pyflakes fuzz integration}
LOGDIR=$(mktemp -d /tmp/stampede-test.XXXXXX)
PASSED=0
FAILED=0
FAILURES=()

step() { printf '\n== %s\n' "$*"; }
wants() { [[ " $ONLY " == *" $1 "* ]]; }

# record NAME PASSED FAILED — add a section's counts.
record() {
	PASSED=$((PASSED + $2))
	FAILED=$((FAILED + $3))
	if [ "$3" -gt 0 ]; then FAILURES+=("$1"); fi
	printf -- '-- %s: %d passed, %d failed\n' "$1" "$2" "$3"
}

# meson_counts LOG — "ok fail" from a meson test log.
meson_counts() {
	local ok fail
	ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$1" | tail -n1)
	fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$1" | tail -n1)
	local timeout
	timeout=$(sed -n 's/^Timeout: *\([0-9]*\).*/\1/p' "$1" | tail -n1)
	echo "${ok:-0} $(( ${fail:-0} + ${timeout:-0} ))"
}

run_meson_suite() { # NAME BUILDDIR
	local log="$LOGDIR/$1.log" counts
	if meson test -C "$2" --suite unit --print-errorlogs >"$log" 2>&1; then :; fi
	counts=$(meson_counts "$log")
	# shellcheck disable=SC2086
	record "$1" $counts
	if [ "${counts#* }" != 0 ]; then tail -n 60 "$log"; fi
}

# fuzz_stats NAME LOG — one line from libFuzzer's -print_final_stats=1 output.
fuzz_stats() {
	local execs rate cov
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$2" | tail -n1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$2" | tail -n1)
	cov=$(grep -o 'cov: [0-9]*' "$2" | tail -n1 | cut -d' ' -f2)
	printf '   %-12s %12s executions  %8s exec/s  cov %s\n' "$1" "${execs:-?}" "${rate:-?}" "${cov:-?}"
}

step "setup: dependencies and build"
"$ROOT/tools/setup.sh"

if wants unit; then
	step "unit tests (cmocka)"
	run_meson_suite unit build
fi

if wants asan; then
	step "unit tests under ASan + UBSan"
	if [ ! -d build-asan ]; then
		meson setup build-asan -Ddataplane=disabled -Db_sanitize=address,undefined \
			-Db_lundef=false >"$LOGDIR/asan-setup.log" 2>&1
	fi
	if ninja -C build-asan >"$LOGDIR/asan-build.log" 2>&1; then
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 run_meson_suite sanitizers build-asan
	else
		tail -n 40 "$LOGDIR/asan-build.log"
		record sanitizers 0 1
	fi
fi

if wants cppcheck; then
	step "cppcheck"
	mapfile -t srcs < <(git ls-files '*.c' 2>/dev/null || find . -name '*.c' -not -path './build*')
	incs=()
	for d in common config control dataplane dataplane/dhcp tftp_fastpath http_fastpath http_fastpath/tcp http_fastpath/http tools/storm; do incs+=(-I "$d"); done
	if cppcheck --quiet --error-exitcode=1 --enable=warning,style,performance,portability \
		--std=c11 --inline-suppr --suppress=missingIncludeSystem \
		"${incs[@]}" "${srcs[@]}" >"$LOGDIR/cppcheck.log" 2>&1; then
		record cppcheck 1 0
	else
		cat "$LOGDIR/cppcheck.log"
		record cppcheck 0 1
	fi
fi

if wants pyflakes; then
	step "pyflakes3 (the Python test tools)"
	mapfile -t pys < <(git ls-files '*.py' 2>/dev/null || find . -name '*.py' -not -path './build*')
	if [ "${#pys[@]}" -eq 0 ]; then
		echo "no Python files found"
		record pyflakes 0 1
	elif pyflakes3 "${pys[@]}" >"$LOGDIR/pyflakes.log" 2>&1; then
		record pyflakes 1 0
	else
		cat "$LOGDIR/pyflakes.log"
		record pyflakes 0 1
	fi
fi

if wants fuzz; then
	step "fuzzing (libFuzzer, ${FUZZ_SECONDS}s each)"
	if [ ! -d build-fuzz ]; then
		CC=clang meson setup build-fuzz -Ddataplane=disabled -Dtests=disabled -Dfuzz=true \
			-Db_lundef=false >"$LOGDIR/fuzz-setup.log" 2>&1
	fi
	if ninja -C build-fuzz >"$LOGDIR/fuzz-build.log" 2>&1; then
		# every harness tests/meson.build made (fuzz_targets), not the replays
		stats=()
		for f in build-fuzz/tests/fuzz_*; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			name=$(basename "$f")
			[[ $name == *_replay ]] && continue
			if [ -n "$FUZZ_ONLY" ] && [[ " $FUZZ_ONLY " != *" ${name#fuzz_} "* ]]; then continue; fi
			corpus="$LOGDIR/corpus-$name"
			mkdir -p "$corpus"
			seeds="tests/fuzz/corpus/${name#fuzz_}"
			if [ -d "$seeds" ]; then cp -r "$seeds"/. "$corpus"/; fi
			if "$f" -max_total_time="$FUZZ_SECONDS" "${FUZZ_FLAGS[@]}" \
				-artifact_prefix="$LOGDIR/" "$corpus" >"$LOGDIR/$name.log" 2>&1; then
				record "$name" 1 0
			else
				tail -n 40 "$LOGDIR/$name.log"
				record "$name" 0 1
			fi
			stats+=("$(fuzz_stats "$name" "$LOGDIR/$name.log")")
		done
		if [ "${#stats[@]}" -gt 0 ]; then
			printf 'executions per harness (%ss each):\n' "$FUZZ_SECONDS"
			printf '%s\n' "${stats[@]}"
		fi
	else
		tail -n 40 "$LOGDIR/fuzz-build.log"
		record fuzz-build 0 1
	fi
fi

if wants integration; then
	step "integration (real clients in network namespaces)"
	if tests/integration/run_all.sh 2>&1 | tee "$LOGDIR/integration.log"; then :; fi
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGDIR/integration.log" | tail -n1 || true)
	if [ -n "$line" ]; then
		p=${line%% passed*}
		f=${line#*, }
		f=${f%% failed*}
		record integration "$p" "$f"
	else
		record integration 0 1
	fi
fi

printf '\nlogs: %s\n' "$LOGDIR"
if [ "$FAILED" -gt 0 ]; then printf 'failed sections: %s\n' "${FAILURES[*]}"; fi
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
[ "$FAILED" -eq 0 ]
