#!/usr/bin/env bash
# `make test`: every test rampart has, in order of cost. Runs all stages even when one
# fails, then exits non-zero if any did.
#   1. unit tests (GoogleTest via ctest) on the release build
#   2. integration tests (pytest) against the release binary on loopback
#   3. the chaos suite, short form, against the release binary
#   4. the libFuzzer targets, FUZZ_SECONDS each (clang build)
#   5. unit + integration tests again under ASan+UBSan
set -uo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
failed=()
stage() { echo; echo "=== $* ==="; }

stage "unit tests (release)"
(cd build/release && ctest --output-on-failure -j "$jobs") || failed+=("unit")

stage "integration tests (release)"
RAMPART_BIN="$PWD/build/release/rampart" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  tests/integration || failed+=("integration")

stage "chaos suite, short (release)"
RAMPART_BIN="$PWD/build/release/rampart" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
  tests/chaos || failed+=("chaos")

stage "fuzzers (${FUZZ_SECONDS:-16}s each)"
if CXX=clang++ cmake -S . -B build/fuzz -G Ninja -Wno-dev -DCMAKE_BUILD_TYPE=RelWithDebInfo \
     -DRAMPART_FUZZ=ON >/dev/null && cmake --build build/fuzz -j "$jobs"; then
  bash scripts/run-fuzzers.sh build/fuzz "${FUZZ_SECONDS:-16}" || failed+=("fuzz")
else
  failed+=("fuzz-build")
fi

stage "unit + integration tests under ASan+UBSan"
if cmake -S . -B build/asan -G Ninja -Wno-dev -DCMAKE_BUILD_TYPE=Debug -DRAMPART_SANITIZE=ON \
     >/dev/null && cmake --build build/asan -j "$jobs"; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build/asan && ctest --output-on-failure -j "$jobs") || failed+=("asan-unit")
  RAMPART_BIN="$PWD/build/asan/rampart" RAMPART_SANITIZED=1 /usr/bin/python3 -m pytest -q \
    -p no:cacheprovider tests/integration || failed+=("asan-integration")
else
  failed+=("asan-build")
fi

echo
if ((${#failed[@]})); then
  echo "make test: FAILED stages: ${failed[*]}"
  exit 1
fi
echo "make test: all stages passed"
