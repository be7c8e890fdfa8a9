#!/usr/bin/env bash
# Installs every Debian package rampart needs to build, test and benchmark.
# Idempotent: only missing packages are installed, so `make run` stays fast.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config clang libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libssl-dev libyaml-cpp-dev libspdlog-dev
  libfmt-dev libcli11-dev libre2-dev libnghttp2-dev libxxhash-dev zlib1g-dev
  libbrotli-dev libzstd-dev libvectorscan-dev libpcre2-dev libjemalloc-dev
  # tests
  libgtest-dev libgmock-dev libbenchmark-dev curl procps openssl
  python3 python3-pytest python3-requests python3-httpx python3-h2 python3-hpack python3-yaml
  python3-brotli python3-zstandard python3-grpcio
  # benchmark peers
  nginx haproxy varnish wrk nghttp2-client  # nghttp2-client: h2load, also used by the tests
  # the managed WAF runs the OWASP CRS from Debian; nginx + ModSecurity v3 is its reference
  modsecurity-crs libnginx-mod-http-modsecurity
  # profiling a benchmark run (bench/cache.sh, bench/tls.sh BENCH_PERF=1)
  linux-perf
  # instruction counts of the managed WAF per request (bench/waf_instructions.sh)
  valgrind
  # the challenge page's browser tests: headless chromium driven by playwright-core (npm)
  chromium nodejs
  # rate-limit counters shared by a fleet (cluster:), and the redis-server its tests start
  libhiredis-dev redis-server
  # verified bots: reverse DNS lookups (c-ares); the Web Bot Auth tests sign with python3-cryptography
  libc-ares-dev python3-cryptography
)

missing=()
# Debian's npm conflicts with a nodejs that bundles its own npm (NodeSource's): ask for
# the package only when no npm command exists.
command -v npm >/dev/null || packages+=(npm)
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

# playwright-core for the browser tests, pinned by tests/browser/package-lock.json, into a
# project-local node_modules.
install_browser_test_deps() {
  local dir
  dir="$(dirname "$0")/../tests/browser"
  if [[ ! -d "$dir/node_modules/playwright-core" ]] && command -v npm >/dev/null; then
    echo "install-deps: npm ci in tests/browser"
    (cd "$dir" && npm ci --no-audit --no-fund --silent)
  fi
}

if ((${#missing[@]} == 0)); then
  install_browser_test_deps
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts nginx, haproxy and varnish on install; the benchmarks start their own instances.
for service in nginx haproxy varnish; do
  if command -v systemctl >/dev/null 2>&1; then
    "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
  fi
  "${sudo_cmd[@]}" pkill -x "$service" >/dev/null 2>&1 || true
done
# The same for redis (the tests start their own on a free port); no pkill: a test's own
# redis-server may be running.
if command -v systemctl >/dev/null 2>&1; then
  "${sudo_cmd[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true
fi
install_browser_test_deps
