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
#include <stdlib.h>

#include "gc.h"
#include "vm.h"

/* The stack map of fn, built on first use. A map with no entries (code_len 0) stands for one
 * that could not be built; the frame's operands are then all tried as references, which
 * gc__mark makes safe (it keeps too much at worst). */
static const vm_stackmap *stack_map(vm_function *fn)
{
    if (fn->smap)
        return fn->smap;
    vm_stackmap *sm = calloc(1, sizeof *sm);
    if (!sm)
        return NULL;
    uint16_t fi = (uint16_t)(fn - fn->mod->funcs);
    if (verify_stack_map(fn->mod->bc, fi, sm) != 0) {
        vm_stackmap_free(sm);
        memset(sm, 0, sizeof *sm);
    }
    fn->smap = sm;
    return sm;
}

/* Mark the operands of frame fr that lie in [ops, end): by the stack map when there is one. */
static void mark_operands(holt_vm *vm, vm_frame *fr, uint64_t *ops, uint64_t *end)
{
    vm_function *fn = fr->fn;
    const vm_stackmap *sm = stack_map(fn);
    const uint8_t *code = fn->bc->code;
    uint64_t pc = fr->pc && fr->pc >= code ? (uint64_t)(fr->pc - code) : UINT64_MAX;
    if (sm && pc < sm->code_len && sm->at && sm->at[pc] != UINT32_MAX && sm->at[pc] < sm->nwords) {
        const uint32_t *w = sm->words + sm->at[pc];
        uint32_t depth = w[0];
        if (sm->at[pc] + 1 + (depth + 31) / 32 > sm->nwords)
            depth = 0; /* a malformed map: keep nothing from it rather than read past it */
        for (uint32_t i = 0; i < depth && ops + i < end; i++)
            if (w[1 + i / 32] & (1u << (i % 32)))
                gc__mark(vm, ops[i]);
        return;
    }
    /* No map for this point: every slot the frame may use, each checked by gc__mark. */
    uint64_t *lim = ops + fn->max_stack;
    for (uint64_t *s = ops; s < lim && s < end; s++)
        gc__mark(vm, *s);
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
    mark_frames(vm);
    mark_modules(vm);
    gc__end(vm);
}
