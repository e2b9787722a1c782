// SPDX-License-Identifier: MIT
/* fuzz_cfg.c: pvctl's xl.cfg parser and the domain settings drawn from it. */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "dev_disk.h"
#include "dev_vif.h"
#include "fuzz.h"

/*
 * The input is a config file's text (NUL-terminated here); it is parsed,
 * the domain settings (memory, vcpus, actions, disk and vif lists...) are
 * drawn from it, with the disk and vif lists, after an override from the
 * input's first line is applied as `pvctl create cfg key=value` would.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char err[CFG_ERR_MAX];
    struct cfg_domain d;
    struct cfg c;

    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    cfg_init(&c);
    if (cfg_parse_text(&c, "fuzz.cfg", 1, text, false, err, sizeof(err)) == 0) {
        char *nl = strchr(text, '\n');
        if (nl) {
            *nl = '\0';
            (void)cfg_apply_override(&c, text, 1, err, sizeof(err));
        }
        memset(&d, 0, sizeof(d));
        (void)cfg_domain_from(&c, &d, err, sizeof(err));
        cfg_domain_free(&d);
        {
            struct disk_list dl;
            struct vif_list vl;

            memset(&dl, 0, sizeof(dl));
            if (disk_list_from_cfg(&c, &dl, err, sizeof(err)) == 0)
                disk_list_free(&dl);
            memset(&vl, 0, sizeof(vl));
            (void)vif_list_from_cfg(&c, &vl, err, sizeof(err));
        }
    }
    cfg_free(&c);
    free(text);
    return 0;
}
