/* gcroots.c — the collector's roots in the vm layer (vm.h: vm_collect). The runtime's own
 * roots (vm->exc, the stdio buffers, the preallocated OutOfMemoryError, the temporary roots of
 * natives), the tracing and the sweep are runtime/gc.c's.
 *
 * Each frame's locals are roots by their declared types, its operands by the stack map at the
 * frame's saved pc: the verifier's own types at that instruction (verify_stack_map), built the
 * first time a collection meets the function and kept in vm_function.smap. The top frame's pc
 * is the instruction whose GC_POLL started the collection, before it touched its operands;
 * every frame below is stopped at a call, whose arguments became the callee's locals (a callee
 * starts at the caller's sp - nparams), so a caller's operands are read only below its
 * callee's base. A frame entered from a native (interp_call) starts above its caller's whole
 * operand area, where the native's arguments stay.
 */
#include <stdio.h>
#include <stdlib.h>

#include "gc.h"
#include "trace.h"
#include "vm.h"

/* The stack map of fn, built on first use. Every function that runs has passed the verifier,
 * whose analysis the map is, so building it cannot fail short of the host running out of
 * memory; a failure is a broken invariant, and guessing which slots are references instead
 * would make the collector imprecise, so it stops the process. */
static const vm_stackmap *stack_map(vm_function *fn)
{
    if (fn->smap)
        return fn->smap;
    vm_stackmap *sm = xcalloc(1, sizeof *sm);
    uint16_t fi = (uint16_t)(fn - fn->mod->funcs);
    if (verify_stack_map(fn->mod->bc, fi, sm) != 0) {
        fprintf(stderr, "holt: internal error: no stack map for verified function %s\n", fn->name);
        abort();
    }
    fn->smap = sm;
    return sm;
}

/* Mark the operands of frame fr that lie in [ops, end) by the stack map at its saved pc. A
 * frame is always stopped at an instruction start the verifier reached (a GC_POLL or a call),
 * so the map has an entry there; anything else is a broken invariant. */
static void mark_operands(holt_vm *vm, vm_frame *fr, uint64_t *ops, uint64_t *end)
{
    vm_function *fn = fr->fn;
    const vm_stackmap *sm = stack_map(fn);
    uint64_t pc = (uint64_t)(fr->pc - fn->bc->code);
    if (pc >= sm->code_len || sm->at[pc] == UINT32_MAX) {
        fprintf(stderr, "holt: internal error: %s stopped at %llu, outside its stack map\n", fn->name,
                (unsigned long long)pc);
        abort();
    }
    const uint32_t *w = sm->words + sm->at[pc];
    uint32_t depth = w[0];
    for (uint32_t i = 0; i < depth && ops + i < end; i++)
        if (w[1 + i / 32] & (1u << (i % 32)))
            gc__mark(vm, ops[i]);
}

static void mark_frames(holt_vm *vm)
{
    for (uint32_t f = 0; f < vm->nframes; f++) {
        vm_frame *fr = &vm->frames[f];
        vm_function *fn = fr->fn;
        for (uint16_t i = 0; i < fn->nlocals; i++)
            if (fn->local_types[i] < vm->types.n && vm->types.v[fn->local_types[i]].is_ref)
                gc__mark(vm, fr->base[i]);
        uint64_t *ops = fr->base + fn->nlocals;
        uint64_t *end = f + 1 < vm->nframes ? vm->frames[f + 1].base : vm->stack_end;
        if (end > ops)
            mark_operands(vm, fr, ops, end);
    }
}

static void mark_modules(holt_vm *vm)
{
    for (uint32_t i = 0; i < vm->nmodules; i++) {
        vm_module *mod = vm->modules[i];
        const bc_module *bc = mod->bc;
        for (uint32_t gi = 0; gi < bc->nglobals; gi++)
            if (mod->global_types[gi] < vm->types.n && vm->types.v[mod->global_types[gi]].is_ref)
                gc__mark(vm, mod->globals[gi]);
        for (uint32_t k = 0; k < bc->nconsts; k++)
            if (bc->consts[k].tag == BC_K_STR)
                gc__mark(vm, mod->k[k]);
    }
}

void vm_collect(holt_vm *vm)
{
    if (!gc__begin(vm)) {
        vm->heap.since_gc = 0;
        return;
    }
    hm_trace(&vm->m, HM_TRACE_GC_BEGIN, NULL);
    mark_frames(vm);
    mark_modules(vm);
    gc__end(vm);
    const uint64_t live[1] = {vm->m.stats[HM_STAT_gc_live]};
    hm_trace(&vm->m, HM_TRACE_GC_END, live);
}
