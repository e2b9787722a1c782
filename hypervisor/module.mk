# SPDX-License-Identifier: MIT
# hypervisor/module.mk: the pvisor daemon.
HV_SRCS := $(filter-out hypervisor/main.c,$(wildcard hypervisor/*.c)) \
	$(wildcard hypervisor/platform/*.c)
HV_LIB_OBJS := $(HV_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/bin/pvisor: $(BUILD)/hypervisor/main.o $(HV_LIB_OBJS) $(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c -lpthread

BINS += $(BUILD)/bin/pvisor
