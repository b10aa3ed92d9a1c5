/* natives.c — the table of every native function, generated from natives.def, and the lookup
 * the linker uses to bind a call site to the native whose signature matches it. */
#include "natives_int.h"

const rt_native rt_natives[] = {
#define NATIVE(cname, name, sig) {name, sig, rt_n_##cname},
#include "natives.def"
#undef NATIVE
};

const uint32_t rt_nnatives = sizeof rt_natives / sizeof rt_natives[0];

/* Linking is rare and the table is short: a linear scan is enough. Overloads (math.abs on int
 * and on float) share a name and differ in their signatures. */
const rt_native *rt_native_find(const char *name, const char *inst_desc)
{
    if (!name || !inst_desc)
        return NULL;
    for (uint32_t i = 0; i < rt_nnatives; i++)
        if (strcmp(rt_natives[i].name, name) == 0 && rt_desc_match(rt_natives[i].sig, inst_desc))
            return &rt_natives[i];
    return NULL;
}
