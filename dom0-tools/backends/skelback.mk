# SPDX-License-Identifier: MIT
# dom0-tools/backends/skelback.mk: pv-skelback, the example backend of the
# tutorial in docs/split-drivers.md (its frontend: guest-kit skelfront).

SKELBACK_OBJS := $(BUILD)/dom0-tools/backends/skelback.o \
	$(BUILD)/dom0-tools/backends/be_common.o \
	$(BUILD)/dom0-tools/backends/be_xs.o

$(BUILD)/bin/pv-skelback: $(SKELBACK_OBJS) $(PVCTRL_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ) $(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c -lpthread

BINS += $(BUILD)/bin/pv-skelback
