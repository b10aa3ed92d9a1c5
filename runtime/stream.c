/* stream.c — the program's standard streams, buffered in guest memory like a C library's
 * stdio in user space. Bytes reach the host only through the WRITE and READ traps.
 *
 * vm->outbuf and vm->inbuf are ARRAY objects (rt_init allocates them) whose slot area holds
 * the bytes; their capacity is the array's cap * 8. Standard output is flushed when its buffer
 * fills, before anything goes to stderr, before input() reads and at exit (language-notes §8).
 * A write the host refuses (a closed pipe) drops the bytes: output is best effort, and the
 * program is not stopped for it.
 */
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "state.h"

#define CHUNK 256u

static uint64_t capacity(holt_vm *vm, gaddr buf)
{
    return hm_ld64(&vm->m, buf + 8) * 8;
}

/* Write n bytes at guest address a to host fd through the trap, retrying partial writes. */
static void trap_write_all(holt_vm *vm, int fd, gaddr a, uint64_t n)
{
    uint64_t off = 0;
    while (off < n) {
        int64_t w = trap_call(&vm->m, TRAP_WRITE, (uint64_t)fd, a + off, n - off, 0);
        if (w <= 0)
            return;
        off += (uint64_t)w;
    }
}

void rt_out_flush(holt_vm *vm)
{
    if (!vm->outbuf || !vm->outlen)
        return;
    uint64_t n = vm->outlen;
    /* Emptied first, so a fault inside the trap cannot make the bytes go out twice. */
    vm->outlen = 0;
    trap_write_all(vm, 1, vm->outbuf + RT_ARRAY_SLOTS, n);
}

void rt_out_write(holt_vm *vm, int fd, const char *p, uint64_t n)
{
    if (!vm->outbuf || (fd != 1 && fd != 2))
        return;
    uint64_t cap = capacity(vm, vm->outbuf);
    gaddr bytes = vm->outbuf + RT_ARRAY_SLOTS;
    if (fd == 2) {
        /* Stderr is unbuffered, but the trap takes guest bytes: stage them in the (flushed)
         * stdout buffer a piece at a time. */
        rt_out_flush(vm);
        while (n > 0) {
            uint64_t len = n < cap ? n : cap;
            hm_write(&vm->m, bytes, p, len);
            trap_write_all(vm, 2, bytes, len);
            p += len;
            n -= len;
        }
        return;
    }
    while (n > 0) {
        if (vm->outlen == cap)
            rt_out_flush(vm);
        uint64_t room = cap - vm->outlen;
        uint64_t len = n < room ? n : room;
        hm_write(&vm->m, bytes + vm->outlen, p, len);
        vm->outlen += (uint32_t)len;
        p += len;
        n -= len;
    }
}

/* Refill the input buffer; false at end of input (or on a read error, treated the same). */
static bool refill(holt_vm *vm)
{
    if (vm->ineof)
        return false;
    int64_t r = trap_call(&vm->m, TRAP_READ, 0, vm->inbuf + RT_ARRAY_SLOTS, capacity(vm, vm->inbuf), 0);
    if (r <= 0) {
        vm->ineof = true;
        return false;
    }
    vm->inpos = 0;
    vm->inlen = (uint32_t)r;
    return true;
}

gaddr rt_in_line(holt_vm *vm)
{
    rt_out_flush(vm);
    if (!vm->inbuf)
        return 0;
    gaddr bytes = vm->inbuf + RT_ARRAY_SLOTS;
    /* The line is gathered on the host: it may be longer than the buffer. Nothing in this loop
     * throws (the buffer is the runtime's own, always mapped); the allocation at the end is
     * protected. */
    holt_buf line;
    buf_init(&line);
    bool got = false, newline = false;
    while (!newline) {
        if (vm->inpos >= vm->inlen && !refill(vm))
            break;
        uint32_t avail = vm->inlen - vm->inpos;
        uint32_t len = avail < CHUNK ? avail : CHUNK;
        char scratch[CHUNK];
        const char *p = hm_span(&vm->m, bytes + vm->inpos, len, HM_READ, scratch);
        const char *nl = memchr(p, '\n', len);
        uint32_t take = nl ? (uint32_t)(nl - p) : len;
        buf_put(&line, p, take);
        vm->inpos += take + (nl ? 1 : 0);
        newline = nl != NULL;
        got = true;
    }
    if (!got) {
        buf_free(&line);
        return 0;
    }
    if (newline && line.len && line.data[line.len - 1] == '\r')
        line.len--;
    /* Allocation may throw OutOfMemoryError: free the host copy on that path too. */
    holt_buf *held = xmalloc(sizeof *held);
    *held = line;
    volatile gaddr s = 0;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0)
        s = rt_str_new(vm, held->data ? held->data : "", held->len);
    vm->catcher = c.prev;
    buf_free(held);
    free(held);
    if (c.status)
        rt_throw_obj(vm, vm->exc);
    return s;
}
