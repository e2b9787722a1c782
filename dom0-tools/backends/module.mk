# SPDX-License-Identifier: MIT
# dom0-tools/backends/module.mk: the split-driver backends.

CFLAGS_dom0-tools/backends/ := -Idom0-tools/backends $(PVCTRL_INC) $(PVD_INC)
CFLAGS_tests/unit/ += -Idom0-tools/backends

# pv-consoled. cons_core.c is pure (ring, history, protocol): the unit
# tests link it.
CONS_CORE_OBJS := $(BUILD)/dom0-tools/backends/cons_core.o
PVCONSOLED_OBJS := $(BUILD)/dom0-tools/backends/consoled.o \
	$(BUILD)/dom0-tools/backends/cons_dom.o \
	$(BUILD)/dom0-tools/backends/be_common.o $(CONS_CORE_OBJS)

$(BUILD)/bin/pv-consoled: $(PVCONSOLED_OBJS) $(PVCTRL_OBJS) $(PVMGMT_OBJ) \
		$(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c

$(BUILD)/tests/unit-tests: $(CONS_CORE_OBJS) $(PVD_OBJS) \
	$(BUILD)/dom0-tools/backends/be_xs.o $(BUILD)/dom0-tools/backends/be_common.o

BINS += $(BUILD)/bin/pv-consoled

# pv-blkback (its own fragment).
include dom0-tools/backends/blkback.mk

# pv-netback (its own fragment).
include dom0-tools/backends/netback.mk

# pv-skelback, the tutorial's example backend (its own fragment).
include dom0-tools/backends/skelback.mk
