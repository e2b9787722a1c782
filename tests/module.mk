# SPDX-License-Identifier: MIT
# tests/module.mk: CUnit unit and integration test programs.
# What both runners share.
TESTS_COMMON_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/common/*.c))

UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/%.o) $(TESTS_COMMON_OBJS)
# The ABI layout test compiles Xen's headers in their own file.
CFLAGS_tests/unit/ += -Itests/unit -Itests/common

# The store-client suite runs $(BUILD)/bin/pvstored.
$(BUILD)/tests/unit-tests: $(UNIT_OBJS) $(HV_LIB_OBJS) $(PVGUEST_OBJS) \
		$(PVCTRL_OBJS) $(PVCTL_LIB_OBJS) $(STORE_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ) | $(BUILD)/bin/pvstored
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcunit -lprotobuf-c -lpthread

INTEG_SRCS := $(wildcard tests/integration/*.c)
INTEG_OBJS := $(INTEG_SRCS:%.c=$(BUILD)/%.o) $(TESTS_COMMON_OBJS)
CFLAGS_tests/integration/ := -Itests/integration -Itests/common \
	-Idom0-tools/libpvctrl/include

$(BUILD)/tests/integration-tests: $(INTEG_OBJS) $(PVCTRL_OBJS) $(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lcunit -lprotobuf-c -lpthread

TEST_BINS += $(BUILD)/tests/unit-tests
ifneq ($(INTEG_SRCS),)
TEST_BINS += $(BUILD)/tests/integration-tests
endif
