/* trap.c — the trap table: the one door from the program to the host (trap.def).
 *
 * trap_call counts every trap, checks it and runs the handler installed for its number. The
 * default handlers below perform the operation on the process's own file descriptors and
 * clocks; an embedder (and later a supervisor module) replaces them with trap_set. There is no
 * capability policy to check yet: the five traps of today are allowed to every program.
 *
 * Handlers see guest buffers as guest addresses. A buffer that is not mapped is refused with
 * -EFAULT, as a kernel would, rather than faulting inside the supervisor.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"

/* Bytes moved between a guest buffer and the host per step: bounds the host stack the copy
 * needs once guest ranges stop being contiguous on the host. */
#define CHUNK 16384u

static int64_t do_write(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    uint64_t fd = a[0], buf = a[1], n = a[2];
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (n && !hm_ok(m, buf, n))
        return -EFAULT;
    uint64_t done = 0;
    char scratch[CHUNK];
    while (done < n) {
        uint64_t len = n - done < CHUNK ? n - done : CHUNK;
        const char *p = hm_span(m, buf + done, len, HM_READ, scratch);
        uint64_t off = 0;
        while (off < len) {
            ssize_t w = write((int)fd, p + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                /* Report what did get through; the error only when nothing did. */
                int err = w < 0 ? errno : EIO;
                done += off;
                return done ? (int64_t)done : -err;
            }
            off += (uint64_t)w;
        }
        done += len;
    }
    return (int64_t)done;
}

static int64_t do_read(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    uint64_t fd = a[0], buf = a[1], cap = a[2];
    if (fd != 0)
        return -EBADF;
    if (cap == 0)
        return 0;
    if (!hm_ok(m, buf, cap))
        return -EFAULT;
    uint64_t n = cap < CHUNK ? cap : CHUNK;
    char scratch[CHUNK];
    char *p = hm_span(m, buf, n, HM_WRITE, scratch);
    ssize_t r;
    do
        r = read(0, p, n);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -errno;
    if (p == scratch && r > 0)
        hm_write(m, buf, scratch, (uint64_t)r);
    return r;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) < 0)
        return -errno;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t do_clock(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m, (void)ctx, (void)a;
    return clock_ns(CLOCK_MONOTONIC);
}

static int64_t do_time(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m, (void)ctx, (void)a;
    return clock_ns(CLOCK_REALTIME);
}

/* Recording is all the supervisor does: the runtime unwinds the program after the trap. */
static int64_t do_exit(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    m->exit_status = (int)a[0];
    m->exit_requested = true;
    return 0;
}

static const trap_handler defaults[TRAP__COUNT] = {
    [TRAP_WRITE] = do_write,
    [TRAP_READ] = do_read,
    [TRAP_CLOCK] = do_clock,
    [TRAP_TIME] = do_time,
    [TRAP_EXIT] = do_exit,
};

/* A NULL handler puts the default back (hm_init installs every default this way). */
void trap_set(hmachine *m, trap_nr nr, trap_handler fn, void *ctx)
{
    if ((unsigned)nr >= TRAP__COUNT)
        return;
    m->traps[nr].fn = fn ? fn : defaults[nr];
    m->traps[nr].ctx = fn ? ctx : NULL;
}

int64_t trap_call(hmachine *m, trap_nr nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    m->stats[HM_STAT_traps]++;
    m->stats[HM_STAT_syscalls]++;
    if ((unsigned)nr >= TRAP__COUNT)
        return -ENOSYS;
    m->trap_counts[nr]++;
    trap_handler fn = m->traps[nr].fn;
    if (!fn)
        return -ENOSYS;
    const uint64_t a[4] = {a0, a1, a2, a3};
    return fn(m, m->traps[nr].ctx, a);
}
