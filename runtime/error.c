/* error.c — the runtime's life (rt_init, rt_destroy) and its one throw path.
 *
 * Unwinding. A protected region is an rt_catch on the host stack, linked through vm->catcher:
 *
 *     rt_catch c = {.prev = vm->catcher};
 *     vm->catcher = &c;
 *     if (setjmp(c.jb) == 0) { ...work that may throw...; }
 *     else { ...c.status is RT_THROWN (vm->exc) or RT_EXITED (vm->m.exit_status)... }
 *     vm->catcher = c.prev;
 *
 * rt_throw, rt_throw_obj and rt_exit longjmp to vm->catcher with c.status set; they do not pop
 * it: the catch site restores vm->catcher = c.prev on both paths. Throwing with no catcher is
 * a bug in the VM (every entry point installs one) and aborts with a message.
 *
 * Errors are objects of the built-in classes of errors.def: class types "LError;",
 * "LIndexError;" ... with two fields, the message str at offset 8 and the hidden `$trace` str
 * at offset 16 (the text of the stack trace of the error's first throw, docs/objects.md).
 *
 * Calling back. A native that takes a function (list.map) or formats an object with to_str
 * calls Holt code through vm->call_hook, which the vm layer installs (interp_call). The hook
 * returns a status instead of unwinding, so the native's own host state is intact; an error
 * then goes on with rt_rethrow, keeping the trace it was first thrown with.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gc.h"
#include "rt.h"
#include "state.h"

/* Guest stdio buffers (stream.c uses the capacity from the ARRAY object itself). */
#define OUTBUF_BYTES 8192u
#define INBUF_BYTES 8192u
#define ERR_OBJECT_BYTES 24u      /* header + message + $trace */
#define ERR_NFIELDS 2u

static const char *const err_names[RT_E__COUNT] = {
#define ERR(name, parent) #name,
#include "errors.def"
#undef ERR
};

/* The parent of each built-in class by name ("NONE" for the root). */
static const char *const err_parent_names[RT_E__COUNT] = {
#define ERR(name, parent) #parent,
#include "errors.def"
#undef ERR
};

/* ---- throwing ------------------------------------------------------------------------------ */

static _Noreturn void unwind_to_catcher(holt_vm *vm, int status)
{
    rt_catch *c = vm->catcher;
    if (!c) {
        const char *what = "an exit";
        char *msg = NULL;
        if (status == RT_THROWN) {
            const rt_type *t = rt_type_get(vm, (rt_typeid)hm_ld32(&vm->m, vm->exc));
            gaddr text = rt_err_message(vm, vm->exc);
            msg = text ? rt_str_dup(vm, text, NULL) : NULL;
            what = t ? t->name : "an error";
        }
        fprintf(stderr, "holt: internal error: %s%s%s thrown outside any protected region\n", what,
                msg ? ": " : "", msg ? msg : "");
        free(msg);
        abort();
    }
    c->status = status;
    longjmp(c->jb, status);
}

_Noreturn void rt_throw_obj(holt_vm *vm, gaddr err)
{
    if (!err)
        rt_throw(vm, RT_E_NullError, "throw of null");
    vm->exc = err;
    buf_reset(&vm->trace);
    vm->trace_done = false;
    unwind_to_catcher(vm, RT_THROWN);
}

_Noreturn void rt_rethrow(holt_vm *vm)
{
    unwind_to_catcher(vm, RT_THROWN);
}

/* After a call back into Holt: pass an error or an exit on to the native's own catcher. */
static void after_call(holt_vm *vm, int status)
{
    if (status == RT_THROWN)
        rt_rethrow(vm);
    if (status == RT_EXITED)
        unwind_to_catcher(vm, RT_EXITED);
}

#define CLOSURE_FNID 8
#define CLOSURE_NCAPS 16
#define CLOSURE_CELLS 24
/* A closure never holds more cells than a function has locals (u16). */
#define MAX_CAPS 65535u

uint64_t rt_call_value(holt_vm *vm, gaddr fnval, const uint64_t *args, uint32_t nargs)
{
    if (!fnval)
        rt_throw(vm, RT_E_NullError, "cannot call a null function");
    uint64_t id = hm_ld64(&vm->m, fnval + CLOSURE_FNID);
    uint64_t ncaps = hm_ld64(&vm->m, fnval + CLOSURE_NCAPS);
    if (id >= vm->nfntab || ncaps > MAX_CAPS || !vm->call_hook)
        rt_throw(vm, RT_E_Error, "call of a malformed function value");
    /* The callee's first locals are the closure's cells, then the arguments. */
    uint64_t small[16];
    uint64_t n = ncaps + nargs;
    uint64_t *all = n <= 16 ? small : xmalloc(n * sizeof *all);
    for (uint64_t i = 0; i < ncaps; i++)
        all[i] = hm_ld64(&vm->m, fnval + CLOSURE_CELLS + 8 * i);
    if (nargs)
        memcpy(all + ncaps, args, nargs * sizeof *args);
    uint64_t r = 0;
    int status = vm->call_hook(vm, vm->fntab[id], all, &r);
    if (all != small)
        free(all);
    after_call(vm, status);
    return r;
}

uint64_t rt_call_fn(holt_vm *vm, void *fn, const uint64_t *args)
{
    if (!vm->call_hook)
        rt_throw(vm, RT_E_Error, "no interpreter to call back into");
    uint64_t r = 0;
    after_call(vm, vm->call_hook(vm, fn, args, &r));
    return r;
}

_Noreturn void rt_throw(holt_vm *vm, rt_err kind, const char *fmt, ...)
{
    /* Allocation may throw OutOfMemoryError, and a longjmp would leak any host memory held
     * across it: short messages are formatted on the stack, long ones get their guest string
     * first and a host buffer only after. */
    char small[512];
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    gaddr msg;
    if ((size_t)n < sizeof small) {
        va_end(again);
        msg = rt_str_new(vm, small, (uint64_t)n);
    } else {
        msg = rt_str_new(vm, NULL, (uint64_t)n);
        char *text = xmalloc((size_t)n + 1);
        vsnprintf(text, (size_t)n + 1, fmt, again);
        va_end(again);
        hm_write(&vm->m, msg + 24, text, (uint64_t)n);
        free(text);
    }
    gaddr err = rt_alloc(vm, rt_err_type(vm, kind), ERR_OBJECT_BYTES);
    hm_st64(&vm->m, err + 8, msg);
    rt_throw_obj(vm, err);
}

_Noreturn void rt_exit(holt_vm *vm, int status)
{
    rt_out_flush(vm);
    trap_call(&vm->m, TRAP_EXIT, (uint64_t)(int64_t)status, 0, 0, 0);
    unwind_to_catcher(vm, RT_EXITED);
}

rt_typeid rt_err_type(holt_vm *vm, rt_err kind)
{
    if ((unsigned)kind >= RT_E__COUNT)
        kind = RT_E_Error;
    return vm->err_types[kind];
}

gaddr rt_err_message(holt_vm *vm, gaddr err)
{
    if (!err)
        return 0;
    return hm_ld64(&vm->m, err + 8);
}

/* ---- memory faults -------------------------------------------------------------------------- */

/* How often machine.on_fault's handler may answer "retry" within one machine.load or store
 * before the access throws anyway: a handler that returns true without fixing anything must
 * not hang the program. An access touches at most two pages, and each may need a mapping and
 * a change of permissions, so a handler that does its work never comes near this. */
#define FAULT_RETRIES 16u

static const char *const access_names[] = {"read", "write", "exec"};
static const char *const fault_kind_names[] = {"not-present", "protection"};

static _Noreturn void memory_fault(holt_vm *vm, gaddr addr, hm_access access, hm_fault_kind kind,
                                   const char *why)
{
    /* The error goes to the program, which runs in user mode whatever was running here. */
    vm->m.mode = HM_USER_MODE;
    rt_throw(vm, RT_E_MemoryFault, "%s at 0x%llx: %s%s", (unsigned)access < 3 ? access_names[access] : "access",
             (unsigned long long)addr, (unsigned)kind < 2 ? fault_kind_names[kind] : "fault", why);
}

/* The program's own handler (machine.on_fault), asked through the machine module's
 * dispatcher about faults in the program's range only: the VM's own memory is never its
 * business. It runs in user mode, like the rest of the program, and may map, protect, load,
 * store and even fault again; the count of this access's retries is kept across that, since
 * a nested load or store starts its own. True = retry the access. */
static bool ask_program(holt_vm *vm, gaddr addr, hm_access access, hm_fault_kind kind)
{
    if (!vm->fault_dispatch || addr < HM_USER_BASE || addr >= HM_USER_END)
        return false;
    uint32_t n = ++vm->fault_retries;
    if (n > FAULT_RETRIES)
        memory_fault(vm, addr, access, kind, " (the fault handler kept asking to retry)");
    hm_mode mode = vm->m.mode;
    vm->m.mode = HM_USER_MODE;
    const uint64_t args[3] = {addr, (uint64_t)access, (uint64_t)kind};
    bool retry = rt_call_value(vm, vm->fault_dispatch, args, 3) != 0;
    vm->m.mode = mode;
    vm->fault_retries = n;
    return retry;
}

/* The machine's fault hook: every fault its supervisor cannot serve (hostos/fault.c). */
static bool on_fault(void *ctx, gaddr addr, hm_access access, hm_fault_kind kind)
{
    holt_vm *vm = ctx;
    /* No frame could be had for a page: the heap's own error, never a MemoryFault. */
    if (kind == HM_FAULT_OUT_OF_MEMORY) {
        if (vm->heap.oom)
            rt_throw_obj(vm, vm->heap.oom);
        rt_throw(vm, RT_E_OutOfMemoryError, "out of physical memory and swap");
    }
    if (ask_program(vm, addr, access, kind))
        return true;
    memory_fault(vm, addr, access, kind, "");
}

/* ---- life ----------------------------------------------------------------------------------- */

static void register_errors(holt_vm *vm)
{
    for (int e = 0; e < RT_E__COUNT; e++) {
        holt_buf d;
        buf_init(&d);
        buf_printf(&d, "L%s;", err_names[e]);
        rt_typeid id = rt_type_intern(vm, d.data);
        buf_free(&d);
        rt_type *t = &vm->types.v[id];
        /* errors.def lists a parent before its children, so its id is known by now. */
        t->parent = RT_T_NONE;
        for (int p = 0; p < e; p++)
            if (strcmp(err_names[p], err_parent_names[e]) == 0)
                t->parent = vm->err_types[p];
        /* A real class: Error's fields, and nothing else, in every built-in error. */
        t->nfields = ERR_NFIELDS;
        t->field_types = xmalloc(ERR_NFIELDS * sizeof *t->field_types);
        t->field_names = xmalloc(ERR_NFIELDS * sizeof *t->field_names);
        t->field_types[0] = t->field_types[1] = RT_T_STR;
        t->field_names[0] = xstrdup("message");
        t->field_names[1] = xstrdup("$trace");
        t->defined = true;
        vm->err_types[e] = id;
    }
}

/* The guest objects the runtime keeps for the whole run. May throw OutOfMemoryError. */
static void allocate_fixed_objects(holt_vm *vm)
{
    char text[96];
    int n = snprintf(text, sizeof text, "guest memory limit of %llu bytes reached",
                     (unsigned long long)vm->m.size);
    gaddr msg = rt_str_new(vm, text, (uint64_t)n);
    gaddr oom = rt_alloc(vm, vm->err_types[RT_E_OutOfMemoryError], ERR_OBJECT_BYTES);
    hm_st64(&vm->m, oom + 8, msg);
    vm->heap.oom = oom;
    vm->outbuf = rt_alloc(vm, RT_T_ARRAY_RAW, RT_ARRAY_SLOTS + OUTBUF_BYTES);
    hm_st64(&vm->m, vm->outbuf + 8, OUTBUF_BYTES / 8);
    vm->inbuf = rt_alloc(vm, RT_T_ARRAY_RAW, RT_ARRAY_SLOTS + INBUF_BYTES);
    hm_st64(&vm->m, vm->inbuf + 8, INBUF_BYTES / 8);
    vm->outlen = 0;
    vm->inpos = vm->inlen = 0;
    vm->ineof = false;
}

int rt_init(holt_vm *vm)
{
    if (rt_type_intern(vm, "V") != RT_T_VOID)
        return -EINVAL;
    register_errors(vm);
    vm->heap.top = vm->heap.limit = vm->m.base + vm->m.mapped;
    vm->heap.bytes_allocated = 0;
    vm->heap.oom = 0;
    vm->heap.since_gc = 0;
    vm->heap.budget = UINT64_MAX; /* the collector (gc.c) sets its own budget */
    vm->m.fault = on_fault;
    vm->m.fault_ctx = vm;
    vm->fault_dispatch = 0;
    trap_set(&vm->m, TRAP_OUT, rt_serial_out, vm);
    vm->exc = 0;
    vm->trace_done = false;

    int rc = 0;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0)
        allocate_fixed_objects(vm);
    else
        rc = -ENOMEM;
    vm->catcher = c.prev;
    vm->exc = 0;
    if (rc < 0)
        rt_destroy(vm);
    return rc;
}

void rt_destroy(holt_vm *vm)
{
    rt_types *t = &vm->types;
    for (uint32_t i = 0; i < t->n; i++) {
        rt_type *ty = &t->v[i];
        free(ty->desc);
        free(ty->name);
        /* Class definitions (link_class.c and register_errors): every array they own. */
        if (ty->field_names)
            for (uint32_t f = 0; f < ty->nfields; f++)
                free(ty->field_names[f]);
        for (uint32_t v = 0; v < ty->nvtable; v++) {
            if (ty->vnames)
                free(ty->vnames[v]);
            if (ty->vtypes)
                free(ty->vtypes[v]);
        }
        for (uint32_t n = 0; ty->itables && n < ty->nifaces; n++)
            free(ty->itables[n].slots);
        free(ty->field_types);
        free(ty->field_names);
        free(ty->ifaces);
        free(ty->vtable);
        free(ty->vnames);
        free(ty->vtypes);
        free(ty->itables);
    }
    free(t->v);
    free(t->index);
    memset(t, 0, sizeof *t);
    /* Guest objects go with the machine's memory (hm_destroy); forget them here. */
    gc__destroy(vm);
    vm->heap.oom = 0;
    vm->outbuf = vm->inbuf = 0;
    vm->outlen = vm->inpos = vm->inlen = 0;
}
