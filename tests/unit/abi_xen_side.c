// SPDX-License-Identifier: MIT
/* abi_xen_side.c: ABI facts as Xen's own public headers state them. */
/*
 * Compiled against the libxen-dev headers in /usr/include/xen. Our headers
 * use the same names, so they live in abi_our_side.c; test_abi.c compares
 * the two tables.
 */
/* Tools view: latest interface, including the toolstack-only numbers. */
#define __XEN_TOOLS__ 1

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ring.h leaves the barriers to its user. */
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

#include <xen/xen.h>
#include <xen/errno.h>
#include <xen/elfnote.h>
#include <xen/sched.h>
#include <xen/vcpu.h>
#include <xen/event_channel.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/callback.h>
#include <xen/grant_table.h>
#include <xen/arch-x86/hvm/start_info.h>
#include <xen/io/ring.h>
#include <xen/io/console.h>
#include <xen/io/xs_wire.h>
#include <xen/io/xenbus.h>
#include <xen/io/protocols.h>
#include <xen/io/blkif.h>
#include <xen/io/netif.h>

#define ABI_SIDE_XEN
#include "abi_layout.h"

const struct abi_layout_entry abi_layout_xen[] = {
#include "abi_layout_list.inc"
    { 0, NULL, 0 }
};

#define ABI_RUNTIME_FN abi_runtime_xen
#define ABI_STRINGS_FN abi_strings_xen
#include "abi_runtime_script.inc"
