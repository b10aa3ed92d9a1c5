/* interp.c — the interpreter: runs linked modules (vm.h) on a stack machine.
 *
 * The value stack. One array, vm->stack, holds every frame's locals and operands. A frame's
 * locals start at its base and its operands right after them, at base + nlocals; a call
 * takes the caller's top nparams operands as the callee's first locals where they lie (no
 * copying), so the callee's base is the caller's sp - nparams. On return the result lands on
 * the callee's base, which is where the caller's operand stack continues. Frames (function,
 * saved pc, base) live in vm->frames; frames[0] is the outermost. A call that would not leave
 * room for the callee's locals and its deepest operand stack, or would exceed max_frames,
 * throws StackOverflowError instead: recursion never grows the host stack.
 *
 * Errors. rt_throw longjmps to the innermost rt_catch. interp_call pushes one per invocation;
 * when it catches, it records the stack trace (on the first throw of an error object, into
 * its `$trace` field) and searches the exception tables from the top frame down to the frame
 * the invocation began with (a caller's saved pc is at its call instruction). The first
 * entry whose range holds the frame's pc and whose class matches wins: the frames above are
 * dropped, the frame's operand stack becomes the error alone, and the loop is entered again
 * at the handler. With no match every frame of the invocation is popped and it returns
 * RT_THROWN (docs/objects.md "Exceptions").
 *
 * The loop itself is interp_body.h, compiled twice below: computed goto and switch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Offsets in a STR object (the layout table of rt.h). */
#define STR_LEN 8
#define STR_BYTES 24
/* The bytes of a LIST header from its length to its backing store's address, inclusive: the
 * span LGET and LSET translate once. */
#define LIST_HDR (RT_LIST_ITEMS + 8 - RT_LIST_LEN)

/* Frames a stack trace shows in full; beyond them (deep recursion) the innermost TRACE_HEAD
 * and the outermost TRACE_TAIL are shown around a line counting the rest. A run of more than
 * TRACE_REPEAT identical lines is also folded into one line saying how many were left out. */
#define TRACE_HEAD 100
#define TRACE_TAIL 20
#define TRACE_REPEAT 10

#define DEFAULT_STACK_SLOTS (1u << 20)
#define DEFAULT_MAX_FRAMES 200000u
/* Invocations nested through natives (a to_str calling str() of itself, a map callback
 * mapping again): each one also takes host stack, so their depth is bounded on its own, and
 * by the host stack they have used, which differs between builds (a sanitizer's frames are
 * several times larger) and must stay well inside a default 8 MiB stack. */
#define MAX_CALL_DEPTH 2000u
#define MAX_HOST_STACK (3u << 20)


/* a >> (b & 63), arithmetic, without relying on how C shifts negative numbers. */
static inline uint64_t shr(uint64_t a, uint64_t b)
{
    unsigned s = (unsigned)(b & 63);
    return (int64_t)a < 0 ? ~(~a >> s) : a >> s;
}

/* ---- the cold paths of the loop ----------------------------------------------------------- */

__attribute__((cold, noreturn)) static void f2i_fail(holt_vm *vm, double f)
{
    if (isnan(f))
        rt_throw(vm, RT_E_ValueError, "cannot convert nan to int");
    holt_buf b;
    buf_init(&b);
    rt_fmt_float(&b, f);
    char text[64];
    snprintf(text, sizeof text, "%s", b.data ? b.data : "");
    buf_free(&b);
    rt_throw(vm, RT_E_ValueError, "float %s out of range for int", text);
}

__attribute__((cold, noreturn)) static void sget_fail(holt_vm *vm, gaddr s, int64_t i)
{
    if (s == 0)
        rt_throw(vm, RT_E_NullError, "index of null str");
    rt_throw(vm, RT_E_IndexError, "index %lld out of range for length %llu", (long long)i,
             (unsigned long long)hm_ld64(&vm->m, s + STR_LEN));
}

__attribute__((cold, noreturn)) static void stack_overflow(holt_vm *vm)
{
    rt_throw(vm, RT_E_StackOverflowError, "stack overflow (%u frames)", vm->nframes);
}

/* The names a NullError message gives: "cannot read field 'w' of null Rect", "cannot call
 * 'area' on null Shape". `idx` is the FIELD or METHOD constant of the instruction. */
__attribute__((cold, noreturn)) static void null_member(holt_vm *vm, const vm_function *fn, uint16_t idx,
                                                        const char *what)
{
    const bc_module *m = fn->mod->bc;
    const bc_const *c = &m->consts[idx];
    const char *name = bc_str(m, c->u.ref.name);
    const rt_type *t = rt_type_get(vm, (rt_typeid)fn->mod->k[c->u.ref.module]);
    rt_throw(vm, RT_E_NullError, "%s '%s' %s null %s", what, name ? name : "?",
             c->tag == BC_K_METHOD ? "on" : "of", t ? t->name : "object");
}

__attribute__((cold, noreturn)) static void null_cell(holt_vm *vm)
{
    rt_throw(vm, RT_E_NullError, "captured variable used before it was declared");
}

/* CALLIF: the implementation of an interface method in the receiver's class, through the
 * class's itable for that interface (a short scan of the interfaces it implements). */
static inline vm_function *iface_method(holt_vm *vm, rt_typeid cls, uint64_t mk)
{
    const rt_type *t = &vm->types.v[cls];
    rt_typeid iface = LINK_METHOD_IFACE(mk);
    for (uint32_t i = 0; i < t->nifaces; i++)
        if (t->itables[i].iface == iface)
            return t->vtable[t->itables[i].slots[LINK_METHOD_SLOT(mk)]];
    rt_throw(vm, RT_E_Error, "class %s does not implement interface %s", t->name, vm->types.v[iface].name);
}

/* CALLV: the host address of a closure's function id (the 16 bytes at +8: id, ncaps), by
 * one translation that also covers whatever of the cells lies in the same page; NULL when
 * those 16 bytes cross a page. Valid until the next guest access. */
static inline const uint8_t *closure_header(holt_vm *vm, gaddr clo)
{
    if (__builtin_expect(clo == 0, 0))
        rt_throw(vm, RT_E_NullError, "cannot call a null function");
    return hm_host(&vm->m, clo + 8, 16, HM_READ);
}

/* CALLV: the function a closure calls, with b arguments; cp is closure_header's pointer. The
 * checks guard only against a corrupt object: the verifier typed the call. */
static inline vm_function *closure_fn(holt_vm *vm, gaddr clo, const uint8_t *cp, uint32_t b)
{
    uint64_t id, ncaps;
    if (__builtin_expect(cp != NULL, 1)) {
        memcpy(&id, cp, sizeof id);
        memcpy(&ncaps, cp + 8, sizeof ncaps);
    } else {
        id = hm_ld64(&vm->m, clo + 8);
        ncaps = hm_ld64(&vm->m, clo + 16);
    }
    vm_function *f = id < vm->nfntab ? vm->fntab[id] : NULL;
    if (__builtin_expect(!f || f->nparams != b || ncaps != f->ncaps, 0))
        rt_throw(vm, RT_E_Error, "call of a malformed function value");
    return f;
}

/* IS: v is not null and its run-time type is t or a subtype (boxes carry the boxed type). */
static inline uint64_t value_is(holt_vm *vm, gaddr v, rt_typeid t)
{
    if (!v)
        return 0;
    return t == RT_T_ANY || rt_type_is(vm, rt_obj_type(vm, v), t);
}

__attribute__((cold, noreturn)) static void cast_fail(holt_vm *vm, gaddr v, rt_typeid t)
{
    const rt_type *from = v ? rt_type_get(vm, rt_obj_type(vm, v)) : NULL;
    const rt_type *to = rt_type_get(vm, t);
    rt_throw(vm, RT_E_CastError, "cannot cast %s to %s", v ? (from ? from->name : "?") : "null",
             to ? to->name : "?");
}

/* Is there room for a frame of fn at base: its locals and deepest operand stack below the
 * end of the value stack, and one more frame? */
static inline bool has_room(const holt_vm *vm, const uint64_t *base, const vm_function *fn)
{
    return __builtin_expect((size_t)(vm->stack_end - base) >= (size_t)fn->nlocals + fn->max_stack &&
                                vm->nframes < vm->max_frames,
                            1);
}

static inline void check_room(holt_vm *vm, uint64_t *base, const vm_function *fn)
{
    if (!has_room(vm, base, fn))
        stack_overflow(vm);
}

/* LISTREP: n copies of v in a new list of type t. */
static gaddr list_repeat(holt_vm *vm, rt_typeid t, uint64_t v, int64_t n)
{
    if (n < 0)
        rt_throw(vm, RT_E_ValueError, "negative count %lld", (long long)n);
    gaddr list = rt_list_new(vm, t, (uint64_t)n);
    hmachine *m = &vm->m;
    if (hm_ld64(m, list + RT_LIST_CAP) < (uint64_t)n) {
        for (int64_t i = 0; i < n; i++)
            rt_list_push(vm, list, v);
        return list;
    }
    /* The list was made with room for n: fill its backing store in place. */
    gaddr slots = hm_ld64(m, list + RT_LIST_ITEMS) + RT_ARRAY_SLOTS;
    for (int64_t i = 0; i < n; i++)
        hm_st64(m, slots + 8 * (uint64_t)i, v);
    hm_st64(m, list + RT_LIST_LEN, (uint64_t)n);
    return list;
}

/* ---- the loop, twice ------------------------------------------------------------------------ */

/* Cross-jumping would merge the identical dispatch tails of all instructions into one shared
 * indirect jump, which defeats threaded dispatch: the branch predictor then sees one jump
 * site for every transition instead of one per instruction kind. GCC's default regional
 * register allocation splits the loop into regions and, under the pressure of the slow
 * paths' calls, left pc and the frame's base in stack slots that every instruction reloaded;
 * allocating the function as one region keeps pc, sp and the instruction count in registers
 * (with base pinned, interp_body.h). Without loop-pattern distribution, clearing a callee's
 * few locals stays an inline loop instead of a call to memset. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-crossjumping", "ira-region=one", "no-tree-loop-distribute-patterns")
#endif

#define INTERP_NAME run_goto
#define INTERP_GOTO 1
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO

#define INTERP_NAME run_switch
#define INTERP_GOTO 0
#include "interp_body.h"
#undef INTERP_NAME
#undef INTERP_GOTO

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

/* ---- stack traces and unwinding ------------------------------------------------------------ */

static void trace_line(const vm_frame *f, holt_buf *out)
{
    const bc_function *bf = f->fn->bc;
    uint32_t line = bc_line_of(bf, (uint32_t)(f->pc - bf->code));
    const char *path = f->fn->mod->bc->path ? f->fn->mod->bc->path : f->fn->mod->name;
    buf_printf(out, "  at %s (%s:%u)\n", f->fn->name, path, line);
}

/* Append the lines of frames [to, from), innermost (from - 1) first. A run of identical lines
 * longer than TRACE_REPEAT shows its first TRACE_REPEAT lines and a count of the rest. */
static void trace_frames(holt_vm *vm, uint32_t from, uint32_t to)
{
    holt_buf line, prev;
    buf_init(&line);
    buf_init(&prev);
    uint32_t run = 0;             /* lines in the current run of identical lines */
    for (uint32_t i = from; i-- > to;) {
        buf_reset(&line);
        trace_line(&vm->frames[i], &line);
        if (run && line.len == prev.len && memcmp(line.data, prev.data, line.len) == 0) {
            if (++run <= TRACE_REPEAT)
                buf_put(&vm->trace, line.data, line.len);
            continue;
        }
        if (run > TRACE_REPEAT)
            buf_printf(&vm->trace, "  ... the line above repeated %u more times\n", run - TRACE_REPEAT);
        run = 1;
        buf_put(&vm->trace, line.data, line.len);
        buf_reset(&prev);
        buf_put(&prev, line.data, line.len);
    }
    if (run > TRACE_REPEAT)
        buf_printf(&vm->trace, "  ... the line above repeated %u more times\n", run - TRACE_REPEAT);
    buf_free(&line);
    buf_free(&prev);
}

/* Is exc an error object (Error or a subclass: `$trace` is its slot 1)? */
static bool is_error(holt_vm *vm, gaddr exc)
{
    return exc && rt_type_is(vm, rt_obj_type(vm, exc), rt_err_type(vm, RT_E_Error));
}

/* Store the trace text just captured into the error's `$trace`. Allocation may meet a full
 * memory; then the host copy in vm->trace is all there is, and the error being thrown stays
 * the one it was. The shared preallocated OutOfMemoryError never keeps a trace: each of its
 * throws is a new occurrence. */
static void keep_trace(holt_vm *vm, gaddr exc)
{
    if (exc == vm->heap.oom || !is_error(vm, exc))
        return;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        gaddr s = rt_str_new(vm, vm->trace.data ? vm->trace.data : "", vm->trace.len);
        hm_st64(&vm->m, exc + 16, s);
    }
    vm->catcher = c.prev;
    vm->exc = exc;
    vm->trace_done = true;
}

/* Record the stack trace of the error being thrown: every frame, innermost first. Only on
 * the error object's first throw: throwing it again (a `finally` rethrow, `throw e` of a
 * caught error) and crossing a native that called back into Holt keep the first trace, which
 * the object carries in `$trace`; vm->trace holds a host copy for the reporter. */
static void capture_trace(holt_vm *vm)
{
    if (vm->trace_done)
        return;
    gaddr exc = vm->exc;
    gaddr saved = is_error(vm, exc) && exc != vm->heap.oom ? hm_ld64(&vm->m, exc + 16) : 0;
    buf_reset(&vm->trace);
    if (saved) {
        uint64_t len = 0;
        char *text = rt_str_dup(vm, saved, &len);
        buf_put(&vm->trace, text, len);
        free(text);
        vm->trace_done = true;
        return;
    }
    uint32_t n = vm->nframes;
    if (n <= TRACE_HEAD + TRACE_TAIL) {
        trace_frames(vm, n, 0);
    } else {
        trace_frames(vm, n, n - TRACE_HEAD);
        buf_printf(&vm->trace, "  ... %u more frames\n", n - TRACE_HEAD - TRACE_TAIL);
        trace_frames(vm, TRACE_TAIL, 0);
    }
    vm->trace_done = true;
    keep_trace(vm, exc);
}

/* Find the handler of vm->exc in the frames of the invocation that began at frame `entry`,
 * innermost first. On a match, drop the frames above the handler's, point its pc at the
 * handler and make its operand stack the error alone. */
static bool find_handler(holt_vm *vm, uint32_t entry)
{
    gaddr exc = vm->exc;
    if (!exc)
        return false;
    rt_typeid et = rt_obj_type(vm, exc);
    for (uint32_t i = vm->nframes; i-- > entry;) {
        vm_frame *f = &vm->frames[i];
        const bc_function *bf = f->fn->bc;
        uint32_t pc = (uint32_t)(f->pc - bf->code);
        for (uint16_t h = 0; h < bf->nhandlers; h++) {
            const bc_handler *eh = &bf->handlers[h];
            if (pc < eh->start || pc >= eh->end)
                continue;
            if (eh->type && !rt_type_is(vm, et, (rt_typeid)f->fn->mod->k[eh->type]))
                continue;
            vm->nframes = i + 1;
            f->pc = bf->code + eh->handler;
            f->base[f->fn->nlocals] = exc;
            return true;
        }
    }
    return false;
}

/* After a throw or an exit reached the invocation that started with `entry` frames and no
 * handler took it. */
static int unwind(holt_vm *vm, uint32_t entry, int status)
{
    if (status == RT_THROWN)
        capture_trace(vm);
    vm->nframes = entry;
    return status;
}

/* ---- entry points ---------------------------------------------------------------------------- */

static const char *fn_name(holt_vm *vm, uint32_t id)
{
    return id < vm->nfntab ? vm->fntab[id]->name : NULL;
}

static void ensure_stack(holt_vm *vm)
{
    if (!vm->stack) {
        uint32_t slots = vm->cfg.stack_slots ? vm->cfg.stack_slots : DEFAULT_STACK_SLOTS;
        vm->stack = xcalloc(slots, sizeof *vm->stack);
        vm->stack_end = vm->stack + slots;
    }
    /* Natives call back into Holt through these hooks (rt.h rt_call_value). */
    vm->call_hook = interp_call;
    vm->fn_name_hook = fn_name;
    if (!vm->frames) {
        vm->max_frames = vm->cfg.max_frames ? vm->cfg.max_frames : DEFAULT_MAX_FRAMES;
        vm->frames = xcalloc(vm->max_frames, sizeof *vm->frames);
        vm->nframes = 0;
    }
}

/* Push a frame for fn with its arguments (its captured cells first, when it has any) and run
 * it to its return. A call from a native that a Holt function called places the new frame
 * above the deepest operand stack the caller can have, so nothing the native holds is
 * overwritten. */
static uint64_t enter(holt_vm *vm, vm_function *fn, const uint64_t *args)
{
    uint32_t entry = vm->nframes;
    uint64_t *base = vm->stack;
    if (entry) {
        const vm_frame *top = &vm->frames[entry - 1];
        base = top->base + top->fn->nlocals + top->fn->max_stack;
    }
    check_room(vm, base, fn);
    vm_frame *fr = &vm->frames[vm->nframes++];
    fr->fn = fn;
    fr->base = base;
    fr->pc = fn->bc->code;
    uint32_t nargs = (uint32_t)fn->ncaps + fn->nparams;
    if (nargs)
        memmove(base, args, nargs * sizeof *base);
    for (uint32_t i = nargs; i < fn->nlocals; i++)
        base[i] = 0;
    return vm->cfg.force_switch ? run_switch(vm, entry, 0) : run_goto(vm, entry, 0);
}

int interp_call(holt_vm *vm, vm_function *fn, const uint64_t *args, uint64_t *result)
{
    ensure_stack(vm);
    uint32_t entry = vm->nframes;
    int status;
    uintptr_t sp_now = (uintptr_t)__builtin_frame_address(0);
    if (vm->call_depth == 0)
        vm->host_stack_base = sp_now;
    if (vm->call_depth >= MAX_CALL_DEPTH ||
        (vm->host_stack_base > sp_now && vm->host_stack_base - sp_now > MAX_HOST_STACK)) {
        /* Thrown here, outside the new invocation, to the caller's own catcher. */
        rt_catch c0 = {.prev = vm->catcher, .status = 0};
        vm->catcher = &c0;
        if (setjmp(c0.jb) == 0)
            stack_overflow(vm);
        vm->catcher = c0.prev;
        capture_trace(vm);
        return c0.status == RT_EXITED ? RT_EXITED : RT_THROWN;
    }
    vm->call_depth++;
    /* Temporary roots pushed from here on belong to natives this invocation calls; an error
     * that reaches the catcher below has left their host frames, so their roots go too. */
    uint32_t nroots = vm->nroots;
    volatile bool started = false;    /* a handler has taken an error: resume, not enter */
    rt_catch c = {.prev = vm->catcher, .status = 0};
    vm->catcher = &c;
    for (;;) {
        if (setjmp(c.jb) == 0) {
            uint64_t r;
            if (!started)
                r = enter(vm, fn, args);
            else
                r = vm->cfg.force_switch ? run_switch(vm, entry, 1) : run_goto(vm, entry, 1);
            if (result)
                *result = r;
            status = RT_OK;
            break;
        }
        if (vm->nroots > nroots)
            vm->nroots = nroots;
        if (c.status != RT_EXITED) {
            capture_trace(vm);
            if (find_handler(vm, entry)) {
                started = true;
                c.status = 0;
                continue;
            }
        }
        status = unwind(vm, entry, c.status == RT_EXITED ? RT_EXITED : RT_THROWN);
        break;
    }
    vm->catcher = c.prev;
    vm->call_depth--;
    return status;
}

int interp_run_module(holt_vm *vm, vm_module *mod)
{
    mod->ran = true;
    const bc_module *m = mod->bc;
    for (uint32_t i = 1; i < m->nconsts; i++) {
        if (m->consts[i].tag != BC_K_MODULE)
            continue;
        vm_module *dep = mod->kp[i];
        if (dep && !dep->ran) {
            int status = interp_run_module(vm, dep);
            if (status != RT_OK)
                return status;
        }
    }
    return interp_call(vm, &mod->funcs[m->main], NULL, NULL);
}
