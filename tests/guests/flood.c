/* SPDX-License-Identifier: MIT */
/* flood.c: writes console lines as fast as the console takes them. */
#include <guestkit/guestkit.h>

/*
 * A guest that floods its console, for pv-consoled's limits: line after
 * line, forever (the test destroys it). guest-kit's writer never drops
 * output: when the ring is full it waits for room, so the guest runs at
 * whatever pace the backend reads.
 */
int main(void)
{
    gk_printf("flood: start\n");
    for (uint64_t i = 0;; i++)
        gk_printf("flood: line %lu "
                  "................................................\n",
                  i);
    return 0;
}
