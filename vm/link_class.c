/* link_class.c — linking the classes of a module (docs/objects.md "Classes").
 *
 * Each entry of a module's class section becomes the definition of a run-time type of kind
 * RK_CLASS: its fields (the base's first, so a field's slot never changes in subclasses), its
 * vtable (the base's, overrides replaced in place, new methods appended), every interface it
 * implements (inherited ones included) with one itable each (per interface method, the vtable
 * slot implementing it) and its to_str. Then FIELD constants resolve to slots and METHOD
 * constants to vtable slots or interface method indices, so nothing is looked up by name at
 * run time.
 *
 * A class is defined once per VM. A generic instance ("Lapp.Stack<int>;") is emitted into
 * every module that uses it: a later definition is accepted when it is the same (base,
 * fields, methods and interfaces by name and type) and the first one is kept.
 *
 * A failed link must leave no trace: every type this module defined is undefined again
 * (link__classes_undo) before its functions, which the vtables point to, are freed.
 */
#include <stdlib.h>
#include <string.h>

#include "vm.h"

/* The operand letters of each opcode, for walking code. */
static const char *const operand_letters[OP__COUNT] = {
#define OP(name, operands, pops, pushes, doc) [OP_##name] = operands,
#include "opcodes.def"
#undef OP
};

static uint32_t insn_size(uint8_t op)
{
    uint32_t size = 1;
    for (const char *o = operand_letters[op]; *o; o++)
        size += *o == 'b' ? 1 : (*o == 'h' || *o == 'k') ? 2 : 4;
    return size;
}

/* Free the definition parts of a type and mark it undefined again. */
static void undefine(rt_type *t)
{
    if (t->field_names)
        for (uint32_t f = 0; f < t->nfields; f++)
            free(t->field_names[f]);
    for (uint32_t v = 0; v < t->nvtable; v++) {
        free(t->vnames[v]);
        free(t->vtypes[v]);
    }
    for (uint32_t n = 0; t->itables && n < t->nifaces; n++)
        free(t->itables[n].slots);
    free(t->field_types);
    free(t->field_names);
    free(t->ifaces);
    free(t->vtable);
    free(t->vnames);
    free(t->vtypes);
    free(t->itables);
    t->field_types = NULL;
    t->field_names = NULL;
    t->ifaces = NULL;
    t->vtable = NULL;
    t->vnames = t->vtypes = NULL;
    t->itables = NULL;
    t->nfields = t->nifaces = t->nvtable = 0;
    t->parent = RT_T_NONE;
    t->to_str = NULL;
    t->is_iface = false;
    t->defined = false;
}

void link__classes_undo(holt_vm *vm, const rt_typeid *defined, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        undefine(&vm->types.v[defined[i]]);
}

/* A defined class or interface named by TYPE constant idx, or RT_T_NONE. */
static rt_typeid defined_class(holt_vm *vm, const bc_module *m, uint32_t idx)
{
    const char *desc = bc_type(m, idx);
    rt_typeid t = desc ? rt_type_intern(vm, desc) : RT_T_NONE;
    const rt_type *ty = rt_type_get(vm, t);
    return ty && ty->kind == RK_CLASS && ty->defined ? t : RT_T_NONE;
}

static void add_iface(rt_type *c, rt_typeid i)
{
    for (uint32_t k = 0; k < c->nifaces; k++)
        if (c->ifaces[k] == i)
            return;
    c->ifaces = xrealloc(c->ifaces, (c->nifaces + 1) * sizeof *c->ifaces);
    c->ifaces[c->nifaces++] = i;
}

static int find_vslot(const rt_type *c, const char *name)
{
    for (uint32_t v = 0; v < c->nvtable; v++)
        if (strcmp(c->vnames[v], name) == 0)
            return (int)v;
    return -1;
}

static void vtable_append(rt_type *c, void *fn, const char *name, const char *type)
{
    c->vtable = xrealloc(c->vtable, (c->nvtable + 1) * sizeof *c->vtable);
    c->vnames = xrealloc(c->vnames, (c->nvtable + 1) * sizeof *c->vnames);
    c->vtypes = xrealloc(c->vtypes, (c->nvtable + 1) * sizeof *c->vtypes);
    c->vtable[c->nvtable] = fn;
    c->vnames[c->nvtable] = xstrdup(name);
    c->vtypes[c->nvtable] = xstrdup(type);
    c->nvtable++;
}

/* Is function f's type exactly the method's signature with the receiver `cls` first? */
static bool receiver_type_ok(const char *fdesc, const char *cls, const char *sig)
{
    size_t n = strlen(cls);
    return fdesc && sig[0] == '(' && fdesc[0] == '(' && strncmp(fdesc + 1, cls, n) == 0 &&
           strcmp(fdesc + 1 + n, sig + 1) == 0;
}

/* Build the definition of class bc into *c (a zeroed rt_type copy). 0, or -1 with err. */
static int build(holt_vm *vm, vm_module *vmm, const bc_class *bc, const char *cname, rt_type *c, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    const char *cdesc = bc_type(m, bc->type);
    c->is_iface = (bc->flags & BC_CLASS_INTERFACE) != 0;
    c->parent = RT_T_NONE;
    if (bc->super) {
        rt_typeid b = defined_class(vm, m, bc->super);
        if (!b) {
            const char *bd = bc_type(m, bc->super);
            buf_printf(err, "link: module %s: class %s: unknown base class %s", m->name, cname, bd ? bd : "?");
            return -1;
        }
        const rt_type *bt = &vm->types.v[b];
        if (bt->is_iface || c->is_iface) {
            buf_printf(err, "link: module %s: class %s: base %s is an interface", m->name, cname,
                       c->is_iface ? "of an interface" : bt->name);
            return -1;
        }
        c->parent = b;
        c->nfields = bt->nfields;
        c->field_types = xmalloc((bt->nfields + bc->nfields + 1) * sizeof *c->field_types);
        c->field_names = xmalloc((bt->nfields + bc->nfields + 1) * sizeof *c->field_names);
        for (uint32_t f = 0; f < bt->nfields; f++) {
            c->field_types[f] = bt->field_types[f];
            c->field_names[f] = xstrdup(bt->field_names[f]);
        }
        for (uint32_t v = 0; v < bt->nvtable; v++)
            vtable_append(c, bt->vtable[v], bt->vnames[v], bt->vtypes[v]);
        for (uint32_t i = 0; i < bt->nifaces; i++)
            add_iface(c, bt->ifaces[i]);
    } else {
        c->field_types = xmalloc((bc->nfields + 1) * sizeof *c->field_types);
        c->field_names = xmalloc((bc->nfields + 1) * sizeof *c->field_names);
    }
    if (c->is_iface && bc->nfields) {
        buf_printf(err, "link: module %s: interface %s has fields", m->name, cname);
        return -1;
    }
    for (uint16_t f = 0; f < bc->nfields; f++) {
        const char *fname = bc_str(m, bc->fields[f].name);
        const char *fdesc = bc_type(m, bc->fields[f].type);
        rt_typeid ft = fdesc ? rt_type_intern(vm, fdesc) : RT_T_NONE;
        if (!fname || !ft) {
            buf_printf(err, "link: module %s: class %s: field %u is malformed", m->name, cname, f);
            return -1;
        }
        c->field_types[c->nfields] = ft;
        c->field_names[c->nfields++] = xstrdup(fname);
    }
    /* Declared interfaces, and the interfaces they extend. */
    for (uint16_t i = 0; i < bc->nifaces; i++) {
        rt_typeid it = defined_class(vm, m, bc->ifaces[i]);
        if (!it || !vm->types.v[it].is_iface) {
            const char *id = bc_type(m, bc->ifaces[i]);
            buf_printf(err, "link: module %s: class %s: %s %s is not an interface", m->name, cname,
                       it ? "class" : "unknown type", it ? vm->types.v[it].name : id ? id : "?");
            return -1;
        }
        add_iface(c, it);
        for (uint32_t k = 0; k < vm->types.v[it].nifaces; k++)
            add_iface(c, vm->types.v[it].ifaces[k]);
        /* An interface inherits the methods of the interfaces it extends. */
        if (c->is_iface) {
            const rt_type *itt = &vm->types.v[it];
            for (uint32_t v = 0; v < itt->nvtable; v++)
                if (find_vslot(c, itt->vnames[v]) < 0)
                    vtable_append(c, NULL, itt->vnames[v], itt->vtypes[v]);
        }
    }
    /* Own methods: overrides in place, new ones appended. */
    for (uint16_t i = 0; i < bc->nmethods; i++) {
        const bc_method *bm = &bc->methods[i];
        const char *name = bc_str(m, bm->name), *sig = bc_type(m, bm->type);
        if (!name || !sig || sig[0] != '(') {
            buf_printf(err, "link: module %s: class %s: method %u is malformed", m->name, cname, i);
            return -1;
        }
        vm_function *fn = NULL;
        if (!c->is_iface) {
            if (bm->func >= m->nfuncs ||
                !receiver_type_ok(bc_type(m, m->funcs[bm->func].type), cdesc, sig)) {
                buf_printf(err, "link: module %s: class %s: method %s has no function of type %s", m->name,
                           cname, name, sig);
                return -1;
            }
            fn = &vmm->funcs[bm->func];
        }
        int slot = find_vslot(c, name);
        if (slot < 0) {
            vtable_append(c, fn, name, sig);
        } else if (strcmp(c->vtypes[slot], sig) != 0) {
            buf_printf(err, "link: module %s: class %s: method %s%s overrides %s%s with another signature", m->name,
                       cname, name, sig, name, c->vtypes[slot]);
            return -1;
        } else {
            c->vtable[slot] = fn;
        }
    }
    if (c->nvtable > UINT16_MAX) {
        buf_printf(err, "link: module %s: class %s has too many methods", m->name, cname);
        return -1;
    }
    if (c->is_iface)
        return 0;
    /* Every interface method must be implemented with its exact signature. */
    c->itables = xcalloc(c->nifaces ? c->nifaces : 1, sizeof *c->itables);
    for (uint32_t i = 0; i < c->nifaces; i++) {
        const rt_type *it = &vm->types.v[c->ifaces[i]];
        c->itables[i].iface = c->ifaces[i];
        c->itables[i].slots = xcalloc(it->nvtable ? it->nvtable : 1, sizeof *c->itables[i].slots);
        for (uint32_t j = 0; j < it->nvtable; j++) {
            int slot = find_vslot(c, it->vnames[j]);
            if (slot < 0 || !c->vtable[slot]) {
                buf_printf(err, "link: module %s: class %s does not implement %s.%s", m->name, cname, it->name,
                           it->vnames[j]);
                return -1;
            }
            if (strcmp(c->vtypes[slot], it->vtypes[j]) != 0) {
                buf_printf(err, "link: module %s: class %s implements %s.%s with another signature (%s, expected %s)",
                           m->name, cname, it->name, it->vnames[j], c->vtypes[slot], it->vtypes[j]);
                return -1;
            }
            c->itables[i].slots[j] = (uint32_t)slot;
        }
    }
    int ts = find_vslot(c, "to_str");
    if (ts >= 0 && strcmp(c->vtypes[ts], "()S") == 0)
        c->to_str = c->vtable[ts];
    return 0;
}

/* Are two definitions the same class, method by method and field by field? */
static bool same_definition(const rt_type *a, const rt_type *b)
{
    if (a->is_iface != b->is_iface || a->parent != b->parent || a->nfields != b->nfields ||
        a->nvtable != b->nvtable || a->nifaces != b->nifaces)
        return false;
    for (uint32_t f = 0; f < a->nfields; f++)
        if (a->field_types[f] != b->field_types[f] || strcmp(a->field_names[f], b->field_names[f]) != 0)
            return false;
    for (uint32_t v = 0; v < a->nvtable; v++)
        if (strcmp(a->vnames[v], b->vnames[v]) != 0 || strcmp(a->vtypes[v], b->vtypes[v]) != 0)
            return false;
    for (uint32_t i = 0; i < a->nifaces; i++)
        if (a->ifaces[i] != b->ifaces[i])
            return false;
    return true;
}

/* Register every class of the module, base classes first. The ids of the types this module
 * defined go to *defined (freed by the caller) for link__classes_undo. */
static int define_classes(holt_vm *vm, vm_module *vmm, rt_typeid *defined, uint32_t *ndefined, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    for (uint16_t i = 0; i < m->nclasses; i++) {
        const bc_class *bc = &m->classes[i];
        const char *desc = bc_type(m, bc->type);
        rt_typeid id = desc && desc[0] == 'L' ? rt_type_intern(vm, desc) : RT_T_NONE;
        if (!id) {
            buf_printf(err, "link: module %s: class %u has a malformed type", m->name, i);
            return -1;
        }
        const char *cname = vm->types.v[id].name;
        rt_type c;
        memset(&c, 0, sizeof c);
        int rc = build(vm, vmm, bc, cname, &c, err);
        if (rc == 0 && vm->types.v[id].defined) {
            /* Keep the first definition when this one is the same (a generic instance that
             * several modules emit); anything else is a clash. */
            if (!same_definition(&vm->types.v[id], &c)) {
                buf_printf(err, "link: module %s: class %s is already defined differently", m->name, cname);
                rc = -1;
            }
            undefine(&c);
            if (rc < 0)
                return -1;
            continue;
        }
        if (rc < 0) {
            undefine(&c);
            return -1;
        }
        rt_type *t = &vm->types.v[id];
        c.kind = RK_CLASS;
        c.is_ref = true;
        c.desc = t->desc;
        c.name = t->name;
        c.elem = t->elem;
        c.key = t->key;
        c.defined = true;
        *t = c;
        defined[(*ndefined)++] = id;
    }
    return 0;
}

/* FIELD and METHOD constants. A field constant's k is its slot; a method constant's k packs
 * what CALLVT and CALLIF need (vm/vm.h LINK_METHOD_*): the argument count without the
 * receiver, the vtable slot or interface method index, and for interfaces the interface. */
static int resolve_members(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    for (uint32_t i = 1; i < m->nconsts; i++) {
        const bc_const *k = &m->consts[i];
        if (k->tag != BC_K_FIELD && k->tag != BC_K_METHOD)
            continue;
        const char *cdesc = bc_type(m, k->u.ref.module);
        const char *name = bc_str(m, k->u.ref.name);
        const char *tdesc = bc_type(m, k->u.ref.type);
        rt_typeid cls = defined_class(vm, m, k->u.ref.module);
        if (!cdesc || !name || !tdesc) {
            buf_printf(err, "link: module %s: constant %u is malformed", m->name, i);
            return -1;
        }
        if (!cls) {
            buf_printf(err, "link: module %s: %s %s.%s of an unknown class", m->name,
                       k->tag == BC_K_FIELD ? "field" : "method", cdesc, name);
            return -1;
        }
        const rt_type *c = &vm->types.v[cls];
        if (k->tag == BC_K_FIELD) {
            rt_typeid ft = rt_type_intern(vm, tdesc);
            int slot = -1;
            for (uint32_t f = c->nfields; f-- > 0;)
                if (strcmp(c->field_names[f], name) == 0) {
                    slot = (int)f;
                    break;
                }
            if (slot < 0 || c->field_types[slot] != ft) {
                buf_printf(err, "link: module %s: no field %s.%s of type %s", m->name, c->name, name, tdesc);
                return -1;
            }
            vmm->k[i] = (uint64_t)slot;
        } else {
            int slot = find_vslot(c, name);
            uint16_t nargs = 0;
            const char *d = tdesc[0] == '(' ? tdesc + 1 : NULL;
            while (d && *d != ')' && *d) {
                d = rt_desc_skip(d);
                nargs++;
            }
            if (slot < 0 || !d || strcmp(c->vtypes[slot], tdesc) != 0) {
                buf_printf(err, "link: module %s: no method %s.%s of type %s", m->name, c->name, name, tdesc);
                return -1;
            }
            vmm->k[i] = LINK_METHOD(nargs, (uint32_t)slot, c->is_iface ? cls : 0);
        }
    }
    return 0;
}

/* Instructions whose meaning depends on classes: NEW must name a class (not an interface),
 * and CELL must be followed by STORE into a local of a cell type, whose type the new cell
 * takes (docs/objects.md "Function values and closures"). */
static int check_code(holt_vm *vm, vm_module *vmm, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    for (uint16_t fi = 0; fi < m->nfuncs; fi++) {
        const bc_function *bf = &m->funcs[fi];
        for (uint32_t pc = 0; pc < bf->code_len;) {
            uint8_t op = bf->code[pc];
            if (op >= OP__COUNT)
                break;
            uint32_t size = insn_size(op);
            if (pc + size > bf->code_len)
                break;
            if (op == OP_NEW) {
                uint16_t idx = bc_u16(bf->code + pc + 1);
                rt_typeid t = defined_class(vm, m, idx);
                if (!t || vm->types.v[t].is_iface) {
                    const char *d = bc_type(m, idx);
                    buf_printf(err, "link: module %s: function %s, at %u: NEW of %s %s", m->name,
                               vmm->funcs[fi].name, pc, t ? "interface" : "undefined class",
                               t ? vm->types.v[t].name : d ? d : "?");
                    return -1;
                }
            } else if (op == OP_CELL) {
                uint32_t next = pc + size;
                bool ok = next + 3 <= bf->code_len && bf->code[next] == OP_STORE;
                uint16_t h = ok ? bc_u16(bf->code + next + 1) : 0;
                ok = ok && h < bf->nlocals && vm->types.v[vmm->funcs[fi].local_types[h]].kind == RK_CELL;
                if (!ok) {
                    buf_printf(err, "link: module %s: function %s, at %u: CELL is not followed by STORE into a cell local",
                               m->name, vmm->funcs[fi].name, pc);
                    return -1;
                }
            }
            pc += size;
        }
    }
    return 0;
}

int link__classes(holt_vm *vm, vm_module *vmm, rt_typeid **defined, uint32_t *ndefined, holt_buf *err)
{
    const bc_module *m = vmm->bc;
    *defined = xcalloc(m->nclasses ? m->nclasses : 1, sizeof **defined);
    *ndefined = 0;
    if (define_classes(vm, vmm, *defined, ndefined, err) < 0)
        return -1;
    if (resolve_members(vm, vmm, err) < 0 || check_code(vm, vmm, err) < 0)
        return -1;
    return 0;
}
