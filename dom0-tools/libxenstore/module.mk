# SPDX-License-Identifier: MIT
# dom0-tools/libxenstore/module.mk: the libxenstore-compatible client.

XS_INC := -Idom0-tools/libxenstore/include
CFLAGS_dom0-tools/libxenstore/ := $(XS_INC)

XS_SRCS := dom0-tools/libxenstore/xs.c dom0-tools/libxenstore/xs_perms.c \
	dom0-tools/libxenstore/xs_util.c
XS_OBJS := $(XS_SRCS:%.c=$(BUILD)/%.o)

$(BUILD)/lib/libxenstore.a: $(XS_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS += $(BUILD)/lib/libxenstore.a
