// SPDX-License-Identifier: MIT
/* test_domain.c: the domain table while a domain is being created. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../hypervisor/hv.h"
#include "../../hypervisor/platform/platform.h"
#include "fake_domain.h"
#include "unit.h"

static uint32_t reserved;
static bool found_by_id, found_by_name, found_by_next;

static void on_reserved(uint32_t domid)
{
    reserved = domid;
    found_by_id = hv_domain_find(domid) != NULL;
    found_by_name = hv_domain_by_name("ut-half") != NULL;
    for (struct hv_domain *d = hv_domain_next(0); d;
         d = hv_domain_next(d->domid))
        found_by_next |= d->domid == domid;
}

static int refuse_domain(struct hv_domain *d, char *err, size_t errlen)
{
    (void)d;
    snprintf(err, errlen, "fake platform: no domain today");
    return -ENODEV;
}

/*
 * A domain whose creation fails (here in the platform's domain_create)
 * was reserved in the table first: nobody may find it before it is
 * complete, and it is gone, its id and name free, after the failure.
 */
static void test_create_failure(void)
{
    struct hv_platform failing = fake_platform;
    struct hv_domain *d = NULL;
    char err[256] = "";
    int rc;

    failing.domain_create = refuse_domain;
    hv_on_domid_reserved = on_reserved;
    rc = hv_domain_create("ut-half", 4096, 2, HV_ACTION_DESTROY,
                          HV_ACTION_DESTROY, HV_ACTION_DESTROY, 0, &failing, &d,
                          err, sizeof(err));
    CU_ASSERT(rc == -ENODEV);
    CU_ASSERT(d == NULL);
    CU_ASSERT(strstr(err, "no domain today") != NULL);
    CU_ASSERT(reserved != 0);
    CU_ASSERT_FALSE(found_by_id);
    CU_ASSERT_FALSE(found_by_name);
    CU_ASSERT_FALSE(found_by_next);
    CU_ASSERT(hv_domain_find(reserved) == NULL);
    /* The name is free again: the same failure, not EEXIST. */
    rc = hv_domain_create("ut-half", 4096, 1, HV_ACTION_DESTROY,
                          HV_ACTION_DESTROY, HV_ACTION_DESTROY, 0, &failing, &d,
                          err, sizeof(err));
    CU_ASSERT(rc == -ENODEV);
    hv_on_domid_reserved = NULL;
}

static const struct unit_test tests[] = {
    { "a failed create is never found", test_create_failure },
    { NULL, NULL },
};

const struct unit_suite unit_suite_domain = {
    .name = "domain table",
    .tests = tests,
};
