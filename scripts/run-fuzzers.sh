#!/usr/bin/env bash
# Runs every libFuzzer target briefly: each on a temporary copy of its seed
# corpus (fuzz/corpus/<target>/, plus generated seeds), so the repository is
# never modified. Prints one summary line per target and exits non-zero if
# any target crashed, hung, ran out of memory or failed a sanitizer check.
#
#   scripts/run-fuzzers.sh <dir with the fuzz executables> [seconds per target]
#
# A failing input is kept under FUZZ_ARTIFACTS (default: <build dir>/artifacts)
# with the fuzzer's log; reproduce with `<target> <input>`.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 <fuzz binary dir> [seconds per target]" >&2
  exit 2
fi
bin_dir=$(cd "$1" && pwd)
seconds=${2:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
artifacts=${FUZZ_ARTIFACTS:-$(dirname "$bin_dir")/artifacts}
# Every *_fuzzer executable the build made.
targets=()
for exe in "$bin_dir"/*_fuzzer; do
  [ -x "$exe" ] && targets+=("$(basename "$exe")")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "$0: no *_fuzzer executables in $bin_dir" >&2
  exit 1
fi

# Per-input limits: a normal input takes milliseconds, even under ASan.
timeout_s=${FUZZ_TIMEOUT:-10}
rss_limit_mb=${FUZZ_RSS_LIMIT_MB:-2048}
max_len_for() {
  case "$1" in
    open_file_fuzzer) echo 16384 ;;  # room for a data file of 32 pages of 512 bytes
    *) echo 8192 ;;
  esac
}

work=$(mktemp -d "${TMPDIR:-/tmp}/ormdb-fuzz.XXXXXX")
# The targets' data files go to memory when possible: every input creates,
# syncs and deletes a file.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  data=$(mktemp -d /dev/shm/ormdb-fuzz.XXXXXX)
else
  data="$work/data"
  mkdir -p "$data"
fi
trap 'rm -rf "$work" "$data"' EXIT

# UBSan findings are fatal (the build recovers from them by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

failed=0
for t in "${targets[@]}"; do
  exe="$bin_dir/$t"
  corpus="$work/corpus/$t"
  mkdir -p "$corpus" "$data/$t" "$artifacts/$t"
  if [ -d "$repo/fuzz/corpus/$t" ]; then cp -R "$repo/fuzz/corpus/$t/." "$corpus/"; fi
  if [ "$t" = open_file_fuzzer ] && [ -x "$bin_dir/make_seed_files" ]; then
    "$bin_dir/make_seed_files" "$corpus"
  fi
  if [ "$t" = result_decoder_fuzzer ] && [ -x "$bin_dir/make_result_seeds" ]; then
    "$bin_dir/make_result_seeds" "$corpus"
  fi
  if [ "$t" = frame_decoder_fuzzer ] && [ -x "$bin_dir/make_protocol_seeds" ]; then
    "$bin_dir/make_protocol_seeds" "$corpus" frame
  fi
  if [ "$t" = message_decoder_fuzzer ] && [ -x "$bin_dir/make_protocol_seeds" ]; then
    "$bin_dir/make_protocol_seeds" "$corpus" message
  fi
  seeds=$(find "$corpus" -type f | wc -l)
  log="$work/$t.log"

  rc=0
  TMPDIR="$data/$t" "$exe" "$corpus" \
    -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_limit_mb" \
    -max_len="$(max_len_for "$t")" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$t/" >"$log" 2>&1 || rc=$?

  # The log may hold raw input bytes (-a); a fuzzer that died early prints no stats.
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  cov=$( (grep -ao 'cov: [0-9]*' "$log" || true) | tail -n 1 | cut -d' ' -f2)
  ft=$( (grep -ao 'ft: [0-9]*' "$log" || true) | tail -n 1 | cut -d' ' -f2)
  corp=$(find "$corpus" -type f | wc -l)
  stats="${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus $seeds -> $corp"
  if [ "$rc" -eq 0 ]; then
    echo "$t: ok (${seconds}s: $stats)"
  else
    failed=1
    cp "$log" "$artifacts/$t/last-failure.log"
    input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
    echo "$t: FAILED (exit $rc after $stats; input ${input:-none saved})"
    echo "  log: $artifacts/$t/last-failure.log"
    (grep -aE '^(==[0-9]+== ?ERROR|SUMMARY|[a-z_]+_fuzzer:|.*runtime error:|ALARM)' "$log" || true) | head -n 5 |
      sed 's/^/  /'
  fi
done
exit "$failed"
