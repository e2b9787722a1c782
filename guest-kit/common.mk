# SPDX-License-Identifier: MIT
# common.mk: guest-kit toolchain flags and sources, shared by module.mk and
# guest.mk. Set GK_SRCDIR first: "" from the top Makefile, or the pvisor
# source tree with a trailing slash.

GK_CC ?= $(CC)
GK_LD ?= ld
GK_AR ?= ar

# Freestanding x86_64 at CPL3: no red zone (pvisor and the CPU push frames
# on the current stack at any instruction), no SSE (upcalls and traps do not
# save it), small code model: linked at 1 GiB (PV_GUESTKIT_VIRT_BASE).
GK_CFLAGS = -std=gnu11 -O2 -g -ffreestanding -fno-builtin -nostdlib \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone -mgeneral-regs-only \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-fcf-protection=none -Wall -Wextra -Werror -Wmissing-prototypes \
	-Wshadow -MMD -MP \
	-I$(GK_SRCDIR)abi/include -I$(GK_SRCDIR)guest-kit/include

GK_LDS = $(GK_SRCDIR)guest-kit/arch/x86_64/guest.lds
GK_LDFLAGS = -static -nostdlib -z max-page-size=4096 -T $(GK_LDS)

GK_LIB_SRCS = $(GK_SRCDIR)guest-kit/arch/x86_64/head.S \
	$(GK_SRCDIR)guest-kit/arch/x86_64/entry.S \
	$(wildcard $(GK_SRCDIR)guest-kit/kernel/*.c) \
	$(wildcard $(GK_SRCDIR)guest-kit/lib/*.c) \
	$(wildcard $(GK_SRCDIR)guest-kit/drivers/*.c) \
	$(wildcard $(GK_SRCDIR)guest-kit/net/*.c)
