# SPDX-License-Identifier: MIT
# dom0-tools/pvstored/module.mk: the xenstore daemon.

CFLAGS_dom0-tools/pvstored/ := -Idom0-tools/pvstored $(PVCTRL_INC) $(PVD_INC)
CFLAGS_tests/unit/ += -Idom0-tools/pvstored -Idom0-tools/libxenstore/include

# Everything but main and the libpvctrl glue: the unit tests link these.
STORE_SRCS := dom0-tools/pvstored/store_tree.c \
	dom0-tools/pvstored/store_watch.c dom0-tools/pvstored/store_txn.c \
	dom0-tools/pvstored/store_wire.c dom0-tools/pvstored/store_conn.c
STORE_OBJS := $(STORE_SRCS:%.c=$(BUILD)/%.o)
PVSTORED_OBJS := $(BUILD)/dom0-tools/pvstored/store_main.o \
	$(BUILD)/dom0-tools/pvstored/store_host.o $(STORE_OBJS)

$(BUILD)/bin/pvstored: $(PVSTORED_OBJS) $(PVCTRL_OBJS) $(PVMGMT_OBJ) $(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c

BINS += $(BUILD)/bin/pvstored
