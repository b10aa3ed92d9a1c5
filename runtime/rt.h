/* rt.h — the Holt runtime: run-time types, heap objects in guest memory, the allocation
 * funnel, the one throw path, strings, lists, maps, boxes, str() formatting, buffered standard
 * streams and the native functions. Everything here takes the VM as its first argument.
 *
 * Values. Every operand-stack slot, local, global, field and list element is 64 bits: an int
 * (int64_t), a float (the bits of a double), a bool (0 or 1) or a reference. A reference is a
 * guest virtual address (gaddr) of an object header, 0 for null. Which of these a slot holds
 * is known statically (the verifier's types, a list's element type), never tagged.
 *
 * Heap objects (guest memory, 8-byte aligned). Every object starts with an 8-byte header:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      4    run-time type id (rt_typeid) — the object's exact type
 *   4      4    GC word (reserved for the collector; 0 today)
 *
 * and continues by kind (offsets from the header):
 *
 *   STR    8  len (u64) · 16  hash (u64, 0 = not computed yet) · 24  bytes[len] · NUL
 *   LIST   8  len · 16  cap · 24  mods (u64, bumped by every change of length or order)
 *          · 32  items (gaddr of an ARRAY of cap slots, 0 when cap is 0)
 *   ARRAY  8  cap (u64) · 16  slots[cap]  (backing store; type RT_T_ARRAY_RAW or _REF)
 *   MAP    8  count (live entries) · 16  used (entries ever filled, dead ones included)
 *          · 24  cap (entry capacity) · 32  mods · 40  entries (ARRAY of 3 * cap slots:
 *          hash, key, value; a dead entry has hash RT_MAP_DEAD) · 48  index (ARRAY of a
 *          power-of-two count of slots: 0 empty, else entry number + 1)
 *   BOX    8  value (u64); the header's type id is RT_T_INT, RT_T_FLOAT or RT_T_BOOL
 *   OBJECT 8  fields[nfields], 8 bytes each (class instances; errors: field 0 = message)
 */
#ifndef HOLT_RT_H
#define HOLT_RT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "machine.h"

typedef struct holt_vm holt_vm;

/* A float slot holds the bits of a double. */
static inline double rt_f_of(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}
static inline uint64_t rt_bits_of(double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return bits;
}

/* ---- run-time types ------------------------------------------------------------------------ */

typedef uint32_t rt_typeid;

typedef enum {
    RK_VOID, RK_INT, RK_FLOAT, RK_BOOL, RK_STR, RK_ANY, RK_LIST, RK_MAP, RK_FN, RK_CLASS,
    RK_ARRAY,                     /* internal backing store */
    RK_CELL,                      /* "^x": a captured variable's storage (elem) */
} rt_kind;

/* Fixed ids, registered first by rt_init in this order. */
enum {
    RT_T_NONE = 0,                /* never a valid type: the "malformed" answer */
    RT_T_VOID, RT_T_INT, RT_T_FLOAT, RT_T_BOOL, RT_T_STR, RT_T_ANY,
    RT_T_ARRAY_RAW,               /* backing store whose slots hold no references */
    RT_T_ARRAY_REF,               /* backing store whose slots hold references */
    RT_T__FIXED
};

typedef struct rt_type {
    rt_kind kind;
    rt_typeid elem;               /* LIST element, MAP value */
    rt_typeid key;                /* MAP key */
    rt_typeid parent;             /* CLASS: base class, RT_T_NONE for a root */
    uint32_t nfields;             /* CLASS: instance fields, the base class's first */
    bool is_ref;                  /* values of this type are references */
    char *desc;                   /* canonical descriptor: "[I", "LIndexError;" */
    char *name;                   /* source spelling for messages: "[int]", "IndexError" */
    /* CLASS (user classes, interfaces and the built-in errors); see docs/objects.md */
    bool is_iface;                /* an interface: never the exact type of an object */
    bool defined;                 /* its definition (fields, methods) has been registered */
    rt_typeid *field_types;       /* nfields: each field's type (the collector reads is_ref) */
    char **field_names;           /* nfields: source names ("message"); hidden ones start '$' */
    rt_typeid *ifaces;            /* every interface it implements, inherited ones included */
    uint32_t nifaces;
    void **vtable;                /* vm_function* per virtual method slot (opaque here) */
    char **vnames, **vtypes;      /* name and signature descriptor per vtable slot */
    uint32_t nvtable;
    struct rt_itable *itables;    /* per implemented interface: its methods' vtable slots */
    void *to_str;                 /* vm_function* of `fn to_str() -> str`, or NULL */
} rt_type;

typedef struct rt_itable {
    rt_typeid iface;              /* the interface */
    uint32_t *slots;              /* per method of the interface, in its order: vtable slot */
} rt_itable;

/* Intern a descriptor; the same descriptor gives the same id. RT_T_NONE when malformed. */
rt_typeid rt_type_intern(holt_vm *vm, const char *desc);
const rt_type *rt_type_get(holt_vm *vm, rt_typeid id);
/* The exact type of object `obj` (not null): its header word. Inline in state.h. */
/* The type id of an object is `id` or a subclass of it (classes), or exactly `id` (others). */
bool rt_type_is(holt_vm *vm, rt_typeid t, rt_typeid id);

/* Does the generic native pattern (type variables T U K E) match the instantiated descriptor
 * `inst`? Each variable must bind to one type consistently. */
bool rt_desc_match(const char *pattern, const char *inst);
/* The end of the one type descriptor that starts at desc ("[I" in "[IS"), or NULL when desc
 * does not start with a well-formed one. */
const char *rt_desc_skip(const char *desc);

/* ---- errors: the one throw path ---------------------------------------------------------- */

typedef enum {
#define ERR(name, parent) RT_E_##name,
#include "errors.def"
#undef ERR
    RT_E__COUNT
} rt_err;

/* A protected region: rt_try pushes one; rt_throw longjmps to the innermost. */
typedef struct rt_catch {
    jmp_buf jb;
    struct rt_catch *prev;
    int status;                   /* RT_THROWN or RT_EXITED, set before the longjmp */
} rt_catch;

enum { RT_OK = 0, RT_THROWN = 1, RT_EXITED = 2 };

/* Throw a new error of a built-in class with a formatted message. vm->exc holds the error
 * object at the catch site. */
_Noreturn void rt_throw(holt_vm *vm, rt_err kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Throw an existing error object. */
_Noreturn void rt_throw_obj(holt_vm *vm, gaddr err);
/* Stop the program with a status (os.exit): flushes stdout, unwinds with RT_EXITED. */
_Noreturn void rt_exit(holt_vm *vm, int status);
/* The run-time type id of built-in error class `kind`. */
rt_typeid rt_err_type(holt_vm *vm, rt_err kind);
/* The message of an error object (a guest str, may be 0) and its class name. */
gaddr rt_err_message(holt_vm *vm, gaddr err);

/* ---- allocation: the one funnel ---------------------------------------------------------- */

/* `bytes` of zeroed guest memory (the 8-byte header included) for an object of type `type`,
 * header written, 8-aligned.
 * Throws OutOfMemoryError when the guest memory limit is reached. A safepoint. */
gaddr rt_alloc(holt_vm *vm, rt_typeid type, uint64_t bytes);

/* ---- strings ----------------------------------------------------------------------------- */

gaddr rt_str_new(holt_vm *vm, const char *bytes, uint64_t len);
gaddr rt_str_cstr(holt_vm *vm, const char *s);
uint64_t rt_str_len(holt_vm *vm, gaddr s);        /* NullError on null */
/* Copy the bytes out into a host buffer (len+1 bytes, NUL added); the caller frees it. */
char *rt_str_dup(holt_vm *vm, gaddr s, uint64_t *len);
gaddr rt_str_concat(holt_vm *vm, gaddr a, gaddr b);          /* NullError on null */
gaddr rt_str_concatn(holt_vm *vm, const gaddr *parts, int n); /* null pieces as "null" */
bool rt_str_eq(holt_vm *vm, gaddr a, gaddr b);                /* null == null */
int rt_str_cmp(holt_vm *vm, gaddr a, gaddr b);                /* NullError on null */
uint64_t rt_str_hash(holt_vm *vm, gaddr s);

/* str(x) of language.md 8 for a value of static type `type` (a reference of static type any
 * or a class is formatted by its dynamic type). */
gaddr rt_tostr(holt_vm *vm, uint64_t v, rt_typeid type);
/* Append the text of a float as Python's repr writes it ("1.0", "0.1", "1e+16", "nan"). */
void rt_fmt_float(holt_buf *b, double f);

/* ---- lists ------------------------------------------------------------------------------- */

#define RT_LIST_LEN 8
#define RT_LIST_CAP 16
#define RT_LIST_MODS 24
#define RT_LIST_ITEMS 32
#define RT_ARRAY_SLOTS 16

gaddr rt_list_new(holt_vm *vm, rt_typeid list_type, uint64_t cap);
void rt_list_push(holt_vm *vm, gaddr list, uint64_t v);       /* NullError on null */
uint64_t rt_list_get(holt_vm *vm, gaddr list, int64_t i);      /* IndexError, NullError */
void rt_list_set(holt_vm *vm, gaddr list, int64_t i, uint64_t v);
uint64_t rt_list_len(holt_vm *vm, gaddr list);

/* ---- maps -------------------------------------------------------------------------------- */

#define RT_MAP_COUNT 8
#define RT_MAP_USED 16
#define RT_MAP_CAP 24
#define RT_MAP_MODS 32
#define RT_MAP_ENTRIES 40
#define RT_MAP_INDEX 48
#define RT_MAP_DEAD UINT64_MAX

gaddr rt_map_new(holt_vm *vm, rt_typeid map_type, uint64_t cap);
bool rt_map_get(holt_vm *vm, gaddr map, uint64_t key, uint64_t *value);  /* NullError on null */
uint64_t rt_map_get_or_throw(holt_vm *vm, gaddr map, uint64_t key);   /* KeyError */
void rt_map_set(holt_vm *vm, gaddr map, uint64_t key, uint64_t value);
bool rt_map_remove(holt_vm *vm, gaddr map, uint64_t key);
uint64_t rt_map_len(holt_vm *vm, gaddr map);
/* Iteration: the first live entry at or after *pos; false when there is none. Advances *pos
 * past it. */
bool rt_map_next(holt_vm *vm, gaddr map, uint64_t *pos, uint64_t *key, uint64_t *value);

/* ---- boxes ------------------------------------------------------------------------------- */

gaddr rt_box(holt_vm *vm, rt_typeid type, uint64_t v);

/* ---- standard streams (user-level buffers; reach the host only through traps) ------------- */

void rt_out_write(holt_vm *vm, int fd, const char *p, uint64_t n);
void rt_out_flush(holt_vm *vm);
/* The next line of stdin without its newline, or 0 (null) at end of input. */
gaddr rt_in_line(holt_vm *vm);
/* The serial console (port 0x3F8): the OUT trap's handler in a VM, installed by rt_init with
 * ctx = the VM. A byte sent to COM1 joins print's output in the stdout buffer, in order
 * (runtime/lib_machine.c); other ports ignore what they are sent. */
int64_t rt_serial_out(hmachine *m, void *ctx, const uint64_t a[4]);

/* ---- calling back into Holt (installed by the vm layer) ------------------------------------ */

/* Call function value `fnval` (a closure, not null) with nargs arguments. On an error thrown by
 * the callee this rethrows it unchanged (rt_rethrow), trace included; never returns then. */
uint64_t rt_call_value(holt_vm *vm, gaddr fnval, const uint64_t *args, uint32_t nargs);
/* Call the vm_function* `fn` (a method: the receiver is args[0]); errors rethrown as above. */
uint64_t rt_call_fn(holt_vm *vm, void *fn, const uint64_t *args);
/* Throw vm->exc again to the next enclosing catcher without touching its trace. */
_Noreturn void rt_rethrow(holt_vm *vm);

/* ---- natives ------------------------------------------------------------------------------- */

/* A native takes its arguments in args[0..n-1] (the receiver first for methods) and returns
 * its result (ignored for V). `ret` is the run-time type of its instantiated result, so that
 * generic natives (list.slice, map.keys) can build correctly typed objects. Natives may throw. */
typedef uint64_t (*rt_native_fn)(holt_vm *vm, uint64_t *args, rt_typeid ret);

typedef struct {
    const char *name;             /* "str.split", "math.sqrt", "print" */
    const char *sig;              /* descriptor pattern, type variables T U K E allowed */
    rt_native_fn fn;
} rt_native;

extern const rt_native rt_natives[];
extern const uint32_t rt_nnatives;

/* The native called `name` whose pattern matches the instantiated descriptor; NULL if none. */
const rt_native *rt_native_find(const char *name, const char *inst_desc);

/* ---- runtime state ------------------------------------------------------------------------ */

typedef struct {
    rt_type *v;                   /* v[id] */
    uint32_t n, cap;
    uint32_t *index;              /* open-addressed hash of desc -> id (0 = empty) */
    uint32_t index_cap;           /* power of two */
} rt_types;

typedef struct {
    gaddr top;                    /* next free byte */
    gaddr limit;                  /* end of memory mapped for the heap */
    uint64_t bytes_allocated;     /* total, for --stats */
    gaddr oom;                    /* preallocated OutOfMemoryError: thrown without allocating */
    /* collector (runtime/gc.c) */
    uint64_t since_gc;            /* bytes allocated since the last collection */
    uint64_t budget;              /* collect at the next safepoint once since_gc reaches it
                                     (1 under --gc-stress: every allocation) */
    void *gc;                     /* the collector's private state (gc.c) */
} rt_heap;

/* GC_POLL for the interpreter: is a collection due at this safepoint? */
static inline bool rt_gc_due(const rt_heap *h) { return h->since_gc >= h->budget; }

/* ---- temporary roots: what a native holds across a call back into Holt -------------------- */

/* A native that calls Holt code (list.map, sort_by, to_str) may see a collection during that
 * call; every object it holds only in C variables must be registered first. Roots are slots
 * (the collector reads them when it runs); pop them in reverse order before returning. */
void rt_root_push(holt_vm *vm, gaddr *slot);
void rt_root_pop(holt_vm *vm, uint32_t n);

/* Initialise the runtime parts of a VM whose machine is already up: fixed types, error
 * classes, heap, stream buffers. Returns 0 or a negative errno. */
int rt_init(holt_vm *vm);
void rt_destroy(holt_vm *vm);

#endif
