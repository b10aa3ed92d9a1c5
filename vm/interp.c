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
 * when it catches, `unwind` is the one place that decides what happens next: today it records
 * the stack trace (once per error) and pops every frame the invocation pushed. Exception
 * handlers will be looked up there, frame by frame, before anything is popped.
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

/* Frames a stack trace shows in full; beyond them (deep recursion) the innermost TRACE_HEAD
 * and the outermost TRACE_TAIL are shown around a line counting the rest. A run of more than
 * TRACE_REPEAT identical lines is also folded into one line saying how many were left out. */
#define TRACE_HEAD 100
#define TRACE_TAIL 20
#define TRACE_REPEAT 10

#define DEFAULT_STACK_SLOTS (1u << 20)
#define DEFAULT_MAX_FRAMES 200000u


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

/* Is there room for a frame of fn at base: its locals and deepest operand stack below the
 * end of the value stack, and one more frame? */
static inline void check_room(holt_vm *vm, uint64_t *base, const vm_function *fn)
{
    if (__builtin_expect((size_t)(vm->stack_end - base) < (size_t)fn->nlocals + fn->max_stack ||
                             vm->nframes >= vm->max_frames,
                         0))
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
 * site for every transition instead of one per instruction kind. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("no-crossjumping")
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

/* Record the stack trace of the error being thrown: every frame, innermost first. Only once
 * per error: when the error crosses a native that called back into Holt, the outer
 * invocation sees frames the inner one has already popped. */
static void capture_trace(holt_vm *vm)
{
    if (vm->trace_done)
        return;
    buf_reset(&vm->trace);
    uint32_t n = vm->nframes;
    if (n <= TRACE_HEAD + TRACE_TAIL) {
        trace_frames(vm, n, 0);
    } else {
        trace_frames(vm, n, n - TRACE_HEAD);
        buf_printf(&vm->trace, "  ... %u more frames\n", n - TRACE_HEAD - TRACE_TAIL);
        trace_frames(vm, TRACE_TAIL, 0);
    }
    vm->trace_done = true;
}

/* After a throw or an exit reached the invocation that started with `entry` frames. */
static int unwind(holt_vm *vm, uint32_t entry, int status)
{
    if (status == RT_THROWN)
        capture_trace(vm);
    vm->nframes = entry;
    return status;
}

/* ---- entry points ---------------------------------------------------------------------------- */

static void ensure_stack(holt_vm *vm)
{
    if (!vm->stack) {
        uint32_t slots = vm->cfg.stack_slots ? vm->cfg.stack_slots : DEFAULT_STACK_SLOTS;
        vm->stack = xcalloc(slots, sizeof *vm->stack);
        vm->stack_end = vm->stack + slots;
    }
    if (!vm->frames) {
        vm->max_frames = vm->cfg.max_frames ? vm->cfg.max_frames : DEFAULT_MAX_FRAMES;
        vm->frames = xcalloc(vm->max_frames, sizeof *vm->frames);
        vm->nframes = 0;
    }
}

/* Push a frame for fn with its arguments and run it to its return. A call from a native that
 * a Holt function called places the new frame above the deepest operand stack the caller
 * can have, so nothing the native holds is overwritten. */
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
    if (fn->nparams)
        memmove(base, args, fn->nparams * sizeof *base);
    for (uint32_t i = fn->nparams; i < fn->nlocals; i++)
        base[i] = 0;
    return vm->cfg.force_switch ? run_switch(vm, entry) : run_goto(vm, entry);
}

int interp_call(holt_vm *vm, vm_function *fn, const uint64_t *args, uint64_t *result)
{
    ensure_stack(vm);
    uint32_t entry = vm->nframes;
    int status;
    rt_catch c = {.prev = vm->catcher, .status = 0};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        uint64_t r = enter(vm, fn, args);
        if (result)
            *result = r;
        status = RT_OK;
    } else {
        status = unwind(vm, entry, c.status == RT_EXITED ? RT_EXITED : RT_THROWN);
    }
    vm->catcher = c.prev;
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
