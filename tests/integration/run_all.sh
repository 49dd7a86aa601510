#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run every tests/integration/test_*.sh one after another and tally the
# PASS/FAIL checks they print; FAIL lines, and WARNING: lines (what a run
# could not cover, e.g. no free hugepages), are repeated here. A file that
# exits non-zero without a FAIL line (crashed, could not set up) counts as
# one failure; so does a file that exits 0 having checked nothing. Last
# line: "N passed, N failed".
# Usage: run_all.sh [PATTERN]   (PATTERN filters file names, e.g. proxy)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
pattern=${1:-}
logdir=$(mktemp -d /tmp/stampede-run-all.XXXXXX)
npass=0
nfail=0
bad_files=()

if [[ $EUID -ne 0 ]]; then
	echo "run_all.sh: needs root (network namespaces)" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

shopt -s nullglob
tests=("$here"/test_*.sh)
for t in "${tests[@]}"; do
	name=$(basename "$t")
	[[ -z "$pattern" || "$name" == *"$pattern"* ]] || continue
	log="$logdir/${name%.sh}.log"
	echo "=== $name"
	start=$SECONDS
	rc=0
	bash "$t" >"$log" 2>&1 || rc=$?
	p=$(grep -c '^PASS ' "$log" || true)
	f=$(grep -c '^FAIL ' "$log" || true)
	grep -E '^(FAIL |WARNING: )' "$log" | sed 's/^/    /' || true
	if ((rc != 0 && f == 0)); then
		echo "    FAIL $name: exited $rc without a FAIL line; log tail:"
		tail -n 8 "$log" | sed 's/^/      | /'
		f=1
	elif ((rc == 0 && p == 0)); then
		echo "    FAIL $name: checked nothing"
		f=1
	elif ((rc == 0 && f > 0)); then
		echo "    FAIL $name: printed FAIL lines but exited 0"
	fi
	echo "    $name: $p passed, $f failed ($((SECONDS - start)) s, log $log)"
	npass=$((npass + p))
	nfail=$((nfail + f))
	((f == 0)) || bad_files+=("$name")
done

if ((npass + nfail == 0)); then
	echo "no test files matched '$pattern'" >&2
	nfail=1
fi
((${#bad_files[@]} == 0)) || echo "failing files: ${bad_files[*]}"
echo "logs in $logdir"
echo "$npass passed, $nfail failed"
((nfail == 0))
