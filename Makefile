# DataHealth: every task goes through this file. `make demo` and `make test` are the
# whole set-up on a fresh Debian machine with Swift 6.3: both install what is missing.

SWIFT         ?= swift
CONFIGURATION ?= debug
BUILD_FLAGS   ?=
FUZZ_SECONDS  ?= 60
BIN            = .build/$(CONFIGURATION)

.PHONY: all setup build generate check-generated test demo bench fuzz format lint clean help ckit

all: build

help:
	@echo "make demo             build, then run DataHealth's main job end to end"
	@echo "make test             every test (unit, interop, database, transport) and the generated-code check"
	@echo "make setup            install missing Debian packages (idempotent, quiet when all is there)"
	@echo "make build            build dh and dh-protoc"
	@echo "make generate         regenerate all generated code from Protos/"
	@echo "make check-generated  fail when committed generated code is stale"
	@echo "make ckit             the C client kit (libdhrpc, dh-gateway-example) into .build/ckit"
	@echo "make bench            benchmarks against the named peers (Benchmarks/)"
	@echo "make fuzz             libFuzzer targets, FUZZ_SECONDS each (default 60)"
	@echo "make format / lint    swift-format with .swift-format"
	@echo "make clean            remove build output and local clusters"

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c $(CONFIGURATION) $(BUILD_FLAGS)

generate: build
	@bash scripts/generate.sh $(BIN)/dh-protoc

check-generated: build
	@bash scripts/check-generated.sh $(BIN)/dh-protoc

# One build of everything (products and tests), then the generated-code check and
# the tests, which Swift Testing runs in parallel.
test: setup
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	@bash scripts/check-generated.sh .build/debug/dh-protoc
	@bash scripts/test.sh $(BUILD_FLAGS)

demo: setup
	$(SWIFT) build -c release $(BUILD_FLAGS)
	@bash scripts/demo.sh .build/release

ckit: setup
	$(MAKE) -C deploy/clients/c BUILD=$(CURDIR)/.build/ckit

bench: setup
	@bash scripts/bench.sh

fuzz: setup
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

format:
	$(SWIFT) format --in-place --recursive --parallel Package.swift Sources Codegen Tests Benchmarks/Package.swift Benchmarks/Benchmarks Fuzz

lint:
	$(SWIFT) format lint --strict --recursive --parallel Package.swift Sources Codegen Tests Benchmarks/Package.swift Benchmarks/Benchmarks Fuzz

clean:
	rm -rf .build .build-* Benchmarks/.build var
