# The two commands in the README: `make serve` and `make test`. Both install what they need first.
SHELL := /bin/bash
PORT ?= 9090
SWIFT ?= swift
VENV := .venv
PEERS := .build/peers
APT_PACKAGES := libev-dev libthrift-dev thrift-compiler libboost-dev libevent-dev zlib1g-dev python3-venv g++ make prometheus

.PHONY: serve test deps venv peers build swift-test integration-test c-checks example-dynamic perf clean fuzz

# Debian packages, installed only when missing (apt-get needs root: CI and the dev machines are root).
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing: $$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Python peers: the `thrift` library and baseplate.py's own tools, in a venv.
venv: $(VENV)/.installed
$(VENV)/.installed: Tests/Integration/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -r Tests/Integration/requirements.txt
	touch $@

build: deps
	$(SWIFT) build -c release

serve: build
	.build/release/baseplate-serve example/example.ini --bind 127.0.0.1:$(PORT)

# C++ peers built against Debian's libthrift: golden bytes and a client.
peers: deps
	$(MAKE) -C Tests/Peers OUT=$(CURDIR)/$(PEERS)

# venv first: the Swift tests' Python oracles (baseplate.py, CPython) then run instead of skipping.
swift-test: deps peers venv
	BPIO_PEERS=$(CURDIR)/$(PEERS) $(SWIFT) test

# The example app as a shared library, linked against (not embedding) the framework: loaded by
# baseplate-serve for `factory = ExampleDynamic:make_processor`.
RELEASE := .build/release
example-dynamic: build
	swiftc -emit-library -parse-as-library -O -module-name ExampleDynamic \
	  -o $(RELEASE)/libExampleDynamic.so example/Dynamic/ExampleDynamic.swift \
	  -I $(RELEASE)/Modules -Xcc -fmodule-map-file=$(RELEASE)/CBaseplateIO.build/module.modulemap \
	  -Xcc -ISources/CBaseplateIO/include -Xcc -fmodule-map-file=Sources/CLibev/module.modulemap

integration-test: build example-dynamic peers venv
	BASEPLATE_SERVE=$(CURDIR)/.build/release/baseplate-serve BPIO_PEERS=$(CURDIR)/$(PEERS) \
	  $(VENV)/bin/python -m pytest -q Tests/Integration

# The C core, the fuzz targets and the perf harness are C11 and warning-free under -Wall -Wextra
# -Wpedantic (gcc and clang); every symbol the core exports carries the bpio_ prefix.
C_SOURCES := $(wildcard Sources/CBaseplateIO/*.c) $(wildcard fuzz/c/*.c) $(wildcard perf/*.c)
c-checks: deps build
	@for cc in gcc clang; do \
	  $$cc -std=c11 -Wall -Wextra -Wpedantic -Werror -ISources/CBaseplateIO/include -fsyntax-only $(C_SOURCES) || exit 1; \
	done
	@bad=$$(nm -g --defined-only .build/release/CBaseplateIO.build/*.o | awk 'NF==3 && $$3 !~ /^bpio_/ {print $$3}'); \
	if [ -n "$$bad" ]; then echo "exported C symbols without the bpio_ prefix: $$bad"; exit 1; fi
	@echo "C checks: warning-free, bpio_ prefix on every exported symbol"

# libFuzzer targets (fuzz/README.md), FUZZ_SECONDS each (default 60); fails on any finding.
fuzz: deps
	fuzz/run

test: c-checks swift-test integration-test fuzz

perf: build
	perf/run

clean:
	rm -rf .build .build-fuzz $(VENV)
