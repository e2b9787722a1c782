# SPDX-License-Identifier: MIT
# tests/guests/module.mk: guests used only by the tests (guest-kit based).
TEST_GUESTS := fuzz gnttab-self xs-loop remap hcalls clock spin balloon hotplug hostile flood slot255 saver

define TEST_GUEST_RULE
$(BUILD)/guests/$(1).elf: $(BUILD)/guest/tests/guests/$(1).o \
		$(GK_LIB) $(GK_LDS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  GK-LD   $$@")
	$$(Q)$$(GK_LD) $$(GK_LDFLAGS) -o $$@ $$< $(GK_LIB)
endef
$(foreach e,$(TEST_GUESTS),$(eval $(call TEST_GUEST_RULE,$(e))))

GUESTS += $(TEST_GUESTS:%=$(BUILD)/guests/%.elf)
