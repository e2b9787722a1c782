# SPDX-License-Identifier: MIT
# Makefile: one non-recursive build for pvisor, dom0-tools, guest-kit and tests.
#
#   make            build everything into build/
#   make test       unit + integration tests (CUnit), one summary
#   make demo       start the host side and boot a demo guest
#   make bench      benchmarks (one table)
#   make asan       build host components with ASan/UBSan into build-asan/
#   make fuzz       build the libFuzzer harnesses (clang) into build-fuzz/ and
#                   run each for FUZZ_SECONDS (default 30) on its corpus
#   V=1             show full command lines

BUILD     ?= build
CC        ?= cc
HOST_CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror \
	-Wmissing-prototypes -Wshadow -Wno-unused-parameter \
	-MMD -MP -D_GNU_SOURCE -Iabi/include -I$(BUILD)/gen
SAN       ?=
ifeq ($(SAN),1)
HOST_CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
HOST_LDFLAGS_SAN := -fsanitize=address,undefined
endif
# make fuzz: coverage for libFuzzer, with ASan and UBSan, everywhere.
FUZZ      ?=
ifeq ($(FUZZ),1)
HOST_CFLAGS_BASE += -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined \
	-Wno-gnu-variable-sized-type-not-at-end
HOST_LDFLAGS_SAN := -fsanitize=address,undefined
endif
FUZZ_SECONDS ?= 30
HOST_CFLAGS  = $(HOST_CFLAGS_BASE) $(EXTRA_CFLAGS)
HOST_LDFLAGS = $(HOST_LDFLAGS_SAN) $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# Each module.mk appends to these.
BINS      :=
LIBS      :=
GUESTS    :=
TEST_BINS :=
GEN_HDRS  :=

all: build-all

include abi/module.mk
include hypervisor/module.mk
include dom0-tools/module.mk
include guest-kit/module.mk
include tests/guests/module.mk
include tests/bench/module.mk
include tests/module.mk
include tests/fuzz/module.mk

build-all: $(GEN_HDRS) $(LIBS) $(BINS) $(GUESTS) $(TEST_BINS)

# Generic host compile rule: build/<path>.o from <path>.c
$(BUILD)/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(HOST_CFLAGS) $(CFLAGS_$(dir $<)) -c $< -o $@

deps:
	$(Q)scripts/install-deps.sh

test: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)scripts/run-tests.sh $(BUILD)

demo: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)scripts/demo.sh $(BUILD)

bench: deps
	$(Q)$(MAKE) --no-print-directory build-all
	$(Q)scripts/bench.sh $(BUILD)

asan:
	$(Q)$(MAKE) --no-print-directory BUILD=build-asan SAN=1 build-all

fuzz: deps
	$(Q)$(MAKE) --no-print-directory BUILD=build-fuzz CC=clang FUZZ=1 \
		fuzz-build
	$(Q)scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

check-format:
	$(Q)scripts/check-format.sh

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all build-all deps test demo bench asan fuzz check-format clean

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
