// SPDX-License-Identifier: MIT
/* cmd_trace.c: pvctl trace, a live decoded view of a domain's hypercalls. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvctl.h"
#include "pvctl_obs.h"

int pvctl_cmd_trace(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "filter", required_argument, NULL, 'f' },
        { "count", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    bool want[128], filtered = false;
    unsigned long limit = 0, shown = 0;
    struct pvc_handle *h;
    char err[256];
    uint32_t domid;
    uint64_t seq = 0;
    int opt, rc = PVCTL_ERR;

    while ((opt = getopt_long(argc, argv, "f:n:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'f':
            if (pvctl_trace_filter(optarg, want, err, sizeof(err))) {
                pvctl_err("trace", "%s", err);
                return PVCTL_ERR;
            }
            filtered = true;
            break;
        case 'n':
            if (pvctl_parse_range("count", optarg, 1, 1000000000, &limit, err,
                                  sizeof(err))) {
                pvctl_err("trace", "%s", err);
                return PVCTL_ERR;
            }
            break;
        default:
            return pvctl_usage("trace");
        }
    }
    if (argc - optind != 1)
        return pvctl_usage("trace");
    if (pvctl_connect("trace", &h))
        return PVCTL_ERR;
    if (pvctl_resolve("trace", h, argv[optind], &domid))
        goto out;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (bool first = true;; first = false) {
        struct pvc_trace_chunk c;
        /* The first read subscribes and returns at once: the header then
         * tells scripts that every later hypercall will be shown. */
        int e = pvc_trace_read(h, domid, seq, first ? 0 : 1000, &c);

        if (e) {
            pvctl_call_failed("trace", h, e, argv[optind]);
            goto out;
        }
        if (first)
            printf("# tracing domain %u (%s)\n", domid, argv[optind]);
        if (c.lost)
            printf("# %llu records lost (the reader fell behind)\n",
                   (unsigned long long)c.lost);
        for (size_t i = 0; i < c.nr && (!limit || shown < limit); i++) {
            char line[512];
            if (filtered && (c.rec[i].nr >= 128 || !want[c.rec[i].nr]))
                continue;
            pvctl_trace_format(&c.rec[i], line, sizeof(line));
            printf("%s\n", line);
            shown++;
        }
        free(c.rec);
        seq = c.next_seq;
        if (c.gone) {
            printf("# domain %u is gone\n", domid);
            break;
        }
        if (limit && shown >= limit)
            break;
        if (ferror(stdout))
            goto out;
    }
    rc = PVCTL_OK;
out:
    pvc_close(h);
    return rc;
}
