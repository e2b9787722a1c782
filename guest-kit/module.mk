# SPDX-License-Identifier: MIT
# guest-kit/module.mk: libguestkit.a and the example guests (freestanding).
GK_SRCDIR :=
include guest-kit/common.mk

# Guest objects live under $(BUILD)/guest/ and never use the host rule.
GK_LIB_OBJS := $(patsubst %,$(BUILD)/guest/%.o,$(basename $(GK_LIB_SRCS)))
GK_LIB := $(BUILD)/lib/libguestkit.a
GK_EXAMPLES := hello ticker smp bad-insn bad-ptr vchan-server vchan-client \
	xs-demo echo
GK_EXAMPLES += blkcheck
GK_EXAMPLES += pingd
GK_EXAMPLES += skelfront

$(BUILD)/guest/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GK-CC   $<")
	$(Q)$(GK_CC) $(GK_CFLAGS) -c $< -o $@

$(BUILD)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GK-AS   $<")
	$(Q)$(GK_CC) $(GK_CFLAGS) -c $< -o $@

$(GK_LIB): $(GK_LIB_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(GK_AR) rcs $@ $^

define GK_EXAMPLE_RULE
$(BUILD)/guests/$(1).elf: $(BUILD)/guest/guest-kit/examples/$(1).o \
		$(GK_LIB) $(GK_LDS)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  GK-LD   $$@")
	$$(Q)$$(GK_LD) $$(GK_LDFLAGS) -o $$@ $$< $(GK_LIB)
endef
$(foreach e,$(GK_EXAMPLES),$(eval $(call GK_EXAMPLE_RULE,$(e))))

LIBS += $(GK_LIB)
GUESTS += $(GK_EXAMPLES:%=$(BUILD)/guests/%.elf)

guest-kit: $(GK_LIB) $(GK_EXAMPLES:%=$(BUILD)/guests/%.elf)
.PHONY: guest-kit
