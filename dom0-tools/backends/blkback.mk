# SPDX-License-Identifier: MIT
# dom0-tools/backends/blkback.mk: pv-blkback, the block backend daemon.

CFLAGS_dom0-tools/backends/ += -Idom0-tools/backends $(PVCTRL_INC) $(XS_INC)

# The ring engine needs neither pvisor nor io_uring: the unit tests link it.
BLKBACK_CORE_SRCS := dom0-tools/backends/blkback_ring.c \
	dom0-tools/backends/blkback_dev.c
BLKBACK_CORE_OBJS := $(BLKBACK_CORE_SRCS:%.c=$(BUILD)/%.o)
BLKBACK_OBJS := $(BUILD)/dom0-tools/backends/blkback_main.o \
	$(BUILD)/dom0-tools/backends/blkback_vbd.o \
	$(BUILD)/dom0-tools/backends/blkback_io.o \
	$(BUILD)/dom0-tools/backends/be_common.o \
	$(BUILD)/dom0-tools/backends/be_worker.o \
	$(BUILD)/dom0-tools/backends/be_xs.o $(BLKBACK_CORE_OBJS)

$(BUILD)/bin/pv-blkback: $(BLKBACK_OBJS) $(PVCTRL_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ) $(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -luring -lprotobuf-c -lpthread

$(BUILD)/tests/unit-tests: $(BLKBACK_CORE_OBJS)

BINS += $(BUILD)/bin/pv-blkback

# The host O_DIRECT baseline of the block bench (tests/bench/blk.sh).
$(BUILD)/bench/blk-host: $(BUILD)/tests/bench/blk_host.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -luring

BINS += $(BUILD)/bench/blk-host
