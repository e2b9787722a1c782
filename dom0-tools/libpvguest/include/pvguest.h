/* SPDX-License-Identifier: MIT */
/* pvguest.h: libpvguest, the domain builder (ELF + Xen notes -> guest RAM). */
#ifndef PVISOR_DOM0_TOOLS_LIBPVGUEST_INCLUDE_PVGUEST_H
#define PVISOR_DOM0_TOOLS_LIBPVGUEST_INCLUDE_PVGUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Usage: pvg_image_load() (or pvg_image_parse() on a buffer), then
 * pvg_build() into the domain's RAM (a MAP_SHARED mapping of the memfd
 * from pvc_map_memory, or any buffer in tests), then hand the returned
 * pvg_layout to DomainSetup. All errors are negative errnos with a
 * one-line explanation in the caller's err buffer, prefixed by the image
 * name ("hello.elf: segment 2: ...").
 */

#define PVG_PAGE_SIZE    4096u
#define PVG_MAX_SEGMENTS 16 /* PT_LOAD segments with memsz > 0 */
#define PVG_MAX_PHDRS    256
#define PVG_STACK_SIZE   (64u * 1024)
#define PVG_CMDLINE_MAX  1024 /* start_info.cmd_line incl. NUL */
#define PVG_ERR_MAX      256  /* a sufficient err buffer size */

struct pvg_segment {
    uint64_t offset; /* in the file */
    uint64_t filesz;
    uint64_t vaddr;
    uint64_t paddr;
    uint64_t memsz;
    uint32_t flags; /* PF_X | PF_W | PF_R */
};

/* A parsed and validated image. The strings are NUL-terminated. */
struct pvg_image {
    char name[128];      /* for messages */
    const uint8_t *data; /* the file's bytes */
    size_t size;
    uint8_t *owned; /* set when pvg_image_load read it */
    size_t nr_segments;
    struct pvg_segment seg[PVG_MAX_SEGMENTS]; /* sorted by vaddr */
    uint64_t entry;                           /* ENTRY note, else e_entry */
    bool has_entry_note;                      /* entry 0 is then valid */
    uint64_t hypercall_page;                  /* VA, from HYPERCALL_PAGE */
    bool has_hypercall_page; /* else the kernel uses `syscall` */
    uint64_t virt_base;      /* VIRT_BASE note, else 0 */
    uint64_t paddr_offset;   /* PADDR_OFFSET: checked against p_paddr */
    bool has_paddr_offset;
    uint32_t supported_features; /* SUPPORTED_FEATURES note */
    uint64_t image_start;        /* lowest segment VA, page aligned */
    uint64_t image_end;          /* end of highest segment, rounded up */
    char guest_os[64];
    char guest_version[32];
    char xen_version[32];
    char loader[32];
    char features[256];
};

/* Where pvg_build put everything; guest-physical unless named _va. */
struct pvg_layout {
    uint64_t mem_size; /* bytes of guest RAM */
    uint64_t nr_pages;
    uint64_t virt_base;
    uint64_t image_start_gpa;
    uint64_t image_end_gpa; /* page aligned */
    uint64_t start_info_gpa;
    uint64_t console_gpa;
    uint64_t store_gpa;
    uint64_t shared_info_gpa;
    uint64_t p2m_gpa;
    uint64_t nr_p2m_frames;
    uint64_t stack_gpa;   /* bottom of the boot stack */
    uint64_t pt_base_gpa; /* the L4, first page-table page */
    uint64_t nr_pt_frames;
    uint64_t nr_l3, nr_l2, nr_l1;
    uint64_t first_free_gpa;     /* pt_base_gpa + nr_pt_frames pages */
    uint64_t hypercall_page_gpa; /* PV_NO_HYPERCALL_PAGE: none */
    uint64_t entry_va;
    uint64_t stack_va;      /* top of the boot stack (initial rsp) */
    uint64_t start_info_va; /* initial rsi */
    bool cmdline_truncated; /* cmd_line cut at 1023 bytes */
};

/* Name of Xen ELF note `type` (XEN_ELFNOTE_*), NULL if Xen defines none. */
const char *pvg_note_name(uint32_t type);

/*
 * Parses and validates an ELF64 x86_64 executable held in data[0..size)
 * (untrusted). name is used in messages. img borrows data: keep it alive
 * while img is used. Returns 0, -ENOEXEC (not a usable image) or -EINVAL
 * (bad or missing Xen notes), with the reason in err.
 */
int pvg_image_parse(const char *name, const void *data, size_t size,
                    struct pvg_image *img, char *err, size_t errlen);

/*
 * Reads the file at path (at most 1 GiB) and parses it like
 * pvg_image_parse. img owns the bytes; free with pvg_image_free. Returns
 * 0, -errno of open/read, -EFBIG, -ENOEXEC or -EINVAL.
 */
int pvg_image_load(const char *path, struct pvg_image *img, char *err,
                   size_t errlen);

/* Frees what pvg_image_load allocated; img may be zeroed or parsed only. */
void pvg_image_free(struct pvg_image *img);

/*
 * Computes the layout of img in mem_size bytes of guest RAM (a non-zero
 * multiple of 4 KiB) without writing anything. Checks virt_base (4 KiB
 * aligned, no wrap, canonical, clear of pvisor's L4 slot 255) and that
 * image plus layout fit. Returns 0 or -EINVAL / -ENOMEM (does not fit).
 */
int pvg_layout_plan(const struct pvg_image *img, uint64_t mem_size,
                    struct pvg_layout *lay, char *err, size_t errlen);

/*
 * Plans (as pvg_layout_plan) and writes the image into mem[0..mem_size):
 * segments with zeroed bss, start_info (cmdline may be NULL), zeroed
 * console/xenstore rings and shared_info, the identity p2m, the zeroed
 * boot stack and page tables mapping all RAM at virt_base. Pages not
 * listed are not touched (a fresh memfd is zero). Returns 0 or -errno.
 */
int pvg_build(const struct pvg_image *img, void *mem, uint64_t mem_size,
              const char *cmdline, struct pvg_layout *lay, char *err,
              size_t errlen);

/*
 * Sets start_info.store_evtchn in guest RAM built by pvg_build (mem and
 * lay as passed to and returned by it), before DomainSetup so that the
 * boot snapshot holds it. Returns 0 or -EINVAL when start_info does not
 * lie inside mem_size.
 */
int pvg_set_store_evtchn(void *mem, uint64_t mem_size,
                         const struct pvg_layout *lay, uint32_t port);

/*
 * Sets start_info.console.domU.evtchn the same way. pvctl calls it after
 * DomainSetup, so the boot snapshot keeps 0: a domain restarted in place
 * (whose event channels pvisor resets) falls back to console_io.
 */
int pvg_set_console_evtchn(void *mem, uint64_t mem_size,
                           const struct pvg_layout *lay, uint32_t port);

#endif /* PVISOR_DOM0_TOOLS_LIBPVGUEST_INCLUDE_PVGUEST_H */
