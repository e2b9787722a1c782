# SPDX-License-Identifier: MIT
# tests/fuzz/module.mk: libFuzzer harnesses over every untrusted input.
#
# Built only by `make fuzz` (BUILD=build-fuzz CC=clang FUZZ=1): every
# object gets libFuzzer's coverage instrumentation with ASan and UBSan.
# docs/security.md lists what each harness feeds and its latest figures.

FUZZ_TARGETS := store_socket store_ring elf cfg mgmt hypercall blkback \
	netback
FUZZ_BINS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)

CFLAGS_tests/fuzz/ := -Itests/fuzz -Idom0-tools/pvstored -Idom0-tools/backends \
	-Idom0-tools/pvctl $(PVCTRL_INC) $(PVGUEST_INC) $(XS_INC)

FUZZ_LIBS := -lprotobuf-c -lpthread -lseccomp

$(BUILD)/fuzz/fuzz_store_socket: $(BUILD)/tests/fuzz/fuzz_store_socket.o \
	$(STORE_OBJS) $(PVD_OBJS)
$(BUILD)/fuzz/fuzz_store_ring: $(BUILD)/tests/fuzz/fuzz_store_ring.o \
	$(STORE_OBJS) $(PVD_OBJS)
$(BUILD)/fuzz/fuzz_elf: $(BUILD)/tests/fuzz/fuzz_elf.o $(PVGUEST_OBJS)
$(BUILD)/fuzz/fuzz_cfg: $(BUILD)/tests/fuzz/fuzz_cfg.o $(PVCTL_LIB_OBJS) \
	$(PVCTRL_OBJS) $(PVGUEST_OBJS) $(XS_OBJS) $(PVMGMT_OBJ)
$(BUILD)/fuzz/fuzz_mgmt: $(BUILD)/tests/fuzz/fuzz_mgmt.o $(HV_LIB_OBJS) \
	$(PVMGMT_OBJ) $(PVD_OBJS)
$(BUILD)/fuzz/fuzz_hypercall: $(BUILD)/tests/fuzz/fuzz_hypercall.o \
	$(BUILD)/tests/unit/fake_domain.o $(BUILD)/tests/unit/fake_platform.o \
	$(HV_LIB_OBJS) $(PVMGMT_OBJ) $(PVD_OBJS)
$(BUILD)/fuzz/fuzz_blkback: $(BUILD)/tests/fuzz/fuzz_blkback.o \
	$(BLKBACK_CORE_OBJS) $(BUILD)/dom0-tools/backends/be_common.o $(PVD_OBJS)
$(BUILD)/fuzz/fuzz_netback: $(BUILD)/tests/fuzz/fuzz_netback.o \
	$(NETBACK_CORE_OBJS) $(BUILD)/dom0-tools/backends/be_common.o $(PVD_OBJS)

$(FUZZ_BINS):
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

fuzz-build: $(GEN_HDRS) $(FUZZ_BINS)

.PHONY: fuzz-build
