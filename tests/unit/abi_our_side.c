// SPDX-License-Identifier: MIT
/* abi_our_side.c: ABI facts as pvisor's own abi/ headers state them. */
#include <stddef.h>
#include <stdint.h>

#include <pvabi/xen.h>
#include <pvabi/errno.h>
#include <pvabi/elfnote.h>
#include <pvabi/sched.h>
#include <pvabi/vcpu.h>
#include <pvabi/event_channel.h>
#include <pvabi/memory.h>
#include <pvabi/version.h>
#include <pvabi/callback.h>
#include <pvabi/grant_table.h>
#include <pvabi/io/ring.h>
#include <pvabi/io/console.h>
#include <pvabi/io/xs_wire.h>
#include <pvabi/io/xenbus.h>
#include <pvabi/io/blkif.h>
#include <pvabi/io/netif.h>

#define ABI_SIDE_OURS
#include "abi_layout.h"

const struct abi_layout_entry abi_layout_ours[] = {
#include "abi_layout_list.inc"
    { 0, NULL, 0 }
};

#define ABI_RUNTIME_FN abi_runtime_ours
#define ABI_STRINGS_FN abi_strings_ours
#include "abi_runtime_script.inc"
