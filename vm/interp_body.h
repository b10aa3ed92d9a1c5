/* interp_body.h — the interpreter loop. interp.c includes this file twice, to build the same
 * loop with two dispatch methods that the tests can both exercise:
 *
 *   INTERP_NAME   the name of the function to define
 *   INTERP_GOTO   1: computed goto (a table of label addresses, one indirect jump per
 *                 instruction); 0: a plain `switch` in a loop
 *
 * The function runs the frame on top of vm->frames until the frame count falls back to
 * `entry` (the frame below the one interp_call pushed) and returns the last frame's result.
 * The top frame resumes at its saved pc with `nops` operands already on its stack: 0 for a
 * fresh call, 1 (the error) when an exception handler resumes it.
 *
 * Registers of the loop: pc (the current instruction's opcode byte), sp (the next free
 * operand slot), base (the current frame's locals), k / kp (its module's linked constants), g
 * (its module's globals) and cnt (instructions not yet added to the machine's counter).
 * Each instruction that can throw or call out of the loop first saves pc in the frame
 * (SAVE_PC), so a stack trace names the right line and the counter is exact when the throw
 * leaves the loop. Fast paths that cannot throw (an index in range, a non-null string) skip
 * that store; a call of a Holt function stores only pc, since cnt goes on counting in the
 * callee. fr is always the top frame (vm->frames[vm->nframes - 1]).
 *
 * Types were checked by the verifier: no slot carries a tag and nothing is re-checked here.
 * What the verifier cannot know — null references, indices, divisors, map keys, modification
 * during iteration, the depth of recursion — is checked on every use.
 */

#if INTERP_GOTO
#define CASE(name) L_##name:
#define DISPATCH()                                                                             \
    do {                                                                                       \
        cnt++;                                                                                 \
        goto *LABELS()[*pc];                                                                   \
    } while (0)
/* Under position-independent code the table's address is a RIP-relative lea; left to itself
 * GCC hoists it into a callee-saved register for the whole loop, one the frame's base needs
 * more. A volatile asm makes it one lea per dispatch, which costs less than base's reloads. */
#if defined(__x86_64__) && defined(__PIC__)
#define LABELS()                                                                               \
    ({                                                                                         \
        const void *const *t_;                                                                 \
        __asm__ volatile("lea holt_interp_labels(%%rip), %0" : "=r"(t_));                      \
        t_;                                                                                    \
    })
#else
#define LABELS() labels
#endif
#else
#define CASE(name) case OP_##name:
#define DISPATCH()                                                                             \
    do {                                                                                       \
        cnt++;                                                                                 \
        goto dispatch;                                                                         \
    } while (0)
#endif

#define NEXT(size)                                                                             \
    do {                                                                                       \
        pc += (size);                                                                          \
        DISPATCH();                                                                            \
    } while (0)
#define SAVE_PC()                                                                              \
    do {                                                                                       \
        fr->pc = pc;                                                                           \
        vm->m.stats[HM_STAT_instructions] += cnt;                                              \
        cnt = 0;                                                                               \
    } while (0)
/* A safepoint: instructions that may allocate start with it, before they touch their
 * operands, so a collection sees every frame exactly as the stack maps describe it. */
#define GC_POLL()                                                                              \
    do {                                                                                       \
        if (__builtin_expect(rt_gc_due(&vm->heap), 0)) {                                       \
            SAVE_PC();                                                                         \
            vm_collect(vm);                                                                    \
        }                                                                                      \
    } while (0)
#define LOAD_FRAME()                                                                           \
    do {                                                                                       \
        fn = fr->fn;                                                                           \
        k = fn->k;                                                                             \
        kp = fn->kp;                                                                           \
        g = fn->globals;                                                                       \
        base = fr->base;                                                                       \
    } while (0)
#define U16(at) bc_u16(pc + (at))
#define I32(at) bc_i32(pc + (at))
/* Binary operations: a is the lower operand, b the top one; the result replaces both. */
#define BINARY(type, conv, expr)                                                               \
    do {                                                                                       \
        type a = conv(sp[-2]), b = conv(sp[-1]);                                               \
        sp[-2] = (expr);                                                                       \
        sp--;                                                                                  \
        NEXT(1);                                                                               \
    } while (0)
/* Compare-and-branch: pop a (lower) and b (top), jump when cond holds. */
#define CMP_JUMP(type, cond)                                                                   \
    do {                                                                                       \
        type a = (type)sp[-2], b = (type)sp[-1];                                               \
        sp -= 2;                                                                               \
        NEXT((cond) ? I32(1) : 5);                                                             \
    } while (0)
/* Compare-with-immediate-and-branch: pop a, compare with the i32 b, jump when cond holds. */
#define CMP_IMM_JUMP(type, cond)                                                               \
    do {                                                                                       \
        type a = (type)sp[-1], b = (type)(int64_t)I32(1);                                      \
        sp--;                                                                                  \
        NEXT((cond) ? I32(5) : 9);                                                             \
    } while (0)
#define AS_U(x) (x)
#define AS_I(x) ((int64_t)(x))
#define AS_F(x) rt_f_of(x)
#define UNARY(expr)                                                                            \
    do {                                                                                       \
        uint64_t a = sp[-1];                                                                   \
        sp[-1] = (expr);                                                                       \
        NEXT(1);                                                                               \
    } while (0)

static uint64_t INTERP_NAME(holt_vm *vm, uint32_t entry, uint32_t nops)
{
#if INTERP_GOTO
    /* Every byte maps to a label: the named opcodes to theirs, the rest to `bad`. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
    static const void *const labels[256] __asm__("holt_interp_labels") __attribute__((used)) = {
        [0 ... 255] = &&bad,
#define OP(name, operands, pops, pushes, doc) [OP_##name] = &&L_##name,
#include "opcodes.def"
#undef OP
    };
#pragma GCC diagnostic pop
#endif
    hmachine *const M = &vm->m;
    vm_frame *fr = &vm->frames[vm->nframes - 1];
    vm_function *fn;
    const uint64_t *k;
    void *const *kp;
    uint64_t *g;
#if INTERP_GOTO && defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    /* The frame's locals, read by a third of all instructions: asked for in a callee-saved
     * register, which GCC otherwise gives to colder values (a request, not a guarantee; the
     * value is the same wherever it lives). */
    register uint64_t *base __asm__("r14");
#else
    uint64_t *base;
#endif
    LOAD_FRAME();
    const uint8_t *pc = fr->pc;
    uint64_t *sp = base + fn->nlocals + nops;
    uint64_t cnt = 0;
    uint64_t result = 0;
    vm_function *callee;
    uint64_t *nb;                 /* a callee's base */
    uint32_t nfilled;             /* its first locals already holding arguments (and cells) */

#if INTERP_GOTO
    DISPATCH();
#else
    cnt++;
dispatch:
    switch (*pc) {
#endif

    /* ---- constants and the stack ---- */
    CASE(NOP) NEXT(1);
    CASE(IIMM) { *sp++ = (uint64_t)(int64_t)I32(1); NEXT(5); }
    CASE(KINT) { *sp++ = k[U16(1)]; NEXT(3); }
    CASE(KFLT) { *sp++ = k[U16(1)]; NEXT(3); }
    CASE(KSTR) { *sp++ = k[U16(1)]; NEXT(3); }
    CASE(TRUE) { *sp++ = 1; NEXT(1); }
    CASE(FALSE) { *sp++ = 0; NEXT(1); }
    CASE(NULL) { *sp++ = 0; NEXT(3); }
    CASE(POP) { sp--; NEXT(1); }
    CASE(DUP) { sp[0] = sp[-1]; sp++; NEXT(1); }

    /* ---- variables ---- */
    CASE(LOAD) { *sp++ = base[U16(1)]; NEXT(3); }
    CASE(STORE) { base[U16(1)] = *--sp; NEXT(3); }
    CASE(GLOAD) { *sp++ = g[U16(1)]; NEXT(3); }
    CASE(GSTORE) { g[U16(1)] = *--sp; NEXT(3); }
    CASE(XLOAD) { *sp++ = *(const uint64_t *)kp[U16(1)]; NEXT(3); }
    CASE(XSTORE) { *(uint64_t *)kp[U16(1)] = *--sp; NEXT(3); }

    /* ---- int arithmetic: wrapping, so done on unsigned values ---- */
    CASE(IADD) BINARY(uint64_t, AS_U, a + b);
    CASE(ISUB) BINARY(uint64_t, AS_U, a - b);
    CASE(IMUL) BINARY(uint64_t, AS_U, a * b);
    CASE(IDIV) {
        int64_t a = (int64_t)sp[-2], b = (int64_t)sp[-1];
        if (__builtin_expect(b == 0, 0)) {
            SAVE_PC();
            rt_throw(vm, RT_E_ArithmeticError, "division by zero");
        }
        /* MIN / -1 overflows in C; as negation it wraps back to MIN. */
        sp[-2] = b == -1 ? (uint64_t)0 - (uint64_t)a : (uint64_t)(a / b);
        sp--;
        NEXT(1);
    }
    CASE(IMOD) {
        int64_t a = (int64_t)sp[-2], b = (int64_t)sp[-1];
        if (__builtin_expect(b == 0, 0)) {
            SAVE_PC();
            rt_throw(vm, RT_E_ArithmeticError, "modulo by zero");
        }
        sp[-2] = b == -1 ? 0 : (uint64_t)(a % b);
        sp--;
        NEXT(1);
    }
    CASE(INEG) UNARY((uint64_t)0 - a);
    CASE(IAND) BINARY(uint64_t, AS_U, a & b);
    CASE(IOR) BINARY(uint64_t, AS_U, a | b);
    CASE(IXOR) BINARY(uint64_t, AS_U, a ^ b);
    CASE(INOT) UNARY(~a);
    CASE(ISHL) BINARY(uint64_t, AS_U, a << (b & 63));
    CASE(ISHR) BINARY(uint64_t, AS_U, shr(a, b));

    /* ---- float arithmetic ---- */
    CASE(FADD) BINARY(double, AS_F, rt_bits_of(a + b));
    CASE(FSUB) BINARY(double, AS_F, rt_bits_of(a - b));
    CASE(FMUL) BINARY(double, AS_F, rt_bits_of(a * b));
    CASE(FDIV) BINARY(double, AS_F, rt_bits_of(a / b));
    CASE(FMOD) BINARY(double, AS_F, rt_bits_of(fmod(a, b)));
    CASE(FNEG) UNARY(rt_bits_of(-rt_f_of(a)));
    CASE(I2F) UNARY(rt_bits_of((double)(int64_t)a));
    CASE(F2I) {
        double f = rt_f_of(sp[-1]);
        if (__builtin_expect(!(f >= -0x1p63 && f < 0x1p63), 0)) {
            SAVE_PC();
            f2i_fail(vm, f);
        }
        sp[-1] = (uint64_t)(int64_t)f;
        NEXT(1);
    }

    /* ---- comparisons ---- */
    CASE(IEQ) BINARY(uint64_t, AS_U, a == b);
    CASE(INE) BINARY(uint64_t, AS_U, a != b);
    CASE(ILT) BINARY(int64_t, AS_I, a < b);
    CASE(ILE) BINARY(int64_t, AS_I, a <= b);
    CASE(IGT) BINARY(int64_t, AS_I, a > b);
    CASE(IGE) BINARY(int64_t, AS_I, a >= b);
    CASE(FEQ) BINARY(double, AS_F, a == b);
    CASE(FNE) BINARY(double, AS_F, a != b);
    CASE(FLT) BINARY(double, AS_F, a < b);
    CASE(FLE) BINARY(double, AS_F, a <= b);
    CASE(FGT) BINARY(double, AS_F, a > b);
    CASE(FGE) BINARY(double, AS_F, a >= b);
    CASE(SEQ) { SAVE_PC(); BINARY(gaddr, AS_U, rt_str_eq(vm, a, b)); }
    CASE(SNE) { SAVE_PC(); BINARY(gaddr, AS_U, !rt_str_eq(vm, a, b)); }
    CASE(SLT) { SAVE_PC(); BINARY(gaddr, AS_U, rt_str_cmp(vm, a, b) < 0); }
    CASE(SLE) { SAVE_PC(); BINARY(gaddr, AS_U, rt_str_cmp(vm, a, b) <= 0); }
    CASE(SGT) { SAVE_PC(); BINARY(gaddr, AS_U, rt_str_cmp(vm, a, b) > 0); }
    CASE(SGE) { SAVE_PC(); BINARY(gaddr, AS_U, rt_str_cmp(vm, a, b) >= 0); }
    CASE(ZEQ) BINARY(uint64_t, AS_U, a == b);
    CASE(ZNE) BINARY(uint64_t, AS_U, a != b);
    CASE(REQ) BINARY(uint64_t, AS_U, a == b);
    CASE(RNE) BINARY(uint64_t, AS_U, a != b);
    CASE(NOT) UNARY(a ^ 1);

    /* ---- jumps: offsets are relative to the jump's own opcode byte ---- */
    CASE(JMP) NEXT(I32(1));
    CASE(JT) {
        uint64_t c = *--sp;
        NEXT(c ? I32(1) : 5);
    }
    CASE(JF) {
        uint64_t c = *--sp;
        NEXT(c ? 5 : I32(1));
    }

    /* ---- strings ---- */
    CASE(SCAT) { GC_POLL(); SAVE_PC(); BINARY(gaddr, AS_U, rt_str_concat(vm, a, b)); }
    CASE(SCATN) {
        GC_POLL();
        uint8_t n = pc[1];
        SAVE_PC();
        gaddr s = rt_str_concatn(vm, sp - n, n);
        sp -= n;
        *sp++ = s;
        NEXT(2);
    }
    CASE(SLEN) {
        gaddr s = sp[-1];
        if (__builtin_expect(s == 0, 0)) {
            SAVE_PC();
            rt_str_len(vm, s); /* throws the NullError */
        }
        sp[-1] = hm_ld64(M, s + STR_LEN);
        NEXT(1);
    }
    CASE(SGET) {
        gaddr s = sp[-2];
        uint64_t i = sp[-1];
        if (__builtin_expect(s == 0 || i >= hm_ld64(M, s + STR_LEN), 0)) {
            SAVE_PC();
            sget_fail(vm, s, (int64_t)i);
        }
        sp[-2] = hm_ld8(M, s + STR_BYTES + i);
        sp--;
        NEXT(1);
    }
    CASE(TOSTR) {
        GC_POLL();
        SAVE_PC();
        sp[-1] = rt_tostr(vm, sp[-1], (rt_typeid)k[U16(1)]);
        NEXT(3);
    }

    /* ---- lists ---- */
    CASE(NEWLIST) {
        GC_POLL();
        uint8_t n = pc[3];
        SAVE_PC();
        gaddr list = rt_list_new(vm, (rt_typeid)k[U16(1)], n);
        for (uint8_t i = 0; i < n; i++)
            rt_list_push(vm, list, sp[i - n]);
        sp -= n;
        *sp++ = list;
        NEXT(4);
    }
    CASE(LISTREP) {
        GC_POLL();
        SAVE_PC();
        sp[-2] = list_repeat(vm, (rt_typeid)k[U16(1)], sp[-2], (int64_t)sp[-1]);
        sp--;
        NEXT(3);
    }
    CASE(LLEN) {
        gaddr list = sp[-1];
        if (__builtin_expect(list == 0, 0)) {
            SAVE_PC();
            rt_list_len(vm, list); /* throws the NullError */
        }
        sp[-1] = hm_ld64(M, list + RT_LIST_LEN);
        NEXT(1);
    }
    /* LGET and LSET read the list's length and backing store with one translation when the
     * header words lie in one page (always, but for an object straddling a page boundary). */
    CASE(LGET) {
        gaddr list = sp[-2];
        uint64_t i = sp[-1];
        const uint8_t *h;
        if (__builtin_expect(list != 0, 1) &&
            __builtin_expect((h = hm_host(M, list + RT_LIST_LEN, LIST_HDR, HM_READ)) != NULL, 1)) {
            uint64_t len, items;
            memcpy(&len, h, sizeof len);
            memcpy(&items, h + (RT_LIST_ITEMS - RT_LIST_LEN), sizeof items);
            if (__builtin_expect(i < len, 1)) {
                sp[-2] = hm_ld64(M, items + RT_ARRAY_SLOTS + 8 * i);
                sp--;
                NEXT(1);
            }
        } else if (__builtin_expect(list != 0 && i < hm_ld64(M, list + RT_LIST_LEN), 1)) {
            gaddr items = hm_ld64(M, list + RT_LIST_ITEMS);
            sp[-2] = hm_ld64(M, items + RT_ARRAY_SLOTS + 8 * i);
            sp--;
            NEXT(1);
        }
        SAVE_PC();
        sp[-2] = rt_list_get(vm, list, (int64_t)i); /* throws */
        sp--;
        NEXT(1);
    }
    CASE(LSET) {
        gaddr list = sp[-3];
        uint64_t i = sp[-2];
        const uint8_t *h;
        if (__builtin_expect(list != 0, 1) &&
            __builtin_expect((h = hm_host(M, list + RT_LIST_LEN, LIST_HDR, HM_READ)) != NULL, 1)) {
            uint64_t len, items;
            memcpy(&len, h, sizeof len);
            memcpy(&items, h + (RT_LIST_ITEMS - RT_LIST_LEN), sizeof items);
            if (__builtin_expect(i < len, 1)) {
                hm_st64(M, items + RT_ARRAY_SLOTS + 8 * i, sp[-1]);
                sp -= 3;
                NEXT(1);
            }
        } else if (__builtin_expect(list != 0 && i < hm_ld64(M, list + RT_LIST_LEN), 1)) {
            gaddr items = hm_ld64(M, list + RT_LIST_ITEMS);
            hm_st64(M, items + RT_ARRAY_SLOTS + 8 * i, sp[-1]);
            sp -= 3;
            NEXT(1);
        }
        SAVE_PC();
        rt_list_set(vm, list, (int64_t)i, sp[-1]); /* throws */
        sp -= 3;
        NEXT(1);
    }
    CASE(LPUSH) {
        GC_POLL();
        SAVE_PC();
        rt_list_push(vm, sp[-2], sp[-1]);
        sp -= 2;
        NEXT(1);
    }
    CASE(LITER) {
        uint64_t *l = base + U16(1);
        gaddr list = *--sp;
        if (__builtin_expect(list == 0, 0)) {
            SAVE_PC();
            rt_throw(vm, RT_E_NullError, "for loop over a null list");
        }
        l[0] = list;
        l[1] = 0;
        l[2] = hm_ld64(M, list + RT_LIST_MODS);
        NEXT(3);
    }
    CASE(LNEXT) {
        uint64_t *l = base + U16(1);
        gaddr list = l[0];
        uint64_t i = l[1];
        if (__builtin_expect(list == 0, 0)) {
            /* Only bytecode that stores into the loop's hidden local gets here. */
            SAVE_PC();
            rt_throw(vm, RT_E_NullError, "for loop over a null list");
        }
        /* The modification count first: a change in the last round is a change too. */
        if (__builtin_expect(hm_ld64(M, list + RT_LIST_MODS) != l[2], 0)) {
            SAVE_PC();
            rt_throw(vm, RT_E_ValueError, "list modified during iteration");
        }
        if (i >= hm_ld64(M, list + RT_LIST_LEN))
            NEXT(I32(3));
        gaddr items = hm_ld64(M, list + RT_LIST_ITEMS);
        *sp++ = hm_ld64(M, items + RT_ARRAY_SLOTS + 8 * i);
        l[1] = i + 1;
        NEXT(7);
    }

    /* ---- maps ---- */
    CASE(NEWMAP) {
        GC_POLL();
        uint8_t n = pc[3];
        SAVE_PC();
        gaddr map = rt_map_new(vm, (rt_typeid)k[U16(1)], n);
        uint64_t *pairs = sp - 2 * n;
        for (uint8_t i = 0; i < n; i++)
            rt_map_set(vm, map, pairs[2 * i], pairs[2 * i + 1]);
        sp = pairs;
        *sp++ = map;
        NEXT(4);
    }
    CASE(MLEN) {
        SAVE_PC();
        sp[-1] = rt_map_len(vm, sp[-1]);
        NEXT(1);
    }
    CASE(MGET) {
        SAVE_PC();
        sp[-2] = rt_map_get_or_throw(vm, sp[-2], sp[-1]);
        sp--;
        NEXT(1);
    }
    CASE(MSET) {
        GC_POLL();
        SAVE_PC();
        rt_map_set(vm, sp[-3], sp[-2], sp[-1]);
        sp -= 3;
        NEXT(1);
    }
    CASE(MITER) {
        uint64_t *l = base + U16(1);
        gaddr map = *--sp;
        if (__builtin_expect(map == 0, 0)) {
            SAVE_PC();
            rt_throw(vm, RT_E_NullError, "for loop over a null map");
        }
        l[0] = map;
        l[1] = 0;
        l[2] = hm_ld64(M, map + RT_MAP_MODS);
        NEXT(3);
    }
    CASE(MNEXT) {
        uint64_t *l = base + U16(1);
        gaddr map = l[0];
        uint64_t pos = l[1], key, value;
        SAVE_PC();
        if (__builtin_expect(map == 0, 0))
            rt_throw(vm, RT_E_NullError, "for loop over a null map");
        if (__builtin_expect(hm_ld64(M, map + RT_MAP_MODS) != l[2], 0))
            rt_throw(vm, RT_E_ValueError, "map modified during iteration");
        if (!rt_map_next(vm, map, &pos, &key, &value))
            NEXT(I32(3));
        l[1] = pos;
        *sp++ = key;
        *sp++ = value;
        NEXT(7);
    }

    /* ---- calls ---- */
    CASE(CALL) {
        callee = &fn->mod->funcs[U16(1)];
        goto call;
    }
    CASE(CALLX) {
        callee = kp[U16(1)];
        goto call;
    }
    CASE(CALLN) {
        GC_POLL();
        const vm_native_site *site = kp[U16(1)];
        SAVE_PC();
        uint64_t *args = sp - site->nargs;
        uint64_t r = site->native->fn(vm, args, site->ret);
        sp = args;
        if (site->returns)
            *sp++ = r;
        NEXT(3);
    }
    CASE(RET) {
        sp = fr->base;
        result = 0;
        goto ret;
    }
    CASE(RETV) {
        result = sp[-1];
        sp = fr->base;
        *sp++ = result;
        goto ret;
    }

    /* ---- any ---- */
    CASE(BOXI) { GC_POLL(); SAVE_PC(); sp[-1] = rt_box(vm, RT_T_INT, sp[-1]); NEXT(1); }
    CASE(BOXF) { GC_POLL(); SAVE_PC(); sp[-1] = rt_box(vm, RT_T_FLOAT, sp[-1]); NEXT(1); }
    CASE(BOXZ) { GC_POLL(); SAVE_PC(); sp[-1] = rt_box(vm, RT_T_BOOL, sp[-1]); NEXT(1); }
    CASE(TOANY) NEXT(1);

    /* ---- objects: fields are an indexed load behind one null test ---- */
    CASE(NEW) {
        GC_POLL();
        rt_typeid t = (rt_typeid)k[U16(1)];
        SAVE_PC();
        *sp++ = rt_alloc(vm, t, 8 + 8 * (uint64_t)vm->types.v[t].nfields);
        NEXT(3);
    }
    CASE(GETF) {
        gaddr obj = sp[-1];
        if (__builtin_expect(obj == 0, 0)) {
            SAVE_PC();
            null_member(vm, fn, U16(1), "cannot read field");
        }
        sp[-1] = hm_ld64(M, obj + 8 + 8 * k[U16(1)]);
        NEXT(3);
    }
    CASE(SETF) {
        gaddr obj = sp[-2];
        if (__builtin_expect(obj == 0, 0)) {
            SAVE_PC();
            null_member(vm, fn, U16(1), "cannot write field");
        }
        hm_st64(M, obj + 8 + 8 * k[U16(1)], sp[-1]);
        sp -= 2;
        NEXT(3);
    }
    CASE(CALLVT) {
        uint64_t mk = k[U16(1)];
        gaddr recv = sp[-1 - (int64_t)LINK_METHOD_NARGS(mk)];
        if (__builtin_expect(recv == 0, 0)) {
            SAVE_PC();
            null_member(vm, fn, U16(1), "cannot call");
        }
        callee = vm->types.v[rt_obj_type(vm, recv)].vtable[LINK_METHOD_SLOT(mk)];
        goto call;
    }
    CASE(CALLIF) {
        uint64_t mk = k[U16(1)];
        gaddr recv = sp[-1 - (int64_t)LINK_METHOD_NARGS(mk)];
        if (__builtin_expect(recv == 0, 0)) {
            SAVE_PC();
            null_member(vm, fn, U16(1), "cannot call");
        }
        callee = iface_method(vm, rt_obj_type(vm, recv), mk);
        goto call;
    }
    CASE(CALLV) {
        uint8_t b = pc[1];
        gaddr clo = sp[-1 - (int)b];
        SAVE_PC();
        /* One translation of the closure's page reads its function id and cell count and,
         * when they lie in the same page (the usual case), its cells too. */
        const uint8_t *cp = closure_header(vm, clo);
        callee = closure_fn(vm, clo, cp, b);
        /* The closure's slot becomes the callee's base: its cells first, then the b
         * arguments moved up behind them. */
        nb = sp - b - 1;
        check_room(vm, nb, callee);
        uint32_t ncaps = callee->ncaps;
        if (ncaps) {
            for (uint32_t i = b; i-- > 0;)
                nb[ncaps + i] = nb[1 + i];
            if (cp && ((clo + 8) & (HM_PAGE_SIZE - 1)) + 16 + 8 * (uint64_t)ncaps <= HM_PAGE_SIZE)
                memcpy(nb, cp + 16, 8 * (size_t)ncaps);
            else
                for (uint32_t i = 0; i < ncaps; i++)
                    nb[i] = hm_ld64(M, clo + 24 + 8 * (uint64_t)i);
        } else {
            for (uint32_t i = 0; i < b; i++)
                nb[i] = nb[1 + i];
        }
        nfilled = ncaps + b;
        goto push_frame;
    }
    CASE(CLOSURE) {
        GC_POLL();
        vm_function *target = &fn->mod->funcs[U16(1)];
        uint8_t b = pc[3];
        SAVE_PC();
        gaddr clo = rt_alloc(vm, (rt_typeid)target->mod->k[target->bc->type], 24 + 8 * (uint64_t)b);
        hm_st64(M, clo + 8, target->id);
        hm_st64(M, clo + 16, b);
        for (uint8_t i = 0; i < b; i++)
            hm_st64(M, clo + 24 + 8 * (uint64_t)i, sp[(int)i - b]);
        sp -= b;
        *sp++ = clo;
        NEXT(4);
    }
    /* The cell takes the type of the local the next instruction (always STORE, checked at
     * link time) puts it in, so the collector knows whether its value is a reference. */
    CASE(CELL) {
        GC_POLL();
        SAVE_PC();
        gaddr c = rt_alloc(vm, fn->local_types[U16(2)], 16);
        hm_st64(M, c + 8, sp[-1]);
        sp[-1] = c;
        NEXT(1);
    }
    CASE(CGET) {
        gaddr c = sp[-1];
        if (__builtin_expect(c == 0, 0)) {
            SAVE_PC();
            null_cell(vm);
        }
        sp[-1] = hm_ld64(M, c + 8);
        NEXT(1);
    }
    CASE(CSET) {
        gaddr c = sp[-2];
        if (__builtin_expect(c == 0, 0)) {
            SAVE_PC();
            null_cell(vm);
        }
        hm_st64(M, c + 8, sp[-1]);
        sp -= 2;
        NEXT(1);
    }
    CASE(IS) {
        sp[-1] = value_is(vm, sp[-1], (rt_typeid)k[U16(1)]);
        NEXT(3);
    }
    CASE(CAST) {
        rt_typeid t = (rt_typeid)k[U16(1)];
        gaddr v = sp[-1];
        if (t == RT_T_INT || t == RT_T_FLOAT || t == RT_T_BOOL) {
            if (__builtin_expect(v == 0 || rt_obj_type(vm, v) != t, 0)) {
                SAVE_PC();
                cast_fail(vm, v, t);
            }
            sp[-1] = hm_ld64(M, v + 8);
        } else if (__builtin_expect(v != 0 && !value_is(vm, v, t), 0)) {
            SAVE_PC();
            cast_fail(vm, v, t);
        }
        NEXT(3);
    }
    CASE(THROW) {
        GC_POLL();
        SAVE_PC();
        rt_throw_obj(vm, sp[-1]);
    }

    /* ---- superinstructions: the code generator's fused shapes ---- */
    CASE(IADDI) { sp[-1] += (uint64_t)(int64_t)I32(1); NEXT(5); }
    CASE(IINC) { base[U16(1)] += (uint64_t)(int64_t)I32(3); NEXT(7); }
    CASE(JIEQ) CMP_JUMP(uint64_t, a == b);
    CASE(JINE) CMP_JUMP(uint64_t, a != b);
    CASE(JILT) CMP_JUMP(int64_t, a < b);
    CASE(JILE) CMP_JUMP(int64_t, a <= b);
    CASE(JIGT) CMP_JUMP(int64_t, a > b);
    CASE(JIGE) CMP_JUMP(int64_t, a >= b);
    CASE(LOAD2) {
        sp[0] = base[U16(1)];
        sp[1] = base[U16(3)];
        sp += 2;
        NEXT(5);
    }
    CASE(LOADF) {
        gaddr obj = base[U16(1)];
        if (__builtin_expect(obj == 0, 0)) {
            SAVE_PC();
            null_member(vm, fn, U16(3), "cannot read field");
        }
        *sp++ = hm_ld64(M, obj + 8 + 8 * k[U16(3)]);
        NEXT(5);
    }
    CASE(IADDL) { sp[-1] += base[U16(1)]; NEXT(3); }
    CASE(ISUBL) { sp[-1] -= base[U16(1)]; NEXT(3); }
    CASE(FADDL) { sp[-1] = rt_bits_of(rt_f_of(sp[-1]) + rt_f_of(base[U16(1)])); NEXT(3); }
    CASE(FSUBL) { sp[-1] = rt_bits_of(rt_f_of(sp[-1]) - rt_f_of(base[U16(1)])); NEXT(3); }
    CASE(FMULL) { sp[-1] = rt_bits_of(rt_f_of(sp[-1]) * rt_f_of(base[U16(1)])); NEXT(3); }
    CASE(FDIVL) { sp[-1] = rt_bits_of(rt_f_of(sp[-1]) / rt_f_of(base[U16(1)])); NEXT(3); }
    CASE(IADD3) { base[U16(1)] = base[U16(3)] + base[U16(5)]; NEXT(7); }
    CASE(ISUB3) { base[U16(1)] = base[U16(3)] - base[U16(5)]; NEXT(7); }
    CASE(FADD3) { base[U16(1)] = rt_bits_of(rt_f_of(base[U16(3)]) + rt_f_of(base[U16(5)])); NEXT(7); }
    CASE(FSUB3) { base[U16(1)] = rt_bits_of(rt_f_of(base[U16(3)]) - rt_f_of(base[U16(5)])); NEXT(7); }
    CASE(FMUL3) { base[U16(1)] = rt_bits_of(rt_f_of(base[U16(3)]) * rt_f_of(base[U16(5)])); NEXT(7); }
    CASE(FDIV3) { base[U16(1)] = rt_bits_of(rt_f_of(base[U16(3)]) / rt_f_of(base[U16(5)])); NEXT(7); }
    CASE(JTL) NEXT(base[U16(1)] ? I32(3) : 7);
    CASE(JFL) NEXT(base[U16(1)] ? 7 : I32(3));
    CASE(JIEQI) CMP_IMM_JUMP(uint64_t, a == b);
    CASE(JINEI) CMP_IMM_JUMP(uint64_t, a != b);
    CASE(JILTI) CMP_IMM_JUMP(int64_t, a < b);
    CASE(JILEI) CMP_IMM_JUMP(int64_t, a <= b);
    CASE(JIGTI) CMP_IMM_JUMP(int64_t, a > b);
    CASE(JIGEI) CMP_IMM_JUMP(int64_t, a >= b);
    CASE(JNULL) {
        uint64_t r = *--sp;
        NEXT(r ? 5 : I32(1));
    }
    CASE(JNNULL) {
        uint64_t r = *--sp;
        NEXT(r ? I32(1) : 5);
    }

#if !INTERP_GOTO
    default:
        goto bad;
    }
#endif

call:
    /* The callee's parameters are the caller's top operands: they become its first locals
     * where they lie. A call within the loop leaves the instruction count in cnt: only a
     * throw, a native or the return to the host need it in the counter. */
    fr->pc = pc;
    nb = sp - callee->nparams;
    if (!has_room(vm, nb, callee)) {
        SAVE_PC();
        stack_overflow(vm);
    }
    nfilled = callee->nparams;
push_frame:
    /* fr is always the top frame: the new one is the next. Its registers are set from the
     * callee rather than read back from the frame just written. */
    fr++;
    vm->nframes++;
    fr->fn = fn = callee;
    fr->base = base = nb;
    fr->pc = pc = callee->code;
    {
        uint32_t nlocals = callee->nlocals;
        for (uint32_t i = nfilled; i < nlocals; i++)
            nb[i] = 0;
        sp = nb + nlocals;
    }
    k = callee->k;
    kp = callee->kp;
    g = callee->globals;
    DISPATCH();

ret:
    /* sp already points just past the result (or at the callee's base): exactly where the
     * caller's operands continue. */
    vm->nframes--;
    if (vm->nframes == entry) {
        vm->m.stats[HM_STAT_instructions] += cnt;
        return result;
    }
    fr--;
    LOAD_FRAME();
    /* Resume after the calling instruction: CALLV is 2 bytes, every other call 3. */
    pc = fr->pc + (*fr->pc == OP_CALLV ? 2 : 3);
    DISPATCH();

bad:
    /* The verifier admits no unknown opcode; this is only a defence in depth. */
    SAVE_PC();
    rt_throw(vm, RT_E_Error, "invalid opcode %u", *pc);
}

#undef CASE
#undef DISPATCH
#undef NEXT
#undef SAVE_PC
#undef GC_POLL
#undef LOAD_FRAME
#undef U16
#undef I32
#undef BINARY
#undef CMP_JUMP
#undef CMP_IMM_JUMP
#undef AS_U
#undef AS_I
#undef AS_F
#undef UNARY
