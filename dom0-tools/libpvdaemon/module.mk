# SPDX-License-Identifier: MIT
# dom0-tools/libpvdaemon/module.mk: what every pvisor daemon links (the
# sandbox it enters after start-up, daemonize, pidfile, listening socket,
# the log-line format).

PVD_INC := -Idom0-tools/libpvdaemon/include
CFLAGS_dom0-tools/libpvdaemon/ := $(PVD_INC)
CFLAGS_tests/unit/ += $(PVD_INC)

PVD_SRCS := dom0-tools/libpvdaemon/pvd_sandbox.c \
	dom0-tools/libpvdaemon/pvd_daemon.c \
	dom0-tools/libpvdaemon/pvd_log.c \
	dom0-tools/libpvdaemon/pvd_profiles.c
PVD_OBJS := $(PVD_SRCS:%.c=$(BUILD)/%.o)

# System call names for the SIGSYS log line, from the compiler's own
# <asm/unistd.h>.
$(BUILD)/gen/pvd_syscall_names.h:
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  GEN     $@")
	$(Q)echo '#include <asm/unistd.h>' | $(CC) -E -dM -x c - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$$/[\2] = "\1",/p' \
		| sort -t '[' -k2 -n > $@.tmp && mv $@.tmp $@
GEN_HDRS += $(BUILD)/gen/pvd_syscall_names.h

$(BUILD)/lib/libpvdaemon.a: $(PVD_OBJS)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

LIBS += $(BUILD)/lib/libpvdaemon.a
