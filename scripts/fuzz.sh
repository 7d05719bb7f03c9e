#!/usr/bin/env bash
# Fuzzes the decoders that read untrusted bytes (see Fuzz/README.md): builds Fuzz/ with libFuzzer
# and runs each target from the committed seed corpus, Fuzz/Corpus/<target>. New inputs go to a
# scratch directory, never into the committed corpus; a crash, trap or failed invariant leaves its
# input in Fuzz/findings/ and makes this script fail.
#
#   scripts/fuzz.sh --runs 150000   every target, 150,000 inputs from seed 1 (what `make test` runs:
#                                   the same start and mutations on every machine, so CI judges the
#                                   code rather than a new random seed)
#   scripts/fuzz.sh 600 FuzzOTLPJSON   one target for ten minutes from a random seed (exploring)
#   scripts/fuzz.sh                 every target for 20 s from a random seed
set -euo pipefail
cd "$(dirname "$0")/.."
# Either a fixed number of inputs from seed 1 (reproducible), or a time from a random seed.
if [[ ${1:-} == --runs ]]; then
  limit=(-seed=1 -runs="$2")
  label="$2 inputs from seed 1"
  shift 2
  # Swift seeds its hashing per process; fixed, an input takes the same path on every run.
  export SWIFT_DETERMINISTIC_HASHING=1
else
  seconds=${1:-20}
  shift || true
  limit=(-max_total_time="$seconds")
  label="${seconds}s"
fi
targets=("$@")
((${#targets[@]})) || targets=(FuzzProtobuf FuzzOTLPJSON FuzzTraceSegment FuzzManifest)

echo "fuzz: building Fuzz/ with -sanitize=fuzzer (release, testable)"
# A failed build stops here: running the targets built last time would test other code.
build_log=$(mktemp)
if ! (cd Fuzz && swift build -c release --sanitize=fuzzer -Xswiftc -enable-testing >"$build_log" 2>&1); then
  grep -E "error" "$build_log" | head -20 >&2
  echo "fuzz: the build of Fuzz/ failed (full log: $build_log)" >&2
  exit 1
fi
grep -E "Compiling Fuzz|Build complete" "$build_log" || true
rm -f "$build_log"
bin=Fuzz/.build/release
findings=Fuzz/findings
mkdir -p "$findings"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Let libFuzzer, not the Swift runtime's backtracer, handle a crash: it saves the input that caused it.
export SWIFT_BACKTRACE=enable=no
failed=0
for target in "${targets[@]}"; do
  [[ -x "$bin/$target" ]] || { echo "fuzz: $bin/$target was not built" >&2; exit 1; }
  mkdir -p "$scratch/$target"
  log="$scratch/$target.log"
  set +e
  "$bin/$target" "$scratch/$target" "Fuzz/Corpus/$target" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$findings/$target-" >"$log" 2>&1
  status=$?
  set -e
  runs=$(grep -Eo '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  rate=$(grep -Eo '^stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  coverage=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)
  if ((status == 0)); then
    echo "fuzz: $target: $label, $runs runs, $rate exec/s, $coverage, no finding"
  else
    failed=1
    echo "fuzz: $target FAILED (exit $status) after $runs runs; input saved under $findings/:" >&2
    grep -E "Fatal error|ERROR|SUMMARY|Test unit written|precondition" "$log" | head -20 >&2
  fi
done
exit $failed
