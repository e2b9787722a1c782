# SPDX-License-Identifier: MIT
# guest.mk: build a guest kernel from your own C file(s) with a main().
#
#   make -f guest-kit/guest.mk GUEST_SRC=mykernel.c OUT=mykernel.elf
#   make -f /path/to/pvisor/guest-kit/guest.mk GUEST_SRC=k.c OUT=k.elf
#   make -f guest.mk ... PVISOR_SRC=/path/to/pvisor  (explicit tree)
#
# The library is compiled into $(GK_OBJDIR) (default: build/guest-kit-user
# inside the pvisor tree) and linked with your objects at the PV virtual
# base. V=1 shows the commands.

GK_THIS_DIR := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
PVISOR_SRC ?= $(abspath $(GK_THIS_DIR)..)
override GK_SRCDIR := $(abspath $(PVISOR_SRC))/

ifeq ($(wildcard $(GK_SRCDIR)guest-kit/common.mk),)
$(error PVISOR_SRC=$(PVISOR_SRC) is not a pvisor source tree)
endif
include $(GK_SRCDIR)guest-kit/common.mk

ifeq ($(strip $(GUEST_SRC)),)
$(error set GUEST_SRC=yourkernel.c (and OUT=yourkernel.elf))
endif
OUT ?= $(basename $(firstword $(GUEST_SRC))).elf
GK_OBJDIR ?= $(GK_SRCDIR)build/guest-kit-user
EXTRA_GUEST_CFLAGS ?=

ifeq ($(V),1)
Q :=
else
Q := @
endif

GK_USER_OBJDIR := $(GK_OBJDIR)/user
GK_LIB_OBJS := $(patsubst $(GK_SRCDIR)%,$(GK_OBJDIR)/%.o,\
	$(basename $(GK_LIB_SRCS)))
GK_USER_OBJS := $(foreach s,$(GUEST_SRC),\
	$(GK_USER_OBJDIR)/$(basename $(subst /,_,$(abspath $(s)))).o)
GK_LIB := $(GK_OBJDIR)/libguestkit.a

all: $(OUT)

$(OUT): $(GK_USER_OBJS) $(GK_LIB) $(GK_LDS)
	@$(if $(Q),echo "  GK-LD   $@")
	$(Q)$(GK_LD) $(GK_LDFLAGS) -o $@ $(GK_USER_OBJS) $(GK_LIB)

$(GK_LIB): $(GK_LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(GK_AR) rcs $@ $^

$(GK_OBJDIR)/%.o: $(GK_SRCDIR)%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GK-CC   $(notdir $<)")
	$(Q)$(GK_CC) $(GK_CFLAGS) -c $< -o $@

$(GK_OBJDIR)/%.o: $(GK_SRCDIR)%.S
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GK-AS   $(notdir $<)")
	$(Q)$(GK_CC) $(GK_CFLAGS) -c $< -o $@

# One rule per user source (their paths may be anywhere).
define GK_USER_RULE
$(GK_USER_OBJDIR)/$(basename $(subst /,_,$(abspath $(1)))).o: $(1)
	@mkdir -p $$(dir $$@)
	@$$(if $$(Q),echo "  GK-CC   $(1)")
	$$(Q)$$(GK_CC) $$(GK_CFLAGS) $$(EXTRA_GUEST_CFLAGS) -c $$< -o $$@
endef
$(foreach s,$(GUEST_SRC),$(eval $(call GK_USER_RULE,$(s))))

clean:
	rm -f $(OUT) $(GK_USER_OBJS)

.PHONY: all clean
-include $(GK_LIB_OBJS:.o=.d) $(GK_USER_OBJS:.o=.d)
