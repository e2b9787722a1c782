# SPDX-License-Identifier: MIT
# dom0-tools/module.mk: libpvctrl, libpvguest, pvctl and the pvhost script.

# The libxenstore shim first: pvctl links it.
include dom0-tools/libxenstore/module.mk
# What every daemon links (its sandbox).
include dom0-tools/libpvdaemon/module.mk

PVCTRL_INC := -Idom0-tools/libpvctrl/include -Idom0-tools/libpvctrl
PVGUEST_INC := -Idom0-tools/libpvguest/include -Idom0-tools/libpvguest

CFLAGS_dom0-tools/libpvctrl/ := $(PVCTRL_INC)
CFLAGS_dom0-tools/libpvguest/ := $(PVGUEST_INC)
CFLAGS_dom0-tools/pvctl/ := -Idom0-tools/pvctl $(PVCTRL_INC) $(PVGUEST_INC) \
	$(XS_INC)
# The unit tests include the public headers and cfg.h.
CFLAGS_tests/unit/ += -Idom0-tools/pvctl $(PVCTRL_INC) $(PVGUEST_INC)

PVCTRL_SRCS := dom0-tools/libpvctrl/pvc_conn.c dom0-tools/libpvctrl/pvc_ops.c \
	dom0-tools/libpvctrl/pvc_evtchn.c dom0-tools/libpvctrl/pvc_gnttab.c \
	dom0-tools/libpvctrl/pvc_obs.c dom0-tools/libpvctrl/pvc_save.c
PVGUEST_SRCS := dom0-tools/libpvguest/pvg_elf.c \
	dom0-tools/libpvguest/pvg_notes.c \
	dom0-tools/libpvguest/pvg_layout.c
PVCTL_LIB_SRCS := dom0-tools/pvctl/cfg.c dom0-tools/pvctl/cfg_domain.c \
	dom0-tools/pvctl/pvctl_util.c \
	dom0-tools/pvctl/cmd_create.c dom0-tools/pvctl/cmd_domain.c \
	dom0-tools/pvctl/cmd_list.c dom0-tools/pvctl/cmd_console.c \
	dom0-tools/pvctl/cmd_host.c \
	dom0-tools/pvctl/consoled_client.c dom0-tools/pvctl/cmd_store.c \
	dom0-tools/pvctl/pvctl_store.c dom0-tools/pvctl/dev_disk.c \
	dom0-tools/pvctl/dev_vif.c dom0-tools/pvctl/obs_parse.c \
	dom0-tools/pvctl/cmd_top.c dom0-tools/pvctl/cmd_trace.c \
	dom0-tools/pvctl/cmd_vcpu.c dom0-tools/pvctl/cmd_mem.c \
	dom0-tools/pvctl/cmd_save.c dom0-tools/pvctl/save_image.c \
	dom0-tools/pvctl/cmd_migrate.c

PVCTRL_OBJS := $(PVCTRL_SRCS:%.c=$(BUILD)/%.o)
PVGUEST_OBJS := $(PVGUEST_SRCS:%.c=$(BUILD)/%.o)
PVCTL_LIB_OBJS := $(PVCTL_LIB_SRCS:%.c=$(BUILD)/%.o)
PVCTL_OBJS := $(BUILD)/dom0-tools/pvctl/pvctl.o $(PVCTL_LIB_OBJS)

$(BUILD)/lib/libpvctrl.a: $(PVCTRL_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/lib/libpvguest.a: $(PVGUEST_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(BUILD)/bin/pvctl: $(PVCTL_OBJS) $(PVCTRL_OBJS) $(PVGUEST_OBJS) $(XS_OBJS) \
		$(PVMGMT_OBJ)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(HOST_LDFLAGS) -o $@ $^ -lprotobuf-c -lpthread

$(BUILD)/bin/pvhost: dom0-tools/pvhost
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  INSTALL $@")
	$(Q)cp $< $@ && chmod 0755 $@

LIBS += $(BUILD)/lib/libpvctrl.a $(BUILD)/lib/libpvguest.a
BINS += $(BUILD)/bin/pvctl $(BUILD)/bin/pvhost

# The xenstore daemon (after libpvctrl, which it links).
include dom0-tools/pvstored/module.mk

# Split-driver backends (pv-consoled, ...).
include dom0-tools/backends/module.mk
