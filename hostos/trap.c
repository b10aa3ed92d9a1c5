/* trap.c — the trap table: the one door from the program to the host (trap.def).
 *
 * trap_call enters the supervisor: it counts the trap (`traps`, per kind, and `syscalls` for a
 * system call), reports it to the tracer, switches the machine to supervisor mode, runs the
 * handler installed for its number and switches back to the caller's mode. A privileged
 * instruction executed in supervisor mode does not trap: it runs at once, uncounted, as it
 * would on a real CPU. The default handlers below perform each operation on the process's
 * own file descriptors, clocks and the machine's address space; an embedder (and the runtime,
 * for the serial console) replaces them with trap_set. There is no capability policy to check
 * yet: every trap of today is allowed to every program.
 *
 * Handlers see guest buffers as guest addresses. A buffer that is not mapped is refused with
 * -EFAULT, as a kernel would, rather than faulting inside the supervisor.
 *
 * The emulated I/O ports (docs/machine.md, "Traps"):
 *
 *   PORT    OUT                                  IN
 *   0x3F8   COM1 data: the byte goes to stdout   0xFF
 *   0x3FD   ignored                              0x60, line status: transmitter empty
 *   other   ignored                              0xFF, as from an absent device
 *
 * The default COM1 writes the byte straight to the host's fd 1; a VM replaces it with one
 * that appends to the program's stdout buffer (runtime/lib_machine.c), so serial output and
 * print stay in order.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "machine.h"
#include "trace.h"

/* The emulated ports (the table above). Ports are 16 bits wide, as on x86. */
#define PORT_MAX 0xFFFFu
#define PORT_COM1 0x3F8u
#define PORT_COM1_LSR 0x3FDu
#define LSR_THR_EMPTY 0x60u   /* transmitter holding register and shift register both empty */
#define PORT_ABSENT 0xFFu     /* what a read from no device gives on an ISA bus */

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

/* ---- the address space: system calls of the machine module ----------------------------- */

/* Permission bits the machine does not have are refused before the address space sees them. */
static bool bad_perm(uint64_t perm)
{
    return perm & ~(uint64_t)(HM_PERM_R | HM_PERM_W | HM_PERM_X);
}

static int64_t do_map(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    if (bad_perm(a[2]))
        return -EINVAL;
    return hm_map(m, a[0], a[1], (unsigned)a[2]);
}

static int64_t do_unmap(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    return hm_unmap(m, a[0], a[1]);
}

static int64_t do_protect(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx;
    if (bad_perm(a[2]))
        return -EINVAL;
    return hm_protect(m, a[0], a[1], (unsigned)a[2]);
}

/* ---- privileged instructions, emulated ---------------------------------------------------- */

static int64_t do_flush_tlb(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)ctx, (void)a;
    hm_flush_tlb(m);
    return 0;
}

/* A bare machine's serial line is the host's stdout, unbuffered. */
static int64_t do_out(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m, (void)ctx;
    if (a[0] > PORT_MAX)
        return -EINVAL;
    if (a[0] == PORT_COM1) {
        unsigned char byte = (unsigned char)a[1];
        ssize_t w;
        do
            w = write(1, &byte, 1);
        while (w < 0 && errno == EINTR);
    }
    return 0;
}

static int64_t do_in(hmachine *m, void *ctx, const uint64_t a[4])
{
    (void)m, (void)ctx;
    if (a[0] > PORT_MAX)
        return -EINVAL;
    return a[0] == PORT_COM1_LSR ? LSR_THR_EMPTY : PORT_ABSENT;
}

/* ---- the table ----------------------------------------------------------------------------- */

const trap_kind trap_kinds[TRAP__COUNT] = {
#define TRAP(NAME, name, kind, doc) [TRAP_##NAME] = TRAP_##kind,
#include "trap.def"
#undef TRAP
};

static const trap_handler defaults[TRAP__COUNT] = {
    [TRAP_WRITE] = do_write,
    [TRAP_READ] = do_read,
    [TRAP_CLOCK] = do_clock,
    [TRAP_TIME] = do_time,
    [TRAP_EXIT] = do_exit,
    [TRAP_MAP] = do_map,
    [TRAP_UNMAP] = do_unmap,
    [TRAP_PROTECT] = do_protect,
    [TRAP_FLUSH_TLB] = do_flush_tlb,
    [TRAP_OUT] = do_out,
    [TRAP_IN] = do_in,
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
    if ((unsigned)nr >= TRAP__COUNT) {
        /* An unknown system call still entered the supervisor, which refuses it. */
        m->stats[HM_STAT_traps]++;
        m->stats[HM_STAT_syscalls]++;
        return -ENOSYS;
    }
    const uint64_t a[4] = {a0, a1, a2, a3};
    trap_handler fn = m->traps[nr].fn;
    if (!fn)
        return -ENOSYS;
    if (trap_kinds[nr] == TRAP_PRIVILEGED && m->mode == HM_SUPER_MODE)
        return fn(m, m->traps[nr].ctx, a);
    m->stats[HM_STAT_traps]++;
    if (trap_kinds[nr] == TRAP_SYSCALL)
        m->stats[HM_STAT_syscalls]++;
    m->trap_counts[nr]++;
    const uint64_t ev[4] = {(uint64_t)nr, a0, a1, a2};
    hm_trace(m, HM_TRACE_TRAP, ev);
    /* The caller's mode comes back afterwards: a trap taken inside the supervisor (the serial
     * console flushing stdout through the write trap) returns to the supervisor. */
    hm_mode caller = m->mode;
    m->mode = HM_SUPER_MODE;
    int64_t r = fn(m, m->traps[nr].ctx, a);
    m->mode = caller;
    return r;
}
