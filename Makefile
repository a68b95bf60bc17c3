# mmucheck: the README's two commands.
#   make run   set up, build in release mode, run `mmucheck check` on the built-in specs
#   make test  set up, build, run the test suites
#   make fuzz  the test suite's fuzz campaign, 20 times longer
SWIFT ?= swift

.PHONY: run test setup build bench fuzz

setup:
	@bash scripts/setup.sh

build: setup
	$(SWIFT) build -c release --product mmucheck

run: build
	.build/release/mmucheck check specs

# The tests run optimised (with -enable-testing for @testable imports): the explorer-heavy
# suites take a fraction of their debug time, and the CLI tests run an optimised binary.
TEST_FLAGS = -c release -Xswiftc -enable-testing

test: setup
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	$(SWIFT) test $(TEST_FLAGS) --skip-build

bench: build
	.build/release/mmucheck bench

# The fuzz campaign of the test suite, 20 times longer (before a release).
fuzz: setup
	$(SWIFT) build $(TEST_FLAGS) --build-tests
	MMUCHECK_FUZZ_SCALE=20 $(SWIFT) test $(TEST_FLAGS) --skip-build --filter FuzzTests
