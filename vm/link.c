/* link.c — from a verified bc_module to a vm_module the interpreter runs (vm.h).
 *
 * Linking resolves every constant once, so that no instruction ever looks anything up by
 * name at run time:
 *
 *   INT     k[i] = the value            FLOAT  k[i] = the bits of the double
 *   STR     k[i] = a guest str          TYPE   k[i] = the interned run-time type id
 *   MODULE  kp[i] = the linked module of that name (this module itself allowed)
 *   FUNC    kp[i] = the vm_function with that name and exactly that type, not private
 *   GLOBAL  kp[i] = the global's slot (uint64_t *), same checks
 *   NATIVE  kp[i] = a vm_native_site: the native whose signature pattern matches the
 *           instantiated descriptor, its result type, argument count and whether it returns
 *   FIELD   k[i] = the field's slot          METHOD  k[i] = LINK_METHOD(...) (vm.h)
 *
 * Classes are defined as run-time types by link_class.c once the TYPE constants are interned,
 * and every function gets its id in vm->fntab (what closure objects store).
 *
 * The verifier checks a module on its own, taking the types that FUNC, GLOBAL and NATIVE
 * constants claim on trust; this is where those claims are held against the modules and
 * natives that really exist. Linking allocates guest strings and may therefore meet a full
 * guest memory; it catches that itself so a failed link leaks nothing and owns nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* Split a function descriptor "(args)r": the parameter count and the result part. Returns
 * false when desc is not exactly one function type. */
static bool desc_fn(const char *desc, uint16_t *nparams, const char **result)
{
    if (!desc || desc[0] != '(')
        return false;
    const char *end = rt_desc_skip(desc);
    if (!end || *end)
        return false;
    unsigned n = 0;
    const char *d = desc + 1;
    while (*d != ')') {
        d = rt_desc_skip(d);
        n++;
    }
    if (n > UINT16_MAX)
        return false;
    *nparams = (uint16_t)n;
    *result = d + 1;
    return true;
}

vm_module *vm_find_module(holt_vm *vm, const char *name)
{
    for (uint32_t i = 0; i < vm->nmodules; i++)
        if (strcmp(vm->modules[i]->name, name) == 0)
            return vm->modules[i];
    return NULL;
}

/* Free everything a (possibly half-built) vm_module owns except its bc_module. */
static void free_parts(vm_module *vmm)
{
    const bc_module *m = vmm->bc;
    if (vmm->kp && m) {
        for (uint32_t i = 1; i < m->nconsts; i++)
            if (m->consts[i].tag == BC_K_NATIVE)
                free(vmm->kp[i]);
    }
    if (vmm->funcs && m) {
        for (uint16_t i = 0; i < m->nfuncs; i++) {
            free(vmm->funcs[i].local_types);
            /* The stack map the collector built on first use (gcroots.c). */
            vm_stackmap_free(vmm->funcs[i].smap);
            free(vmm->funcs[i].smap);
        }
    }
    free(vmm->funcs);
    free(vmm->globals);
    free(vmm->global_types);
    free(vmm->k);
    free(vmm->kp);
}

void vm_module_free(vm_module *m)
{
    if (!m)
        return;
    free_parts(m);
    bc_module_free(m->bc);
    free(m);
}

/* The name of the module a MODULE constant of m refers to, or NULL when `idx` is not one. */
static const char *module_name(const bc_module *m, uint32_t idx)
{
    if (idx == 0 || idx >= m->nconsts || m->consts[idx].tag != BC_K_MODULE)
        return NULL;
    return bc_str(m, m->consts[idx].u.mod.name);
}

/* An interned type for TYPE constant `idx`, or RT_T_NONE (with the reason in err). */
static rt_typeid intern_type(holt_vm *vm, const bc_module *m, uint32_t idx, holt_buf *err)
{
    const char *desc = bc_type(m, idx);
    if (!desc) {
        buf_printf(err, "link: module %s: constant %u is not a type", m->name, idx);
        return RT_T_NONE;
    }
    rt_typeid t = rt_type_intern(vm, desc);
    if (t == RT_T_NONE)
        buf_printf(err, "link: module %s: bad type descriptor '%s'", m->name, desc);
    return t;
}

static int link_globals(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    vmm->globals = xcalloc(m->nglobals ? m->nglobals : 1, sizeof *vmm->globals);
    vmm->global_types = xcalloc(m->nglobals ? m->nglobals : 1, sizeof *vmm->global_types);
    for (uint16_t i = 0; i < m->nglobals; i++) {
        vmm->global_types[i] = intern_type(vm, m, m->globals[i].type, err);
        if (vmm->global_types[i] == RT_T_NONE)
            return -1;
    }
    return 0;
}

static int link_functions(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    vmm->funcs = xcalloc(m->nfuncs ? m->nfuncs : 1, sizeof *vmm->funcs);
    for (uint16_t i = 0; i < m->nfuncs; i++) {
        const bc_function *bf = &m->funcs[i];
        vm_function *f = &vmm->funcs[i];
        f->bc = bf;
        f->mod = vmm;
        f->k = vmm->k;
        f->kp = vmm->kp;
        f->globals = vmm->globals;
        f->code = bf->code;
        f->name = bc_str(m, bf->name);
        f->nparams = bf->nparams;
        f->ncaps = bf->ncaps;
        f->nlocals = bf->nlocals;
        f->max_stack = bf->max_stack;
        uint16_t nparams;
        const char *result;
        if (!f->name || !desc_fn(bc_type(m, bf->type), &nparams, &result) || nparams != bf->nparams ||
            (uint32_t)bf->nlocals < (uint32_t)bf->nparams + bf->ncaps) {
            buf_printf(err, "link: module %s: function %u has a malformed name or type", m->name, i);
            return -1;
        }
        f->returns = strcmp(result, "V") != 0;
        f->local_types = xcalloc(bf->nlocals ? bf->nlocals : 1, sizeof *f->local_types);
        for (uint16_t l = 0; l < bf->nlocals; l++) {
            f->local_types[l] = intern_type(vm, m, bf->local_types[l], err);
            if (f->local_types[l] == RT_T_NONE)
                return -1;
        }
    }
    if (m->main >= m->nfuncs) {
        buf_printf(err, "link: module %s: no top-level function", m->name);
        return -1;
    }
    return 0;
}

/* INT, FLOAT, STR, TYPE and MODULE constants: everything that FUNC and GLOBAL constants may
 * refer to. */
static int link_values(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    for (uint32_t i = 1; i < m->nconsts; i++) {
        const bc_const *c = &m->consts[i];
        switch (c->tag) {
        case BC_K_INT:
            vmm->k[i] = (uint64_t)c->u.i;
            break;
        case BC_K_FLOAT:
            memcpy(&vmm->k[i], &c->u.f, sizeof(double));
            break;
        case BC_K_STR:
            vmm->k[i] = rt_str_new(vm, c->u.s.bytes, c->u.s.len);
            break;
        case BC_K_TYPE:
            vmm->k[i] = intern_type(vm, m, i, err);
            if (vmm->k[i] == RT_T_NONE)
                return -1;
            break;
        case BC_K_MODULE: {
            const char *name = module_name(m, i);
            if (!name) {
                buf_printf(err, "link: module %s: constant %u is malformed", m->name, i);
                return -1;
            }
            vm_module *target = strcmp(name, m->name) == 0 ? vmm : vm_find_module(vm, name);
            if (!target) {
                buf_printf(err, "link: module %s: module '%s' is not loaded", m->name, name);
                return -1;
            }
            vmm->kp[i] = target;
            break;
        }
        default:
            break;
        }
    }
    return 0;
}

/* The operand letters of each opcode, straight from opcodes.def (bytecode.c's table is not
 * needed for this one walk). */
static const char *const operand_letters[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = operands,
#include "opcodes.def"
#undef OP
};

/* Is XSTORE ever applied to constant `idx` in m? A global declared with let may be read from
 * other modules but never written, and the verifier cannot see the target's flags. */
static bool stored_to(const bc_module *m, uint32_t idx)
{
    for (uint16_t f = 0; f < m->nfuncs; f++) {
        const bc_function *bf = &m->funcs[f];
        for (uint32_t pc = 0; pc < bf->code_len;) {
            uint8_t op = bf->code[pc];
            if (op >= OP__COUNT)
                break;
            if (op == OP_XSTORE && pc + 3 <= bf->code_len && bc_u16(bf->code + pc + 1) == idx)
                return true;
            uint32_t size = 1;
            for (const char *o = operand_letters[op]; *o; o++)
                size += *o == 'b' ? 1 : (*o == 'h' || *o == 'k') ? 2 : 4;
            pc += size;
        }
    }
    return false;
}

/* A FUNC, GLOBAL or NATIVE constant's parts, checked: its name and type descriptor, and for
 * FUNC and GLOBAL its target module (already linked by link_values). */
static bool ref_parts(const bc_module *m, vm_module *self, const bc_const *c, const char **name,
                      const char **desc, vm_module **target)
{
    *name = bc_str(m, c->u.ref.name);
    *desc = bc_type(m, c->u.ref.type);
    if (!*name || !*desc)
        return false;
    if (c->tag == BC_K_NATIVE)
        return true;
    if (!module_name(m, c->u.ref.module))
        return false;
    *target = self->kp[c->u.ref.module];
    return *target != NULL;
}

static vm_function *find_function(vm_module *target, vm_module *from, const char *name, const char *desc)
{
    const bc_module *tm = target->bc;
    for (uint16_t i = 0; i < tm->nfuncs; i++) {
        const bc_function *bf = &tm->funcs[i];
        if ((bf->flags & BC_PRIVATE) && target != from)
            continue;
        if (strcmp(target->funcs[i].name, name) == 0 && strcmp(bc_type(tm, bf->type), desc) == 0)
            return &target->funcs[i];
    }
    return NULL;
}

static int find_global(vm_module *target, vm_module *from, const char *name, const char *desc)
{
    const bc_module *tm = target->bc;
    for (uint16_t i = 0; i < tm->nglobals; i++) {
        const bc_global *g = &tm->globals[i];
        if ((g->flags & BC_PRIVATE) && target != from)
            continue;
        const char *gname = bc_str(tm, g->name), *gdesc = bc_type(tm, g->type);
        if (gname && gdesc && strcmp(gname, name) == 0 && strcmp(gdesc, desc) == 0)
            return i;
    }
    return -1;
}

/* FUNC, GLOBAL and NATIVE constants. */
static int link_refs(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    for (uint32_t i = 1; i < m->nconsts; i++) {
        const bc_const *c = &m->consts[i];
        if (c->tag != BC_K_FUNC && c->tag != BC_K_GLOBAL && c->tag != BC_K_NATIVE)
            continue;
        const char *name, *desc;
        vm_module *target = NULL;
        if (!ref_parts(m, vmm, c, &name, &desc, &target)) {
            buf_printf(err, "link: module %s: constant %u is malformed", m->name, i);
            return -1;
        }
        if (c->tag == BC_K_FUNC) {
            vm_function *f = find_function(target, vmm, name, desc);
            if (!f) {
                buf_printf(err, "link: module %s: no function %s.%s of type %s", m->name, target->name, name, desc);
                return -1;
            }
            vmm->kp[i] = f;
        } else if (c->tag == BC_K_GLOBAL) {
            int g = find_global(target, vmm, name, desc);
            if (g < 0) {
                buf_printf(err, "link: module %s: no global %s.%s of type %s", m->name, target->name, name, desc);
                return -1;
            }
            if (!(target->bc->globals[g].flags & BC_GLOBAL_MUTABLE) && stored_to(m, i)) {
                buf_printf(err, "link: module %s: global %s.%s is not mutable", m->name, target->name, name);
                return -1;
            }
            vmm->kp[i] = &target->globals[g];
        } else {
            uint16_t nargs;
            const char *result;
            const rt_native *n = desc_fn(desc, &nargs, &result) ? rt_native_find(name, desc) : NULL;
            rt_typeid ret = n ? rt_type_intern(vm, result) : RT_T_NONE;
            if (!n || ret == RT_T_NONE) {
                buf_printf(err, "link: module %s: no native %s of type %s", m->name, name, desc);
                return -1;
            }
            vm_native_site *site = xmalloc(sizeof *site);
            site->native = n;
            site->ret = ret;
            site->nargs = nargs;
            site->returns = strcmp(result, "V") != 0;
            vmm->kp[i] = site;
        }
    }
    return 0;
}

/* Give every function of the module its id in vm->fntab. */
static void number_functions(holt_vm *vm, vm_module *vmm)
{
    uint16_t n = vmm->bc->nfuncs;
    if (vm->nfntab + n > vm->fntab_cap) {
        vm->fntab_cap = (vm->nfntab + n) * 2 + 16;
        vm->fntab = xrealloc(vm->fntab, vm->fntab_cap * sizeof *vm->fntab);
    }
    for (uint16_t i = 0; i < n; i++) {
        vmm->funcs[i].id = vm->nfntab;
        vm->fntab[vm->nfntab++] = &vmm->funcs[i];
    }
}

static int link_all(holt_vm *vm, vm_module *vmm, rt_typeid **defined, uint32_t *ndefined, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    if (vm_find_module(vm, m->name)) {
        buf_printf(err, "link: module %s: a module of that name is already loaded", m->name);
        return -1;
    }
    vmm->k = xcalloc(m->nconsts ? m->nconsts : 1, sizeof *vmm->k);
    vmm->kp = xcalloc(m->nconsts ? m->nconsts : 1, sizeof *vmm->kp);
    if (link_globals(vm, vmm, err) < 0 || link_functions(vm, vmm, err) < 0 || link_values(vm, vmm, err) < 0 ||
        link__classes(vm, vmm, defined, ndefined, err) < 0 || link_refs(vm, vmm, err) < 0)
        return -1;
    number_functions(vm, vmm);
    return 0;
}

vm_module *link_module(holt_vm *vm, bc_module *m, holt_buf *err)
{
    vm_module *vmm = xcalloc(1, sizeof *vmm);
    vmm->bc = m;
    vmm->name = m->name;
    int rc;
    rt_typeid *volatile defined = NULL;
    volatile uint32_t ndefined = 0;
    rt_catch c = {.prev = vm->catcher};
    vm->catcher = &c;
    if (setjmp(c.jb) == 0) {
        rt_typeid *d = NULL;
        uint32_t nd = 0;
        rc = link_all(vm, vmm, &d, &nd, err);
        defined = d;
        ndefined = nd;
    } else {
        buf_printf(err, "link: module %s: out of guest memory", m->name);
        rc = -1;
    }
    vm->catcher = c.prev;
    if (rc < 0 && defined)
        link__classes_undo(vm, defined, ndefined);
    free(defined);
    if (rc < 0) {
        free_parts(vmm);
        free(vmm);
        return NULL;
    }
    vm->modules = xrealloc(vm->modules, (vm->nmodules + 1) * sizeof *vm->modules);
    vm->modules[vm->nmodules++] = vmm;
    return vmm;
}
