# SPDX-License-Identifier: MIT
# dom0-tools/backends/netback.mk: pv-netback, the network backend daemon.

CFLAGS_dom0-tools/backends/ += $(XS_INC)

# The ring engine needs neither pvisor nor a TAP: the unit tests link it.
NETBACK_CORE_OBJS := $(BUILD)/dom0-tools/backends/netback_ring.o
NETBACK_OBJS := $(BUILD)/dom0-tools/backends/netback_main.o \
	$(BUILD)/dom0-tools/backends/netback_vif.o \
	$(BUILD)/dom0-tools/backends/netback_tap.o \
	$(BUILD)/dom0-tools/backends/be_common.o \
	$(BUILD)/dom0-tools/backends/be_xs.o $(NETBACK_CORE_OBJS)

$(BUILD)/bin/pv-netback: $(NETBACK_OBJS) $(PVCTRL_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ) $(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c -lpthread

# The guest IP stack's parsing, built for the host (tests/unit/test_netback.c).
GK_NET_HOST_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(filter-out \
	guest-kit/net/glue.c,$(wildcard guest-kit/net/*.c)))
CFLAGS_guest-kit/net/ := -Iguest-kit/include -ffreestanding
CFLAGS_tests/unit/ += -Iguest-kit/include -Iguest-kit/net

$(BUILD)/tests/unit-tests: $(NETBACK_CORE_OBJS) $(GK_NET_HOST_OBJS)

BINS += $(BUILD)/bin/pv-netback

# The host side of the network bench (tests/bench/net.sh).
$(BUILD)/bench/net-host: $(BUILD)/tests/bench/net_host.o
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^

BINS += $(BUILD)/bench/net-host
