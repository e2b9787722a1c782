// SPDX-License-Identifier: MIT
/* fuzz_elf.c: the domain builder on arbitrary ELF images. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pvguest.h"

/*
 * The whole image is the input: libpvguest parses it (headers, segments,
 * Xen notes), plans the layout and builds it into 8 MiB of "guest RAM",
 * with a command line. Every failure must be an error, never a fault.
 */
#define MEM (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t *mem;
    struct pvg_image img;
    struct pvg_layout lay;
    char err[512];

    if (!mem && !(mem = aligned_alloc(4096, MEM)))
        return 0;
    memset(&img, 0, sizeof(img));
    if (pvg_image_parse("fuzz.elf", data, size, &img, err, sizeof(err)) == 0) {
        if (pvg_layout_plan(&img, MEM, &lay, err, sizeof(err)) == 0 &&
            pvg_build(&img, mem, MEM, "console=hvc0 fuzz", &lay, err,
                      sizeof(err)) == 0) {
            pvg_set_store_evtchn(mem, MEM, &lay, 3);
            pvg_set_console_evtchn(mem, MEM, &lay, 4);
        }
    }
    pvg_image_free(&img);
    return 0;
}
