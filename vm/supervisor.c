/* supervisor.c — runs a Holt supervisor's on_page_fault and on_trap (supervisor.h).
 *
 * Traps reach the supervisor through the trap table itself: installing it replaces every
 * entry with a trampoline that remembers the handler it replaced (the built-in one, or the
 * embedder's), asks on_trap, and calls the remembered handler unless the answer was "handled".
 * Faults reach it through the machine's super_fault hook, which the fault handler calls first
 * for addresses in the program's range.
 *
 * Running Holt code from inside a trap or a fault is a call back into the interpreter, as a
 * native taking a function makes one; around it the machine is switched to supervisor mode,
 * the collector held off, and the error being thrown (if any) set aside, so the interrupted
 * code finds the VM exactly as it left it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "supervisor.h"

typedef struct vm_supervisor vm_supervisor;

/* One replaced trap-table entry. */
typedef struct {
    vm_supervisor *sup;           /* back to the whole */
    trap_nr nr;                   /* the trap this entry serves */
    trap_handler fn;              /* the handler it replaced, called when the event passes */
    void *ctx;                    /* and that handler's context */
} sup_slot;

struct vm_supervisor {
    holt_vm *vm;
    vm_function *on_fault;        /* on_page_fault, or NULL */
    vm_function *on_trap;         /* on_trap, or NULL */
    sup_slot slots[TRAP__COUNT];  /* the trap table as it was before installing */
    bool busy;                    /* Holt code of the supervisor is running: events pass */
    bool off;                     /* it failed once: every event passes from now on */
    gaddr retry_addr;             /* the fault last answered "handled", 0 when none: its */
    uint64_t retry_walks;         /* retry is the walk right after (page_walks then) */
};

/* The two functions a supervisor may define, their descriptors and their source spelling
 * for the error when the type is wrong. */
#define FAULT_FN "on_page_fault"
#define FAULT_TYPE "(ISS)Z"
#define FAULT_SIG "fn on_page_fault(addr: int, access: str, kind: str) -> bool"
#define TRAP_FN "on_trap"
#define TRAP_TYPE "(SII)Z"
#define TRAP_SIG "fn on_trap(name: str, a0: int, a1: int) -> bool"
/* The supervisor's own stdout buffer, made afresh for each call (no collection runs during
 * one, and it is garbage after). Small: it is flushed when full and at the end of the call. */
#define OUT_BYTES 256u

static const char *const access_names[] = {[HM_READ] = "read", [HM_WRITE] = "write", [HM_EXEC] = "exec"};
static const char *const kind_names[] = {[HM_FAULT_NOT_PRESENT] = "not-present",
                                         [HM_FAULT_PROTECTION] = "protection"};

/* ---- reporting ------------------------------------------------------------------------------ */

/* Diagnostics go where the VM's own go: the embedder's write hook, or the process's fd 2. */
static void report(holt_vm *vm, const char *text, size_t n)
{
    if (vm->cfg.write) {
        vm->cfg.write(vm->cfg.io_ctx, 2, text, n);
        return;
    }
    while (n > 0) {
        ssize_t w = write(2, text, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        text += w;
        n -= (size_t)w;
    }
}

/* "holt: supervisor: on_trap raised ValueError: bad; the supervisor is off from now on". */
static void report_failure(vm_supervisor *s, const char *fname, int status)
{
    holt_vm *vm = s->vm;
    holt_buf b;
    buf_init(&b);
    if (status == RT_EXITED) {
        buf_printf(&b, "holt: supervisor: %s called exit", fname);
    } else {
        gaddr exc = vm->exc;
        const rt_type *t = exc ? rt_type_get(vm, rt_obj_type(vm, exc)) : NULL;
        gaddr msg = rt_err_message(vm, exc);
        char *text = msg ? rt_str_dup(vm, msg, NULL) : NULL;
        buf_printf(&b, "holt: supervisor: %s raised %s: %s", fname, t && t->name ? t->name : "Error",
                   text ? text : "");
        free(text);
    }
    buf_puts(&b, "; the supervisor is off from now on\n");
    report(vm, b.data, b.len);
    buf_free(&b);
}

/* ---- calling into Holt ---------------------------------------------------------------------- */

/* The host refusing bytes is no reason to unwind out of a trap. */
void vm__flush_quietly(holt_vm *vm)
{
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0)
        rt_out_flush(vm);
    vm->catcher = c.prev;
}

/* Before a call: flush the program's stdout, switch to a fresh buffer for the supervisor's
 * and make the arguments (those whose bit is set in strs are C strings made into Holt
 * strings). RT_OK, or how it failed (out of memory). */
static int prepare(holt_vm *vm, const uint64_t in[3], unsigned strs, uint64_t args[3])
{
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        rt_out_flush(vm);
        gaddr own = rt_alloc(vm, RT_T_ARRAY_RAW, RT_ARRAY_SLOTS + OUT_BYTES);
        hm_st64(&vm->m, own + 8, OUT_BYTES / 8);
        vm->outbuf = own;
        vm->outlen = 0;
        for (int i = 0; i < 3; i++)
            args[i] = strs & (1u << i) ? rt_str_cstr(vm, (const char *)(uintptr_t)in[i]) : in[i];
        vm->catcher = c.prev;
        return RT_OK;
    }
    vm->catcher = c.prev;
    return c.status;
}

/* Call fn (a supervisor function of type (.SS)Z or (S..)Z): the arguments whose bit is set
 * in `strs` are C strings made into Holt strings first. Returns its answer; false when it
 * failed (then the supervisor is switched off). */
static bool call(vm_supervisor *s, vm_function *fn, const char *fname, const uint64_t in[3], unsigned strs)
{
    holt_vm *vm = s->vm;
    hmachine *m = &vm->m;
    /* Set aside what the interrupted code may be in the middle of. */
    gaddr exc = vm->exc;
    holt_buf trace = vm->trace;
    bool trace_done = vm->trace_done;
    uint64_t budget = vm->heap.budget;
    hm_mode mode = m->mode;
    bool exit_requested = m->exit_requested;
    int exit_status = m->exit_status;
    buf_init(&vm->trace);
    vm->heap.budget = UINT64_MAX;
    m->mode = HM_SUPER_MODE;
    s->busy = true;

    /* The supervisor prints through a stdout buffer of its own: the program's may be in the
     * middle of being written by the very trap that is being asked about. What the program
     * had buffered goes out first, so the output keeps its order. */
    gaddr prog_out = vm->outbuf;
    uint64_t args[3];
    uint64_t r = 0;
    int status = prepare(vm, in, strs, args);
    uint32_t prog_len = vm->outbuf == prog_out ? vm->outlen : 0;
    if (status == RT_OK)
        status = interp_call(vm, fn, args, &r);
    if (status != RT_OK) {
        r = 0;
        s->off = true;
    }
    if (vm->outbuf != prog_out)
        vm__flush_quietly(vm);
    vm->outbuf = prog_out;
    vm->outlen = prog_len;
    if (status != RT_OK)
        report_failure(s, fname, status);

    s->busy = false;
    m->mode = mode;
    m->exit_requested = exit_requested;
    m->exit_status = exit_status;
    vm->heap.budget = budget;
    buf_free(&vm->trace);
    vm->trace = trace;
    vm->trace_done = trace_done;
    vm->exc = exc;
    return r != 0;
}

/* hmachine.super_fault: a fault on the program's range, before the built-in handler. */
static bool on_fault(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind)
{
    vm_supervisor *s = ctx;
    if (s->busy || s->off || !s->on_fault || addr < HM_USER_BASE || addr >= HM_USER_END)
        return false;
    /* The retry of an access the supervisor said it handled faults again: it is not asked a
     * second time (that could loop forever); the built-in handler takes over. The retry is
     * recognised as the same address faulting on the very next page walk. */
    uint64_t walks = s->vm->m.stats[HM_STAT_page_walks];
    bool retry = s->retry_addr == addr && walks - s->retry_walks <= 1;
    s->retry_addr = 0;
    if (retry)
        return false;
    const char *a = (unsigned)access < 3 ? access_names[access] : "read";
    const char *k = (unsigned)kind < 2 ? kind_names[kind] : "not-present";
    const uint64_t in[3] = {addr, (uint64_t)(uintptr_t)a, (uint64_t)(uintptr_t)k};
    if (!call(s, s->on_fault, FAULT_FN, in, 6))
        return false;
    s->retry_addr = addr;
    s->retry_walks = s->vm->m.stats[HM_STAT_page_walks];
    return true;
}

/* The trampoline in every trap-table entry. */
static int64_t on_trap(hmachine *m, void *ctx, const uint64_t a[4])
{
    sup_slot *slot = ctx;
    vm_supervisor *s = slot->sup;
    if (!s->busy && !s->off) {
        const uint64_t in[3] = {(uint64_t)(uintptr_t)trap_names[slot->nr], a[0], a[1]};
        if (call(s, s->on_trap, TRAP_FN, in, 1))
            return 0;
    }
    return slot->fn ? slot->fn(m, slot->ctx, a) : -ENOSYS;
}

/* ---- installing ----------------------------------------------------------------------------- */

/* The top-level function `name` of mod; -1 when it has another type (reason in err). */
static int find(vm_module *mod, const char *name, const char *type, const char *sig, vm_function **out,
                holt_buf *err)
{
    *out = NULL;
    for (uint16_t i = 0; i < mod->bc->nfuncs; i++) {
        vm_function *f = &mod->funcs[i];
        if (!f->name || strcmp(f->name, name) != 0)
            continue;
        const char *d = bc_type(mod->bc, f->bc->type);
        if (!d || strcmp(d, type) != 0 || f->ncaps) {
            buf_printf(err, "supervisor module %s: %s must be declared as `%s`", mod->name, name, sig);
            return -1;
        }
        *out = f;
    }
    return 0;
}

int supervisor_install(holt_vm *vm, vm_module *mod, holt_buf *err)
{
    vm_function *fault, *trap;
    if (find(mod, FAULT_FN, FAULT_TYPE, FAULT_SIG, &fault, err) < 0 ||
        find(mod, TRAP_FN, TRAP_TYPE, TRAP_SIG, &trap, err) < 0)
        return -1;
    if (!fault && !trap) {
        buf_printf(err, "supervisor module %s defines neither `%s` nor `%s`", mod->name, FAULT_SIG, TRAP_SIG);
        return -1;
    }
    supervisor_remove(vm);
    vm_supervisor *s = xcalloc(1, sizeof *s);
    s->vm = vm;
    s->on_fault = fault;
    s->on_trap = trap;
    hmachine *m = &vm->m;
    for (int nr = 0; nr < TRAP__COUNT; nr++) {
        s->slots[nr] = (sup_slot){s, (trap_nr)nr, m->traps[nr].fn, m->traps[nr].ctx};
        if (trap) {
            m->traps[nr].fn = on_trap;
            m->traps[nr].ctx = &s->slots[nr];
        }
    }
    m->super_ctx = s;
    m->super_fault = fault ? on_fault : NULL;
    return 0;
}

void supervisor_remove(holt_vm *vm)
{
    hmachine *m = &vm->m;
    vm_supervisor *s = m->super_ctx;
    if (!s)
        return;
    /* Only the entries still holding the trampoline go back: anything installed since stays. */
    for (int nr = 0; nr < TRAP__COUNT; nr++)
        if (m->traps[nr].fn == on_trap && m->traps[nr].ctx == &s->slots[nr]) {
            m->traps[nr].fn = s->slots[nr].fn;
            m->traps[nr].ctx = s->slots[nr].ctx;
        }
    m->super_fault = NULL;
    m->super_ctx = NULL;
    free(s);
}
