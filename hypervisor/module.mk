# SPDX-License-Identifier: MIT
# hypervisor/module.mk: the pvisor daemon.
HV_SRCS := $(filter-out hypervisor/main.c,$(wildcard hypervisor/*.c)) \
	$(wildcard hypervisor/platform/*.c)
HV_LIB_OBJS := $(HV_SRCS:%.c=$(BUILD)/%.o)
# pvisor enters libpvdaemon's sandbox (main.c; each vCPU thread: hv_vcpu.c).
CFLAGS_hypervisor/ += -Idom0-tools/libpvdaemon/include

# The proc platform's stub: a static program linked in pvisor's slot 255,
# carried inside pvisor (proc_stub_blob.S) and run from a sealed memfd.
PROC_STUB_DIR := $(BUILD)/hypervisor/platform
$(PROC_STUB_DIR)/proc_stub.o: hypervisor/platform/proc_stub.S \
		hypervisor/platform/proc_stub.h
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) -c -o $@ $<
$(PROC_STUB_DIR)/proc_stub.elf: $(PROC_STUB_DIR)/proc_stub.o
	@$(if $(Q),echo "  LD      $@")
	$(Q)ld -static -nostdlib -z noexecstack -z max-page-size=4096 \
		-Ttext=0x7fe000000000 -e _start -o $@ $<
$(PROC_STUB_DIR)/proc_stub_blob.o: hypervisor/platform/proc_stub_blob.S \
		$(PROC_STUB_DIR)/proc_stub.elf
	@$(if $(Q),echo "  AS      $<")
	$(Q)$(CC) -c -DSTUB_ELF='"$(PROC_STUB_DIR)/proc_stub.elf"' -o $@ $<
HV_LIB_OBJS += $(PROC_STUB_DIR)/proc_stub_blob.o

$(BUILD)/bin/pvisor: $(BUILD)/hypervisor/main.o $(HV_LIB_OBJS) $(PVMGMT_OBJ) \
		$(BUILD)/dom0-tools/libpvdaemon/pvd_sandbox.o \
		$(BUILD)/dom0-tools/libpvdaemon/pvd_profiles.o \
		$(BUILD)/dom0-tools/libpvdaemon/pvd_daemon.o \
		$(BUILD)/dom0-tools/libpvdaemon/pvd_log.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c -lpthread

BINS += $(BUILD)/bin/pvisor
