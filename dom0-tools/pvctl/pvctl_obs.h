/* SPDX-License-Identifier: MIT */
/* pvctl_obs.h: parsers and formatters of top, trace, vcpu-* and sched-credit. */
#ifndef PVISOR_DOM0_TOOLS_PVCTL_PVCTL_OBS_H
#define PVISOR_DOM0_TOOLS_PVCTL_PVCTL_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvctrl.h"

/*
 * Parses an unsigned decimal number in [min, max] (what names it in the
 * error). 0, or -EINVAL with a one-line err.
 */
int pvctl_parse_range(const char *what, const char *s, unsigned long min,
                      unsigned long max, unsigned long *out, char *err,
                      size_t errlen);

/*
 * Parses a CPU list for vcpu-pin: "all" (*nr = 0) or "N", "N-M" items
 * separated by commas, each CPU < 1024, at most max of them, ascending
 * and without duplicates in cpus. 0 or -EINVAL with err.
 */
int pvctl_parse_cpulist(const char *s, uint32_t *cpus, size_t max, size_t *nr,
                        char *err, size_t errlen);

/* "all" (PVC_VCPU_ALL) or a vCPU number below 4096. 0 or -EINVAL. */
int pvctl_parse_vcpu(const char *s, uint32_t *vcpu, char *err, size_t errlen);

/* Seconds for top -d: a positive decimal number up to 3600. */
int pvctl_parse_seconds(const char *s, double *out, char *err, size_t errlen);

/* The Xen name of hypercall nr ("hypercall_NN" if it has none). */
const char *pvctl_hypercall_name(uint32_t nr, char *buf, size_t len);

/*
 * Parses trace --filter: a comma-separated list of hypercall names
 * (sched_op, event_channel_op, ...). Sets want[nr] for each. 0 or -EINVAL
 * naming the unknown name.
 */
int pvctl_trace_filter(const char *s, bool want[128], char *err, size_t errlen);

/*
 * One trace line, without a newline: time (seconds of the domain's system
 * time), vCPU, name with decoded arguments, result (with its Xen errno
 * name when negative) and the time spent in pvisor.
 */
void pvctl_trace_format(const struct pvc_trace_rec *r, char *out, size_t len);

/*
 * Memory size as xl takes it: a number with an optional k, m or g suffix
 * (none: MiB), a multiple of 4 KiB, in KiB. 0 or -EINVAL with err.
 */
int pvctl_parse_memsize(const char *s, uint64_t *kb, char *err, size_t errlen);

/* Command entry points. */
int pvctl_cmd_top(int argc, char **argv);
int pvctl_cmd_trace(int argc, char **argv);
int pvctl_cmd_vcpu_list(int argc, char **argv);
int pvctl_cmd_vcpu_pin(int argc, char **argv);
int pvctl_cmd_vcpu_set(int argc, char **argv);
int pvctl_cmd_sched_credit(int argc, char **argv);
int pvctl_cmd_mem_set(int argc, char **argv);
int pvctl_cmd_mem_max(int argc, char **argv);

#endif /* PVISOR_DOM0_TOOLS_PVCTL_PVCTL_OBS_H */
