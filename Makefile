# mmucheck: the README's two commands.
#   make run   set up, build in release mode, run `mmucheck check` on the built-in specs
#   make test  set up, build, run the test suites
SWIFT ?= swift

.PHONY: run test setup build bench

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product mmucheck

run: build
	.build/release/mmucheck check specs

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: build
	.build/release/mmucheck bench
