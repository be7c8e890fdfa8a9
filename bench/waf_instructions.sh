#!/usr/bin/env bash
# Instructions per request of the managed WAF (the OWASP CRS on rampart's SecLang engine),
# counted by callgrind: deterministic, so it compares builds on a busy machine where
# timings do not. Requests of bench/micro/seclang_crs_bench.cc (benign GET, attack GET,
# 4 KB form, 4 KB JSON) at paranoia level 1 and 4, phases 1-2; and phases 3-5 of the
# benign GET for a 1 KB 200 text/html response. Only the request processing is
# instrumented (bench/tools/waf_instructions.cc), not the load or the warm-up. Prints
# per request: instructions, calls to malloc (glibc's; rampart itself runs on jemalloc),
# rules evaluated and the verdict's status (0: passed).
#
#   bash bench/waf_instructions.sh [BUILD_DIR]       (default build/release)
# Env: ITERATIONS (20), TOP (15: top functions listed per case, inclusive and self; 0: none),
#      CASES (regex on the case names for the function lists, default "benign_get PL1"),
#      VECTORSCAN=1 (build the Vectorscan prefilters first, as waf.prefilter does),
#      KEEP=DIR (keep the callgrind profiles there, for callgrind_annotate / kcachegrind).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${1:-$here/../build/release}
ITERATIONS=${ITERATIONS:-20}
TOP=${TOP:-15}
CASES=${CASES:-benign_get PL1}
ninja -C "$BUILD" rampart_waf_instructions >/dev/null
D=$(mktemp -d)
trap 'rm -rf "$D"' EXIT
args=(--iterations "$ITERATIONS")
[[ ${VECTORSCAN:-0} == 1 ]] && args+=(--vectorscan)
valgrind --tool=callgrind --instr-atstart=no --collect-atstart=no \
  --callgrind-out-file="$D/cg.out" "$BUILD/rampart_waf_instructions" "${args[@]}" \
  >"$D/driver.txt" 2>"$D/valgrind.txt" || {
  cat "$D/driver.txt" "$D/valgrind.txt" >&2
  exit 1
}
# Calls to glibc's malloc (operator new ends there too) in a profile.
mallocs() {
  callgrind_annotate --tree=caller "$1" 2>/dev/null | awk '
    /^$/ { n = 0; next }
    / < / { if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); n += c }; next }
    /\*  .*malloc\.c:malloc / { print n; found = 1; exit }
    END { if (!found) print 0 }'
}
printf '%-26s %14s %8s %6s %7s\n' "case" "instr/request" "mallocs" "rules" "status"
declare -A rules status
while IFS= read -r line; do
  [[ $line =~ ^(.*):\ ([0-9]+)\ rules,\ status\ ([0-9]+)$ ]] || continue
  rules[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  status[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]}
done <"$D/driver.txt"
# One profile per case, cg.out.1, cg.out.2, ... in the order the driver ran them.
profiles=()
for ((i = 1; ; ++i)); do
  [[ -f $D/cg.out.$i ]] || break
  profiles+=("$D/cg.out.$i")
done
for f in "${profiles[@]}"; do
  name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
  # "summary:" stays 0 when instrumentation starts late; "totals:" has the count.
  total=$(sed -n 's/^totals: //p' "$f" | awk '{print $1}')
  [[ -z $name || -z $total ]] && continue
  printf '%-26s %14d %8d %6s %7s\n' "$name" $((total / ITERATIONS)) $(($(mallocs "$f") / ITERATIONS)) \
    "${rules[$name]:-?}" "${status[$name]:-?}"
done
# The top functions of a profile, instructions per request: $2 = yes (inclusive) or no (self).
top_functions() {
  callgrind_annotate --inclusive="$2" --threshold=100 "$1" 2>/dev/null |
    awk -v n="$TOP" -v it="$ITERATIONS" '
      /^-+$/ { sep++; next }
      sep >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ {
        c = $1; gsub(",", "", c)
        pct = ""; if (match($0, /\( *[0-9.]+%\)/)) { pct = substr($0, RSTART + 1, RLENGTH - 2); gsub(" ", "", pct) }
        fn = $0; sub(/^ *[0-9,]+ +\([^)]*\) +/, "", fn); sub(/^\?\?\?:/, "", fn)
        if (fn ~ /^0x/) { sub(/ \[.*\//, " [", fn) } else { sub(/ \[[^]]*\]$/, "", fn) }
        if (fn == "PROGRAM TOTALS" || fn == "main") next
        if (length(fn) > 110) fn = substr(fn, 1, 107) "..."
        printf "%12d %7s  %s\n", c / it, pct, fn
        if (++k >= n) exit
      }'
}
if [[ $TOP -gt 0 ]]; then
  for f in "${profiles[@]}"; do
    name=$(sed -n 's/^desc: Trigger: Client Request: //p' "$f")
    [[ $name =~ $CASES ]] || continue
    echo
    echo "== $name: top $TOP functions, inclusive, instructions per request"
    top_functions "$f" yes || true
    echo
    echo "== $name: top $TOP functions, self, instructions per request"
    top_functions "$f" no || true
  done
fi
if [[ -n ${KEEP:-} ]]; then
  mkdir -p "$KEEP"
  cp "${profiles[@]}" "$KEEP"/
fi
