/* test_gc.c — the collector: allocation from free lists and the bump region, marking from
 * temporary roots through every kind of object (cycles and long chains included), sweeping,
 * giving memory back, the budget and the counters. Each test builds a VM by hand (machine and
 * runtime, no modules or frames) and collects with vm_collect, whose frame and module roots
 * are then empty, so the temporary roots (rt_root_push) decide what lives. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bare_vm.h"
#include "gc.h"
#include "vm.h"

/* A VM of `mem` bytes, collecting at every allocation when `stress` (bare_vm.h); free it
 * with holt_free. */
static holt_vm *new_vm(uint64_t mem, bool stress)
{
    return bare_vm_new((holt_config){.mem_bytes = mem, .gc_stress = stress});
}

static gaddr str(holt_vm *vm, const char *s) { return rt_str_cstr(vm, s); }

/* An ARRAY_REF of n slots, all null. */
static gaddr ref_array(holt_vm *vm, uint64_t n)
{
    gaddr a = rt_alloc(vm, RT_T_ARRAY_REF, RT_ARRAY_SLOTS + 8 * n);
    hm_st64(&vm->m, a + 8, n);
    return a;
}

static void set_slot(holt_vm *vm, gaddr a, uint64_t i, gaddr v)
{
    hm_st64(&vm->m, a + RT_ARRAY_SLOTS + 8 * i, v);
}

static gaddr get_slot(holt_vm *vm, gaddr a, uint64_t i)
{
    return hm_ld64(&vm->m, a + RT_ARRAY_SLOTS + 8 * i);
}

static uint64_t heap_bytes(holt_vm *vm)
{
    gc_state *g = vm->heap.gc;
    return vm->heap.top - g->start;
}

/* Fill the heap with `n` unreachable strings. */
static void garbage(holt_vm *vm, int n)
{
    char text[64];
    for (int i = 0; i < n; i++) {
        snprintf(text, sizeof text, "garbage string number %d", i);
        str(vm, text);
    }
}

Test(gc, rooted_objects_survive_and_garbage_is_reused)
{
    holt_vm *vm = new_vm(16 << 20, false);
    rt_typeid ls = rt_type_intern(vm, "[S");
    gaddr list = rt_list_new(vm, ls, 0);
    rt_root_push(vm, &list);
    char text[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(text, sizeof text, "item %d", i);
        rt_list_push(vm, list, str(vm, text));
        garbage(vm, 3);
    }
    uint64_t before = heap_bytes(vm);
    vm_collect(vm);
    cr_assert_eq(vm->m.stats[HM_STAT_gc_cycles], 1);
    cr_assert_eq(rt_list_len(vm, list), 1000);
    for (int i = 0; i < 1000; i += 111) {
        snprintf(text, sizeof text, "item %d", i);
        expect_str(vm, rt_list_get(vm, list, i), text);
    }
    uint64_t live = vm->m.stats[HM_STAT_gc_live];
    cr_assert_gt(live, 1000 * 32);
    cr_assert_lt(live, before / 2);
    /* The garbage's memory is reused: as much garbage again, of the same sizes, keeps the
     * heap below its size before the collection. */
    for (int i = 0; i < 1000; i++)
        garbage(vm, 3);
    cr_assert_leq(heap_bytes(vm), before);
    rt_root_pop(vm, 1);
    holt_free(vm);
}

Test(gc, unreachable_cycles_are_freed_and_reachable_ones_kept)
{
    holt_vm *vm = new_vm(16 << 20, false);
    /* a <-> b, reachable; c <-> d, not. */
    gaddr a = ref_array(vm, 2), b = ref_array(vm, 2), c = ref_array(vm, 2), d = ref_array(vm, 2);
    set_slot(vm, a, 0, b);
    set_slot(vm, b, 0, a);
    set_slot(vm, a, 1, str(vm, "kept"));
    set_slot(vm, c, 0, d);
    set_slot(vm, d, 0, c);
    set_slot(vm, d, 1, str(vm, "dropped"));
    rt_root_push(vm, &b);
    vm_collect(vm);
    cr_assert(gc__is_object(vm, a));
    cr_assert(gc__is_object(vm, b));
    cr_assert_not(gc__is_object(vm, c));
    cr_assert_not(gc__is_object(vm, d));
    cr_assert_eq(get_slot(vm, get_slot(vm, b, 0), 0), b);
    expect_str(vm, get_slot(vm, a, 1), "kept");
    /* Marks are cleared by the sweep: a second collection finds the same. */
    vm_collect(vm);
    cr_assert(gc__is_object(vm, a));
    cr_assert_eq(hm_ld32(&vm->m, a + 4), 0);
    rt_root_pop(vm, 1);
    vm_collect(vm);
    cr_assert_not(gc__is_object(vm, a));
    holt_free(vm);
}

Test(gc, a_long_chain_is_marked_without_recursion)
{
    holt_vm *vm = new_vm(256 << 20, false);
    /* A million-link list, each link [next, payload]. */
    gaddr head = 0;
    rt_root_push(vm, &head);
    for (int i = 0; i < 1000000; i++) {
        gaddr link = ref_array(vm, 2);
        set_slot(vm, link, 0, head);
        set_slot(vm, link, 1, rt_box(vm, RT_T_INT, (uint64_t)i));
        head = link;
    }
    vm_collect(vm);
    uint64_t n = 0, sum = 0;
    for (gaddr l = head; l; l = get_slot(vm, l, 0)) {
        sum += hm_ld64(&vm->m, get_slot(vm, l, 1) + 8);
        n++;
    }
    cr_assert_eq(n, 1000000);
    cr_assert_eq(sum, 999999ull * 1000000 / 2);
    rt_root_pop(vm, 1);
    holt_free(vm);
}

Test(gc, free_lists_serve_the_sizes_freed)
{
    holt_vm *vm = new_vm(16 << 20, false);
    gaddr keep = ref_array(vm, 1000);
    rt_root_push(vm, &keep);
    gaddr boxes[2000];
    for (int i = 0; i < 2000; i++) {
        boxes[i] = rt_box(vm, RT_T_INT, (uint64_t)i);
        if (i % 2 == 0)
            set_slot(vm, keep, (uint64_t)i / 2, boxes[i]);
    }
    vm_collect(vm);
    gc_state *g = vm->heap.gc;
    /* Every odd box but the last is a free block of 16 bytes between two live ones (the
     * last one went with the top of the heap). */
    cr_assert_neq(g->bins[2], 0);
    uint64_t top = vm->heap.top;
    for (int i = 0; i < 999; i++) {
        gaddr b = rt_box(vm, RT_T_FLOAT, 7);
        cr_assert_lt(b, top);
        cr_assert_eq(hm_ld64(&vm->m, b + 8), 7);
    }
    cr_assert_eq(vm->heap.top, top);
    for (int i = 0; i < 2000; i += 2)
        cr_assert_eq(hm_ld64(&vm->m, get_slot(vm, keep, (uint64_t)i / 2) + 8), (uint64_t)i);
    rt_root_pop(vm, 1);
    holt_free(vm);
}

Test(gc, large_objects_come_from_free_blocks_and_the_heap_shrinks)
{
    holt_vm *vm = new_vm(64 << 20, false);
    uint64_t base_heap = heap_bytes(vm);
    gaddr big[8];
    for (int i = 0; i < 8; i++)
        big[i] = rt_alloc(vm, RT_T_ARRAY_RAW, 4 << 20);
    gaddr pin = rt_alloc(vm, RT_T_ARRAY_RAW, 64);
    rt_root_push(vm, &pin);
    cr_assert_geq(heap_bytes(vm), 32u << 20);
    vm_collect(vm);
    /* Everything below the pin is one free block; a large object fits in it. */
    gaddr again = rt_alloc(vm, RT_T_ARRAY_RAW, 8 << 20);
    cr_assert_lt(again, pin);
    cr_assert_geq(again, big[0]);
    /* With nothing rooted, the heap falls back to about its first size and the mapping with
     * it. */
    rt_root_pop(vm, 1);
    vm_collect(vm);
    cr_assert_leq(heap_bytes(vm), base_heap + 4096);
    cr_assert_leq(vm->m.mapped, 2u << 20);
    cr_assert_leq(vm->m.stats[HM_STAT_gc_live], base_heap);
    cr_assert_geq(vm->m.stats[HM_STAT_gc_peak_heap], 32u << 20);
    /* Memory above the top faults again. */
    cr_assert_eq(CATCH(vm, hm_st64(&vm->m, vm->m.base + (16 << 20), 1)), RT_THROWN);
    holt_free(vm);
}

Test(gc, maps_lists_cells_and_closures_are_traced)
{
    holt_vm *vm = new_vm(16 << 20, false);
    rt_typeid mt = rt_type_intern(vm, "{S[S");
    rt_typeid lt = rt_type_intern(vm, "[S");
    rt_typeid cell = rt_type_intern(vm, "^[S");
    rt_typeid fnt = rt_type_intern(vm, "(I)I");
    cr_assert_neq(mt, RT_T_NONE);
    cr_assert_neq(cell, RT_T_NONE);
    cr_assert_neq(fnt, RT_T_NONE);
    gaddr map = rt_map_new(vm, mt, 0);
    rt_root_push(vm, &map);
    char key[32], val[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        gaddr l = rt_list_new(vm, lt, 0);
        rt_map_set(vm, map, str(vm, key), l);
        rt_list_push(vm, l, str(vm, val));
        garbage(vm, 2);
    }
    for (int i = 0; i < 200; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        gaddr k = str(vm, key);
        rt_map_remove(vm, map, k);
    }
    /* A closure holding one cell that holds a list. */
    gaddr list = rt_list_new(vm, lt, 0);
    rt_list_push(vm, list, str(vm, "in a cell"));
    gaddr c = rt_alloc(vm, cell, 16);
    hm_st64(&vm->m, c + 8, list);
    gaddr clo = rt_alloc(vm, fnt, 32);
    hm_st64(&vm->m, clo + 16, 1);
    hm_st64(&vm->m, clo + 24, c);
    list = c = 0;
    rt_root_push(vm, &clo);
    vm_collect(vm);
    cr_assert_eq(rt_map_len(vm, map), 100);
    for (int i = 1; i < 200; i += 2) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(val, sizeof val, "v%d", i);
        uint64_t l = 0;
        cr_assert(rt_map_get(vm, map, str(vm, key), &l));
        expect_str(vm, rt_list_get(vm, l, 0), val);
    }
    gaddr cc = hm_ld64(&vm->m, clo + 24);
    cr_assert(gc__is_object(vm, cc));
    expect_str(vm, rt_list_get(vm, hm_ld64(&vm->m, cc + 8), 0), "in a cell");
    rt_root_pop(vm, 2);
    holt_free(vm);
}

Test(gc, values_that_are_not_objects_are_ignored)
{
    holt_vm *vm = new_vm(16 << 20, false);
    gaddr arr = ref_array(vm, 6);
    gaddr s = str(vm, "real");
    set_slot(vm, arr, 0, s + 8);                      /* inside an object */
    set_slot(vm, arr, 1, 12345);                      /* not guest memory */
    set_slot(vm, arr, 2, vm->heap.top + 64);          /* above the heap */
    set_slot(vm, arr, 3, UINT64_MAX);
    set_slot(vm, arr, 4, s + 1);                      /* misaligned */
    set_slot(vm, arr, 5, s);
    rt_root_push(vm, &arr);
    vm_collect(vm);
    expect_str(vm, get_slot(vm, arr, 5), "real");
    /* Objects too short for their kind, last in the heap: traced without reading past them. */
    gaddr shorts = ref_array(vm, 4);
    rt_root_push(vm, &shorts);
    set_slot(vm, shorts, 0, rt_alloc(vm, rt_type_intern(vm, "[S"), 8));
    set_slot(vm, shorts, 1, rt_alloc(vm, rt_type_intern(vm, "{SS"), 16));
    set_slot(vm, shorts, 2, rt_alloc(vm, rt_type_intern(vm, "(I)I"), 16));
    set_slot(vm, shorts, 3, rt_alloc(vm, rt_type_intern(vm, "^S"), 8));
    vm_collect(vm);
    for (uint64_t i = 0; i < 4; i++)
        cr_assert(gc__is_object(vm, get_slot(vm, shorts, i)));
    rt_root_pop(vm, 1);
    rt_root_pop(vm, 1);
    holt_free(vm);
}

Test(gc, budget_follows_the_live_size_and_stress_collects_always)
{
    holt_vm *vm = new_vm(256 << 20, false);
    cr_assert_eq(vm->heap.budget, GC_MIN_BUDGET);
    gaddr big = rt_alloc(vm, RT_T_ARRAY_RAW, 8 << 20);
    rt_root_push(vm, &big);
    cr_assert(rt_gc_due(&vm->heap));
    vm_collect(vm);
    cr_assert_not(rt_gc_due(&vm->heap));
    cr_assert_geq(vm->heap.budget, 8u << 20);
    rt_root_pop(vm, 1);
    holt_free(vm);

    vm = new_vm(16 << 20, true);
    cr_assert_eq(vm->heap.budget, 1);
    rt_box(vm, RT_T_INT, 1);
    cr_assert(rt_gc_due(&vm->heap));
    vm_collect(vm);
    cr_assert_eq(vm->heap.budget, 1);
    cr_assert_not(rt_gc_due(&vm->heap));
    holt_free(vm);
}

Test(gc, counters_add_up)
{
    holt_vm *vm = new_vm(16 << 20, false);
    uint64_t before = vm->m.stats[HM_STAT_gc_bytes_allocated];
    garbage(vm, 100);
    cr_assert_geq(vm->m.stats[HM_STAT_gc_bytes_allocated] - before, 100 * 48);
    cr_assert_eq(vm->m.stats[HM_STAT_gc_bytes_allocated], vm->heap.bytes_allocated);
    vm_collect(vm);
    vm_collect(vm);
    cr_assert_eq(vm->m.stats[HM_STAT_gc_cycles], 2);
    cr_assert_gt(vm->m.stats[HM_STAT_gc_live], 0); /* the runtime's own objects */
    cr_assert_geq(vm->m.stats[HM_STAT_gc_peak_heap], vm->m.stats[HM_STAT_gc_live]);
    holt_free(vm);
}

/* Random graphs: a root array of 64 slots; each step allocates a node (an array of 3 slots
 * with a boxed id), links it to random nodes and drops random slots; collections between.
 * Afterwards every reachable node must still carry a valid id and valid links. */
Test(gc, stress_random_graphs)
{
    holt_vm *vm = new_vm(32 << 20, false);
    gaddr roots = ref_array(vm, 64);
    rt_root_push(vm, &roots);
    uint64_t seed = 42;
#define RAND() (seed = seed * 6364136223846793005ull + 1442695040888963407ull, seed >> 33)
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 5000; i++) {
            gaddr node = ref_array(vm, 3);
            set_slot(vm, node, 0, rt_box(vm, RT_T_INT, (uint64_t)(round * 5000 + i)));
            set_slot(vm, node, 1, get_slot(vm, roots, RAND() % 64));
            set_slot(vm, node, 2, get_slot(vm, roots, RAND() % 64));
            set_slot(vm, roots, RAND() % 64, node);
            if (RAND() % 4 == 0)
                set_slot(vm, roots, RAND() % 64, 0);
        }
        vm_collect(vm);
        /* Walk everything reachable (bounded: links may form cycles). */
        for (int r = 0; r < 64; r++) {
            gaddr n = get_slot(vm, roots, (uint64_t)r);
            for (int steps = 0; n && steps < 50; steps++) {
                cr_assert(gc__is_object(vm, n));
                cr_assert_eq(rt_obj_type(vm, n), RT_T_ARRAY_REF);
                gaddr id = get_slot(vm, n, 0);
                cr_assert(gc__is_object(vm, id));
                cr_assert_eq(rt_obj_type(vm, id), RT_T_INT);
                n = get_slot(vm, n, 1 + RAND() % 2);
            }
        }
    }
#undef RAND
    /* Bounded memory: the heap is far smaller than the 40 * 5000 * 64 bytes allocated. */
    cr_assert_lt(heap_bytes(vm), 8u << 20);
    rt_root_pop(vm, 1);
    holt_free(vm);
}

Test(gc, roots_pop_in_order)
{
    holt_vm *vm = new_vm(16 << 20, false);
    gaddr a = str(vm, "a"), b = str(vm, "b");
    rt_root_push(vm, &a);
    rt_root_push(vm, &b);
    cr_assert_eq(vm->nroots, 2);
    rt_root_pop(vm, 1);
    vm_collect(vm);
    cr_assert(gc__is_object(vm, a));
    cr_assert_not(gc__is_object(vm, b));
    rt_root_pop(vm, 5);
    cr_assert_eq(vm->nroots, 0);
    holt_free(vm);
}

Test(gc, released_pages_read_as_zero_and_shrunk_ones_fault)
{
    hmachine m;
    cr_assert_eq(hm_init(&m, &(hm_config){.mem_bytes = 1 << 20}), 0);
    cr_assert_eq(hm_map_heap(&m, 64 << 10), 0);
    hm_fill(&m, m.base, 0xab, 64 << 10);
    uint64_t used = hm_frames_used(&m);
    /* Only the whole pages inside the range go: the partial first and last ones stay. */
    hm_release(&m, m.base + 100, 3 * HM_PAGE_SIZE);
    cr_assert_eq(hm_frames_used(&m), used - 2);
    cr_assert_eq(hm_ld8(&m, m.base + 100), 0xab);
    cr_assert_eq(hm_ld8(&m, m.base + HM_PAGE_SIZE - 1), 0xab);
    cr_assert_eq(hm_ld8(&m, m.base + HM_PAGE_SIZE), 0);
    cr_assert_eq(hm_ld8(&m, m.base + 3 * HM_PAGE_SIZE - 1), 0);
    cr_assert_eq(hm_ld8(&m, m.base + 3 * HM_PAGE_SIZE), 0xab);
    /* Ranges outside the mapped memory are ignored. */
    hm_release(&m, m.base + (64 << 10), HM_PAGE_SIZE);
    hm_release(&m, 0, HM_PAGE_SIZE);
    hm_shrink_heap(&m, 5000);
    cr_assert_eq(m.mapped, 2 * HM_PAGE_SIZE);
    cr_assert(hm_ok(&m, m.base + 2 * HM_PAGE_SIZE - 8, 8));
    cr_assert_not(hm_ok(&m, m.base + 2 * HM_PAGE_SIZE, 8));
    hm_shrink_heap(&m, 1 << 20); /* never grows */
    cr_assert_eq(m.mapped, 2 * HM_PAGE_SIZE);
    uint64_t t0 = hm_clock_ns();
    cr_assert_geq(hm_clock_ns(), t0);
    hm_destroy(&m);
}

Test(gc, out_of_memory_with_garbage_makes_a_collection_due)
{
    holt_vm *vm = new_vm(4 << 20, false);
    cr_assert_not(rt_gc_due(&vm->heap));
    /* Garbage in 64 KiB pieces: past 3/4 of memory, a collection is due even though far less
     * than the budget was allocated... */
    vm->heap.budget = 64 << 20;
    int n = 0;
    while (n < 60 && !rt_gc_due(&vm->heap)) {
        rt_alloc(vm, RT_T_ARRAY_RAW, 64 << 10);
        n++;
    }
    cr_assert(rt_gc_due(&vm->heap));
    cr_assert_geq(n, 40);
    cr_assert_lt(n, 60);
    vm_collect(vm);
    /* ...and after it the memory is there again. */
    for (int i = 0; i < 40; i++)
        cr_assert_eq(CATCH(vm, rt_alloc(vm, RT_T_ARRAY_RAW, 64 << 10)), RT_OK);
    holt_free(vm);
}

Test(gc, a_collection_before_anything_is_allocated_is_harmless)
{
    holt_vm *vm = calloc(1, sizeof *vm);
    cr_assert_not_null(vm);
    cr_assert_eq(hm_init(&vm->m, &(hm_config){.mem_bytes = 1 << 20}), 0);
    vm->heap.budget = 1;
    vm_collect(vm);
    cr_assert_eq(vm->heap.since_gc, 0);
    rt_destroy(vm);
    hm_destroy(&vm->m);
    free(vm);
}
