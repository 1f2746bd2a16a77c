# Thin wrapper over meson/ninja.  `make demo` and `make check` do all the set-up on a fresh
# Debian 12 machine: install missing packages, configure, build, then run.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz

.PHONY: all deps build demo check test asan fuzz fuzz-smoke bench format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

demo: build
	scripts/demo.sh $(BUILD)

test: build
	scripts/run-tests.sh $(BUILD)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false -Dbench=false

asan: deps $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	scripts/run-tests.sh $(ASAN_BUILD)

$(FUZZ_BUILD)/build.ninja:
	CC=clang meson setup $(FUZZ_BUILD) -Dfuzz=true -Dtests=false -Dbench=false \
		-Db_sanitize=address,undefined -Db_lundef=false \
		-Dc_args=-fsanitize=fuzzer-no-link

fuzz: deps $(FUZZ_BUILD)/build.ninja
	ninja -C $(FUZZ_BUILD)

fuzz-smoke: fuzz
	scripts/fuzz-smoke.sh $(FUZZ_BUILD)

# Every test: the suite, the suite again under ASan+UBSan, and a short run of every fuzzer.
check: build
	scripts/run-tests.sh $(BUILD)
	$(MAKE) --no-print-directory asan
	$(MAKE) --no-print-directory fuzz-smoke
	@scripts/summary.sh $(BUILD) $(ASAN_BUILD)

bench: build
	scripts/bench.sh $(BUILD)

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
