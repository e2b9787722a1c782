// SPDX-License-Identifier: MIT
/* blkback_io.c: pv-blkback's grant mapping, notification and io_uring I/O. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "be_common.h"
#include "blkback_daemon.h"

static void *op_map(void *ctx, uint32_t domid, uint32_t count,
                    const uint32_t *refs, bool writable)
{
    struct bb_vbd *v = ctx;

    errno = 0;
    return pvgnttab_map_domain_grant_refs(v->bd->gnt, count, domid, refs,
                                          writable ? PROT_READ | PROT_WRITE
                                                   : PROT_READ);
}

static int op_unmap(void *ctx, void *addr, uint32_t count)
{
    struct bb_vbd *v = ctx;

    return pvgnttab_unmap(v->bd->gnt, addr, count);
}

static struct io_uring_sqe *get_sqe(struct bbd *bd)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&bd->uring);

    if (!sqe) {
        bb_io_flush(bd);
        sqe = io_uring_get_sqe(&bd->uring);
    }
    if (sqe)
        bd->sq_pending++;
    return sqe;
}

static int op_submit(void *ctx, struct be_blk_io *io)
{
    struct bb_vbd *v = ctx;
    struct bbd *bd = v->bd;
    struct io_uring_sqe *sqe;
    int need = io->flush_after ? 2 : 1;

    if (io_uring_sq_space_left(&bd->uring) < (unsigned)need)
        bb_io_flush(bd);
    if (io_uring_sq_space_left(&bd->uring) < (unsigned)need)
        return -EBUSY;
    sqe = get_sqe(bd);
    switch (io->kind) {
    case BE_BLK_READ:
        io_uring_prep_readv(sqe, v->fd, io->iov, io->niov, io->offset);
        break;
    case BE_BLK_WRITE:
        io_uring_prep_writev(sqe, v->fd, io->iov, io->niov, io->offset);
        break;
    case BE_BLK_FLUSH:
        io_uring_prep_fsync(sqe, v->fd, IORING_FSYNC_DATASYNC);
        break;
    case BE_BLK_DISCARD:
        io_uring_prep_fallocate(sqe, v->fd,
                                FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                io->offset, io->len);
        break;
    }
    io_uring_sqe_set_data(sqe, io);
    io->pending = 1;
    io->result = 0;
    if (io->flush_after) {
        /* write, then (only if it succeeded) fdatasync */
        sqe->flags |= IOSQE_IO_LINK;
        sqe = get_sqe(bd);
        io_uring_prep_fsync(sqe, v->fd, IORING_FSYNC_DATASYNC);
        io_uring_sqe_set_data(sqe, io);
        io->pending = 2;
    }
    return 0;
}

static void op_notify(void *ctx)
{
    struct bb_vbd *v = ctx;

    if (v->lport)
        pvevtchn_notify(v->bd->evh, (pvevtchn_port_t)v->lport);
}

const struct be_blk_ops bb_ops = {
    .map = op_map,
    .unmap = op_unmap,
    .submit = op_submit,
    .notify = op_notify,
};

int bb_io_init(struct bbd *bd)
{
    struct io_uring_params p = { 0 };
    int e;

    e = io_uring_queue_init_params(BB_URING_DEPTH, &bd->uring, &p);
    if (e < 0)
        return e;
    bd->uring_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (bd->uring_efd < 0) {
        e = -errno;
        io_uring_queue_exit(&bd->uring);
        return e;
    }
    e = io_uring_register_eventfd(&bd->uring, bd->uring_efd);
    if (e < 0) {
        close(bd->uring_efd);
        io_uring_queue_exit(&bd->uring);
        return e;
    }
    return 0;
}

void bb_io_fini(struct bbd *bd)
{
    io_uring_queue_exit(&bd->uring);
    close(bd->uring_efd);
}

void bb_io_flush(struct bbd *bd)
{
    if (!bd->sq_pending)
        return;
    int n = io_uring_submit(&bd->uring);
    if (n < 0)
        be_warn("io_uring_submit: %s", strerror(-n));
    else
        bd->sq_pending = 0;
}

static size_t expected(const struct be_blk_io *io)
{
    return io->kind == BE_BLK_READ || io->kind == BE_BLK_WRITE ? io->len : 0;
}

void bb_io_reap(struct bbd *bd)
{
    struct io_uring_cqe *cqe;
    uint64_t cnt;
    bool first = true;

    if (read(bd->uring_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
        be_warn("io_uring eventfd: %s", strerror(errno));
    while (io_uring_peek_cqe(&bd->uring, &cqe) == 0) {
        struct be_blk_io *io = io_uring_cqe_get_data(cqe);
        struct bb_vbd *v = io->dev->ctx;
        int res = cqe->res;

        io_uring_cqe_seen(&bd->uring, cqe);
        if (res < 0 && !io->result)
            io->result = res;
        /* The fsync of a write+flush pair reports 0; the write its size. */
        else if (res >= 0 && io->pending == (io->flush_after ? 2 : 1) &&
                 (size_t)res != expected(io) && !io->result)
            io->result = -EIO;
        if (--io->pending)
            continue;
        if (io->result && first) {
            be_warn("d%u vbd %u: I/O at byte %llu (%llu bytes) failed: %s",
                    v->domid, v->devid, (unsigned long long)io->offset,
                    (unsigned long long)io->len, strerror(-io->result));
            first = false;
        }
        be_blk_io_done(io, io->result);
        v->need_kick = true;
    }
}
