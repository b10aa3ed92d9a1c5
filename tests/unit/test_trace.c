/* test_trace.c — the machine's event trace (hostos/trace.c): the file is one well-formed JSON
 * object in Chrome Trace Event Format, with the events asked for and no others, written as
 * they happen; the categories filter; the machine's own reporting points (traps, faults, the
 * TLB miss path) reach it; errors are reported. A small JSON reader below checks the syntax
 * strictly (what Perfetto's importer needs) and counts the events by phase and name. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "holt.h"
#include "machine.h"
#include "trace.h"

/* ---- a strict JSON reader ---------------------------------------------------------------- */

typedef struct {
    const char *p, *end;
    bool ok;
    int depth;
} json;

static void ws(json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static bool eat(json *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return true;
    }
    return false;
}

static void fail(json *j) { j->ok = false; }

/* A string; its text (escapes kept as written) into out when out is not NULL. */
static void string(json *j, char *out, size_t cap)
{
    size_t n = 0;
    if (!eat(j, '"'))
        return fail(j);
    while (j->p < j->end && *j->p != '"') {
        if ((unsigned char)*j->p < 0x20)
            return fail(j);
        if (*j->p == '\\')
            j->p++;
        if (out && n + 1 < cap)
            out[n++] = *j->p;
        j->p++;
    }
    if (out)
        out[n] = 0;
    if (!eat(j, '"'))
        fail(j);
}

static void number(json *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    while (j->p < j->end && strchr("0123456789.eE+-", *j->p))
        j->p++;
    if (j->p == s)
        fail(j);
    char tmp[64];
    size_t n = (size_t)(j->p - s) < sizeof tmp - 1 ? (size_t)(j->p - s) : sizeof tmp - 1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *e;
    strtod(tmp, &e);
    if (*e)
        fail(j);
}

static void value(json *j);

static void object(json *j)
{
    if (!eat(j, '{'))
        return fail(j);
    if (eat(j, '}'))
        return;
    do {
        string(j, NULL, 0);
        if (!eat(j, ':'))
            return fail(j);
        value(j);
    } while (j->ok && eat(j, ','));
    if (!eat(j, '}'))
        fail(j);
}

static void array(json *j)
{
    if (!eat(j, '['))
        return fail(j);
    if (eat(j, ']'))
        return;
    do
        value(j);
    while (j->ok && eat(j, ','));
    if (!eat(j, ']'))
        fail(j);
}

static void value(json *j)
{
    ws(j);
    if (!j->ok || j->p >= j->end || ++j->depth > 64)
        return fail(j);
    switch (*j->p) {
    case '{': object(j); break;
    case '[': array(j); break;
    case '"': string(j, NULL, 0); break;
    case 't': j->p += 4; break;
    case 'f': j->p += 5; break;
    case 'n': j->p += 4; break;
    default: number(j); break;
    }
    j->depth--;
}

/* The whole text is exactly one JSON value. */
static bool json_valid(const char *text, size_t len)
{
    json j = {text, text + len, true, 0};
    value(&j);
    ws(&j);
    return j.ok && j.p == j.end;
}

/* Events whose "ph" is ph and whose "name" is name (NULL: any), counted by a scan of the
 * text: every event is one line of the form {"name":"...","cat":...,"ph":"X"...}. */
static int count(const char *text, char ph, const char *name)
{
    int n = 0;
    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        char want[96];
        snprintf(want, sizeof want, "\"ph\":\"%c\"", ph);
        const char *eol = strchr(l, '\n');
        size_t len = eol ? (size_t)(eol - l) : strlen(l);
        char line[1024];
        if (len >= sizeof line)
            continue;
        memcpy(line, l, len);
        line[len] = 0;
        if (!strstr(line, want))
            continue;
        if (name) {
            snprintf(want, sizeof want, "{\"name\":\"%s\"", name);
            if (strncmp(line, want, strlen(want)) != 0)
                continue;
        }
        n++;
    }
    return n;
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static hmachine m;
static char path[64];

static void setup(void)
{
    hm_config cfg = {.mem_bytes = 1u << 20};
    cr_assert_eq(hm_init(&m, &cfg), 0);
    snprintf(path, sizeof path, "/tmp/holt_test_trace_%d.json", (int)getpid());
}

static void teardown(void)
{
    trace_close(&m);
    hm_destroy(&m);
    unlink(path);
}

static char *slurp(size_t *len)
{
    char *text = buf_read_file(path, len);
    cr_assert_not_null(text, "the trace file is missing");
    return text;
}

TestSuite(trace, .init = setup, .fini = teardown);

/* ---- tests --------------------------------------------------------------------------------- */

Test(trace, off_costs_nothing_and_closes_cleanly)
{
    cr_assert_null(m.trace);
    hm_trace(&m, HM_TRACE_TRAP, (const uint64_t[4]){TRAP_WRITE, 1, 2, 3}); /* no tracer: no-op */
    cr_assert_eq(trace_close(&m), 0);
}

Test(trace, every_event_makes_valid_chrome_json)
{
    cr_assert_eq(trace_open(&m, path, 0), 0);
    cr_assert_not_null(m.trace);
    hm_trace(&m, HM_TRACE_FAULT, (const uint64_t[4]){0x100000000123ull, HM_WRITE, HM_FAULT_NOT_PRESENT, HM_USER_MODE});
    hm_trace(&m, HM_TRACE_FAULT, (const uint64_t[4]){0x10000000ull, HM_READ, HM_FAULT_PROTECTION, HM_SUPER_MODE});
    hm_trace(&m, HM_TRACE_TRAP, (const uint64_t[4]){TRAP_WRITE, 1, UINT64_MAX, 5});
    hm_trace(&m, HM_TRACE_GC_BEGIN, NULL);
    hm_trace(&m, HM_TRACE_GC_END, (const uint64_t[1]){4096});
    m.stats[HM_STAT_tlb_hits] += 99;
    m.stats[HM_STAT_tlb_misses] += 1;
    hm_trace(&m, HM_TRACE_TLB, NULL);
    cr_assert_eq(trace_close(&m), 0);
    cr_assert_null(m.trace);

    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len), "not valid JSON:\n%s", text);
    cr_assert_eq(strncmp(text, "{\"traceEvents\":[", 16), 0);
    cr_assert_eq(count(text, 'i', "page fault"), 2);
    cr_assert_not_null(strstr(text, "\"addr\":\"0x100000000123\",\"access\":\"write\",\"kind\":\"not-present\",\"mode\":\"user\""));
    cr_assert_not_null(strstr(text, "\"access\":\"read\",\"kind\":\"protection\",\"mode\":\"supervisor\""));
    cr_assert_eq(count(text, 'i', "write"), 1);
    /* Numbers a JavaScript reader cannot hold exactly are written as hex strings. */
    cr_assert_not_null(strstr(text, "\"trap\":\"write\",\"a0\":1,\"a1\":\"0xffffffffffffffff\",\"a2\":5"));
    cr_assert_eq(count(text, 'B', "gc"), 1);
    cr_assert_eq(count(text, 'E', "gc"), 1);
    cr_assert_not_null(strstr(text, "\"live\":4096"));
    cr_assert_not_null(strstr(text, "\"percent\":99.000"));
    /* Resident frames at the start, after the collection, at the sample and at the end. */
    cr_assert_eq(count(text, 'C', "resident frames"), 4);
    free(text);
}

Test(trace, categories_filter_events)
{
    cr_assert_eq(trace_open(&m, path, HOLT_TRACE_TRAPS), 0);
    hm_trace(&m, HM_TRACE_FAULT, (const uint64_t[4]){0x100000000000ull, HM_READ, 0, HM_USER_MODE});
    hm_trace(&m, HM_TRACE_TRAP, (const uint64_t[4]){TRAP_CLOCK, 0, 0, 0});
    hm_trace(&m, HM_TRACE_GC_BEGIN, NULL);
    hm_trace(&m, HM_TRACE_GC_END, NULL);
    hm_trace(&m, HM_TRACE_TLB, NULL);
    cr_assert_eq(trace_close(&m), 0);
    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len), "not valid JSON:\n%s", text);
    cr_assert_eq(count(text, 'i', NULL), 1);
    cr_assert_eq(count(text, 'i', "clock"), 1);
    cr_assert_eq(count(text, 'B', NULL), 0);
    cr_assert_eq(count(text, 'C', NULL), 0);
    free(text);
}

Test(trace, out_of_range_arguments_stay_valid)
{
    cr_assert_eq(trace_open(&m, path, 0), 0);
    hm_trace(&m, HM_TRACE_FAULT, (const uint64_t[4]){1, 77, 99, 5});
    hm_trace(&m, HM_TRACE_TRAP, (const uint64_t[4]){TRAP__COUNT + 3, 0, 0, 0});
    m.trace(&m, HM_TRACE__COUNT, NULL);
    m.trace(&m, -1, NULL);
    cr_assert_eq(trace_close(&m), 0);
    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len), "not valid JSON:\n%s", text);
    cr_assert_not_null(strstr(text, "\"access\":\"unknown\",\"kind\":\"unknown\""));
    cr_assert_eq(count(text, 'i', "unknown trap"), 1);
    free(text);
}

Test(trace, trap_call_reports_every_trap)
{
    cr_assert_eq(trace_open(&m, path, HOLT_TRACE_TRAPS), 0);
    trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0);
    trap_call(&m, TRAP_TIME, 0, 0, 0, 0);
    trap_call(&m, TRAP_CLOCK, 0, 0, 0, 0);
    cr_assert_eq(trace_close(&m), 0);
    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len));
    cr_assert_eq(count(text, 'i', "clock"), 2);
    cr_assert_eq(count(text, 'i', "time"), 1);
    free(text);
}

Test(trace, the_fault_handler_reports_faults)
{
    cr_assert_eq(trace_open(&m, path, HOLT_TRACE_FAULTS), 0);
    gaddr a = (gaddr)hm_map(&m, 0, 2, HM_PERM_R | HM_PERM_W);
    cr_assert_geq((int64_t)a, (int64_t)HM_USER_BASE);
    hm_st64(&m, a, 1);                  /* demand-zero: one fault */
    hm_st64(&m, a + 8, 2);              /* resident now: none */
    hm_st64(&m, a + HM_PAGE_SIZE, 3);   /* the second page: one more */
    cr_assert_eq(trace_close(&m), 0);
    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len));
    cr_assert_eq(count(text, 'i', "page fault"), 2);
    char want[64];
    snprintf(want, sizeof want, "\"addr\":\"0x%llx\",\"access\":\"write\"", (unsigned long long)a);
    cr_assert_not_null(strstr(text, want), "no fault at %s in\n%s", want, text);
    free(text);
}

Test(trace, the_tlb_reports_a_sample_every_4096_misses)
{
    /* No TLB: every access misses, so 3 * 4096 accesses give three samples. */
    hm_destroy(&m);
    hm_config cfg = {.mem_bytes = 1u << 20, .tlb_off = true};
    cr_assert_eq(hm_init(&m, &cfg), 0);
    gaddr a = (gaddr)hm_map(&m, 0, 1, HM_PERM_R | HM_PERM_W);
    hm_st64(&m, a, 5);
    cr_assert_eq(trace_open(&m, path, HOLT_TRACE_TLB), 0);
    uint64_t before = m.stats[HM_STAT_tlb_misses];
    uint64_t sum = 0;
    while (m.stats[HM_STAT_tlb_misses] - before < 3 * HM_TRACE_TLB_EVERY)
        sum += hm_ld64(&m, a);
    cr_assert_eq(sum, 5 * 3 * HM_TRACE_TLB_EVERY);
    cr_assert_eq(trace_close(&m), 0);
    size_t len;
    char *text = slurp(&len);
    cr_assert(json_valid(text, len));
    /* At open, three samples, at close; the hit rate only where there were lookups. */
    int samples = count(text, 'C', "resident frames");
    cr_assert(samples >= 4 && samples <= 5, "%d samples", samples);
    cr_assert_not_null(strstr(text, "\"percent\":0.000"));
    free(text);
}

Test(trace, an_unwritable_path_is_an_error)
{
    cr_assert_eq(trace_open(&m, "/nonexistent-dir/x/trace.json", 0), -ENOENT);
    cr_assert_null(m.trace);
    cr_assert_eq(trace_close(&m), 0);
}

Test(trace, a_full_disk_is_reported_at_close)
{
    if (access("/dev/full", W_OK) != 0)
        return;
    cr_assert_eq(trace_open(&m, "/dev/full", 0), 0);
    for (int i = 0; i < 10000; i++)
        hm_trace(&m, HM_TRACE_TRAP, (const uint64_t[4]){TRAP_WRITE, 1, 2, 3});
    cr_assert_eq(trace_close(&m), -ENOSPC);
    cr_assert_null(m.trace);
}
