# The two commands a user needs: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
BUILD_DIR ?= build/release
ASAN_DIR  ?= build/asan
FUZZ_DIR  ?= build/fuzz
JOBS      ?= $(shell nproc)
CMAKE_FLAGS := -G Ninja -Wno-dev

.PHONY: all deps build run test unit integration fuzz asan bench chaos format clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	@bash scripts/run-demo.sh $(BUILD_DIR)/rampart

unit: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

integration: build
	@RAMPART_BIN=$(abspath $(BUILD_DIR)/rampart) /usr/bin/python3 -m pytest -q tests/integration

asan: deps
	@cmake -S . -B $(ASAN_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=Debug -DRAMPART_SANITIZE=ON >/dev/null
	@cmake --build $(ASAN_DIR) -j $(JOBS)
	@cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS)
	@RAMPART_BIN=$(abspath $(ASAN_DIR)/rampart) RAMPART_SANITIZED=1 \
	  /usr/bin/python3 -m pytest -q tests/integration

fuzz: deps
	@CXX=clang++ cmake -S . -B $(FUZZ_DIR) $(CMAKE_FLAGS) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMPART_FUZZ=ON >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)
	@bash scripts/run-fuzzers.sh $(FUZZ_DIR) $${FUZZ_SECONDS:-30}

test: build
	@bash scripts/run-tests.sh

# The chaos suite in its long form, then its figures into docs/resilience.md.
chaos: build
	@rm -rf build/chaos
	@CHAOS_LONG=1 RAMPART_BIN=$(abspath $(BUILD_DIR)/rampart) /usr/bin/python3 -m pytest -q \
	  -p no:cacheprovider tests/chaos; status=$$?; \
	  /usr/bin/python3 scripts/chaos-report.py; exit $$status

bench: build
	@bash bench/run.sh $(BUILD_DIR)/rampart
	@bash bench/firewall.sh $(BUILD_DIR)/rampart
	@bash bench/origins.sh $(BUILD_DIR)/rampart
	@bash bench/cache.sh $(BUILD_DIR)/rampart
	@bash bench/tls.sh $(BUILD_DIR)/rampart
	@bash bench/ratelimit.sh $(BUILD_DIR)/rampart
	@bash bench/ddos.sh $(BUILD_DIR)/rampart
	@RAMPART_WAF_CONFIG=bench/waf_rampart.yaml bash bench/waf.sh $(BUILD_DIR)/rampart
	@bash bench/micro.sh $(BUILD_DIR)/rampart_micro_bench

format:
	@find src tests -name '*.cc' -o -name '*.h' | xargs clang-format -i

clean:
	@rm -rf build
