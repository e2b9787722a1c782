# SPDX-License-Identifier: MIT
# tests/bench/module.mk: `make bench` programs (built by build-all, run by
# scripts/bench.sh): the bench guest, rawexit, compute-native, pvbench and
# the dom0 ends of the inter-domain rows (evtchn-echo, xsread, gntmap).
BENCH_DIR := $(BUILD)/bench

# The bench guest: bench_guest.c + compute.c against libguestkit.
BENCH_GUEST_OBJS := $(BUILD)/guest/tests/bench/bench_guest.o \
	$(BUILD)/guest/tests/bench/compute.o

$(BENCH_DIR)/bench-guest.elf: $(BENCH_GUEST_OBJS) $(GK_LIB) $(GK_LDS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GK-LD   $@")
	$(Q)$(GK_LD) $(GK_LDFLAGS) -o $@ $(BENCH_GUEST_OBJS) $(GK_LIB)

# The host copy of the compute kernel gets the guest's code-generation
# flags (no red zone, general registers only, no builtins) and is linked
# without PIE, so its table is addressed as in the guest (absolute disp32
# plus index, not base register plus index): guest and host then run the
# same instruction sequence. (A PIE build measured ~6% slower here.)
BENCH_NATIVE_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin \
	-fno-pie -mno-red-zone -mgeneral-regs-only -fno-stack-protector \
	-fcf-protection=none -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wshadow -MMD -MP

$(BENCH_DIR)/compute-native.o: tests/bench/compute.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(BENCH_NATIVE_CFLAGS) -c $< -o $@

$(BENCH_DIR)/compute-native: $(BUILD)/tests/bench/compute_native.o \
		$(BENCH_DIR)/compute-native.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -no-pie -o $@ $^

$(BENCH_DIR)/rawexit: $(BUILD)/tests/bench/rawexit.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

# The proc platform's raw mechanism (PTRACE_SYSEMU round trip).
$(BENCH_DIR)/rawtrace: $(BUILD)/tests/bench/rawtrace.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

CFLAGS_tests/bench/ := -Itests/bench $(PVCTRL_INC) $(PVGUEST_INC) $(XS_INC)

$(BENCH_DIR)/pvbench: $(BUILD)/tests/bench/pvbench.o $(PVCTRL_OBJS) \
		$(PVGUEST_OBJS) $(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c

$(BENCH_DIR)/evtchn-echo: $(BUILD)/tests/bench/evtchn_echo.o $(PVCTRL_OBJS) \
		$(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c

$(BENCH_DIR)/gntmap: $(BUILD)/tests/bench/gnt_map.o $(PVCTRL_OBJS) \
		$(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c

$(BENCH_DIR)/xsread: $(BUILD)/tests/bench/xs_read.o $(XS_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lpthread

BENCH_DOM0_BINS := $(BENCH_DIR)/evtchn-echo $(BENCH_DIR)/gntmap \
	$(BENCH_DIR)/xsread
BENCH_BINS := $(BENCH_DIR)/bench-guest.elf $(BENCH_DIR)/compute-native \
	$(BENCH_DIR)/rawexit $(BENCH_DIR)/rawtrace $(BENCH_DIR)/pvbench \
	$(BENCH_DOM0_BINS)
GUESTS += $(BENCH_DIR)/bench-guest.elf
BINS += $(BENCH_DIR)/compute-native $(BENCH_DIR)/rawexit $(BENCH_DIR)/rawtrace \
	$(BENCH_DIR)/pvbench \
	$(BENCH_DOM0_BINS)

bench-bins: $(BENCH_BINS)
.PHONY: bench-bins
