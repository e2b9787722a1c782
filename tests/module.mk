# SPDX-License-Identifier: MIT
# tests/module.mk: CUnit unit and integration test programs.
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o)
# The ABI layout test compiles Xen's headers in their own file.
CFLAGS_tests/unit/ += -Itests/unit

# The store-client suite runs $(BUILD)/bin/pvstored.
$(BUILD)/tests/unit-tests: $(UNIT_OBJS) $(HV_LIB_OBJS) $(PVGUEST_OBJS) \
		$(PVCTRL_OBJS) $(PVCTL_LIB_OBJS) $(STORE_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ) | $(BUILD)/bin/pvstored
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcunit -lprotobuf-c -lpthread

INTEG_SRCS := $(wildcard tests/integration/*.c)
INTEG_OBJS := $(INTEG_SRCS:%.c=$(BUILD)/%.o)
CFLAGS_tests/integration/ := -Itests/integration -Idom0-tools/libpvctrl/include

$(BUILD)/tests/integration-tests: $(INTEG_OBJS) $(PVCTRL_OBJS) $(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcunit -lprotobuf-c -lpthread

TEST_BINS += $(BUILD)/tests/unit-tests
ifneq ($(INTEG_SRCS),)
TEST_BINS += $(BUILD)/tests/integration-tests
endif
