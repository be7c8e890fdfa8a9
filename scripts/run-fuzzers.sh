#!/usr/bin/env bash
# Runs every libFuzzer binary in BUILD_DIR for SECONDS each, on a scratch copy of its
# seed corpus (tests/fuzz/corpus/<name without _fuzz>) and dictionary
# (tests/fuzz/dict/<name without _fuzz>.dict, else http.dict for the HTTP/1 targets and
# rules.dict for the rules_* targets).
# Exits non-zero if any fuzzer finds a crash, leak, timeout or failed check; the input
# that did it is kept under BUILD_DIR/fuzz-artifacts/<name>/.
#
#   scripts/run-fuzzers.sh build/fuzz 60
set -euo pipefail

if (($# < 1)); then
  echo "usage: $0 BUILD_DIR [SECONDS]" >&2
  exit 2
fi
build_dir=$(cd "$1" && pwd)
seconds=${2:-60}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus_root="$root/tests/fuzz/corpus"
default_dict="$root/tests/fuzz/dict/http.dict"

# Undefined behaviour is a finding like a crash, not a line in the log.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

mapfile -t binaries < <(find "$build_dir" -maxdepth 2 -type f -name '*_fuzz' -perm -u+x | sort)
if ((${#binaries[@]} == 0)); then
  echo "run-fuzzers: no *_fuzz binaries in $build_dir (configure with -DRAMPART_FUZZ=ON)" >&2
  exit 2
fi

failed=()
for bin in "${binaries[@]}"; do
  name=$(basename "$bin")
  target=${name%_fuzz}
  corpus="$scratch/$name/corpus"
  mkdir -p "$corpus"
  if [[ -d "$corpus_root/$target" ]]; then
    cp -R "$corpus_root/$target/." "$corpus/"
  fi
  artifacts="$build_dir/fuzz-artifacts/$name"
  mkdir -p "$artifacts"
  # A target's own dictionary if it has one; a shared one for the HTTP/1 and rules targets.
  dict="$root/tests/fuzz/dict/$target.dict"
  if [[ ! -f "$dict" ]]; then
    case "$target" in
      h1_* | chunked* | http*) dict="$default_dict" ;;
      rules_*) dict="$root/tests/fuzz/dict/rules.dict" ;;
      *) dict="" ;;
    esac
  fi
  args=(-max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 -artifact_prefix="$artifacts/")
  [[ -n "$dict" && -f "$dict" ]] && args+=(-dict="$dict")
  log="$artifacts/last-run.log"
  echo "run-fuzzers: $name for ${seconds}s ($(find "$corpus" -type f | wc -l) seeds)"
  if "$bin" "${args[@]}" "$corpus" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE' "$log" | sed 's/^/  /' || true
  else
    echo "run-fuzzers: $name FAILED (log: $log)" >&2
    grep -E 'ERROR|SUMMARY|check failed|Test unit written' "$log" | head -20 | sed 's/^/  /' >&2 || true
    failed+=("$name")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "run-fuzzers: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzzers: ${#binaries[@]} fuzzers ran ${seconds}s each, nothing found"
