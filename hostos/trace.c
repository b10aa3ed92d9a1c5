/* trace.c — writes the machine's events as Chrome Trace Event Format JSON (trace.h).
 *
 * Every event is formatted straight into the stdio buffer of the open file, so the tracer
 * holds a fixed amount of memory however long the program runs. Event names and argument
 * values come from the machine's own tables (trap.def, the access and fault kinds), so no
 * text from the program ever reaches the JSON and nothing needs escaping.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

/* The Chrome format keys tracks by process and thread ids; the machine is one of each. */
#define PID 1
#define TID 1
/* Integers above 2^53 do not survive a JavaScript reader: those are written as hex strings. */
#define JSON_EXACT (1ull << 53)

typedef struct {
    FILE *f;                      /* the trace file, written as events happen */
    unsigned mask;                /* HOLT_TRACE_* categories that are written */
    uint64_t t0;                  /* hm_clock_ns() when the trace was opened: ts 0 */
    bool any;                     /* an event has been written: the next needs a comma */
    uint64_t hits, misses;        /* the TLB counters at the previous sample */
    int err;                      /* the first write error (a negative errno), or 0 */
} tracer;

/* The category of each event, from the one table of events. */
static const unsigned event_category[HM_TRACE__COUNT] = {
#define TRACE_CAT_(NAME, cat) [HM_TRACE_##NAME] = cat,
    TRACE_EVENTS(TRACE_CAT_)
#undef TRACE_CAT_
};

static const char *const access_names[] = {[HM_READ] = "read", [HM_WRITE] = "write", [HM_EXEC] = "exec"};
static const char *const kind_names[] = {[HM_FAULT_NOT_PRESENT] = "not-present",
                                         [HM_FAULT_PROTECTION] = "protection"};

static const char *name_of(const char *const *names, size_t n, uint64_t i)
{
    return i < n ? names[i] : "unknown";
}
#define NAME_OF(names, i) name_of(names, sizeof names / sizeof names[0], i)

/* Remember the first failed write; later ones would only repeat it. */
static void check(tracer *t, int rc)
{
    if (rc < 0 && !t->err)
        t->err = errno ? -errno : -EIO;
}

/* The opening of an event: separator, name, category, phase and timestamp (microseconds with
 * nanosecond digits, as the format allows fractions). */
static void begin(tracer *t, const char *name, const char *cat, char ph)
{
    uint64_t ns = hm_clock_ns() - t->t0;
    check(t, fprintf(t->f, "%s{\"name\":\"%s\",\"cat\":\"%s\",\"ph\":\"%c\",\"ts\":%" PRIu64 ".%03u,\"pid\":%d,\"tid\":%d",
                     t->any ? ",\n" : "", name, cat, ph, ns / 1000, (unsigned)(ns % 1000), PID, TID));
    t->any = true;
}

static void end(tracer *t) { check(t, fputs("}", t->f)); }

/* One integer argument ("key":value), as a number when a reader keeps it exact. */
static void arg_int(tracer *t, const char *key, uint64_t v, bool first)
{
    if (v < JSON_EXACT)
        check(t, fprintf(t->f, "%s\"%s\":%" PRIu64, first ? "" : ",", key, v));
    else
        check(t, fprintf(t->f, "%s\"%s\":\"0x%" PRIx64 "\"", first ? "" : ",", key, v));
}

/* Counter tracks: resident frames, and the TLB hit rate since the previous sample (none when
 * there was no lookup in between, rather than a made-up rate). */
static void sample(hmachine *m, tracer *t)
{
    begin(t, "resident frames", "tlb", 'C');
    check(t, fprintf(t->f, ",\"args\":{\"frames\":%" PRIu64 "}", hm_frames_used(m)));
    end(t);
    uint64_t hits = m->stats[HM_STAT_tlb_hits] - t->hits;
    uint64_t misses = m->stats[HM_STAT_tlb_misses] - t->misses;
    t->hits = m->stats[HM_STAT_tlb_hits];
    t->misses = m->stats[HM_STAT_tlb_misses];
    if (hits + misses == 0)
        return;
    begin(t, "TLB hit rate", "tlb", 'C');
    check(t, fprintf(t->f, ",\"args\":{\"percent\":%.3f}", 100.0 * (double)hits / (double)(hits + misses)));
    end(t);
}

static void on_event(hmachine *m, int ev, const uint64_t *a)
{
    tracer *t = m->trace_ctx;
    if (!t || ev < 0 || ev >= HM_TRACE__COUNT || !(t->mask & event_category[ev]))
        return;
    static const uint64_t none[4];
    if (!a)
        a = none;
    switch ((hm_trace_event)ev) {
    case HM_TRACE_FAULT:
        begin(t, "page fault", "faults", 'i');
        check(t, fprintf(t->f, ",\"s\":\"t\",\"args\":{\"addr\":\"0x%" PRIx64 "\",\"access\":\"%s\",\"kind\":\"%s\",\"mode\":\"%s\"}",
                         a[0], NAME_OF(access_names, a[1]), NAME_OF(kind_names, a[2]),
                         a[3] == HM_SUPER_MODE ? "supervisor" : "user"));
        end(t);
        break;
    case HM_TRACE_TRAP:
        begin(t, a[0] < TRAP__COUNT ? trap_names[a[0]] : "unknown trap", "traps", 'i');
        check(t, fprintf(t->f, ",\"s\":\"t\",\"args\":{\"trap\":\"%s\"",
                         a[0] < TRAP__COUNT ? trap_names[a[0]] : "unknown"));
        arg_int(t, "a0", a[1], false);
        arg_int(t, "a1", a[2], false);
        arg_int(t, "a2", a[3], false);
        check(t, fputs("}", t->f));
        end(t);
        break;
    case HM_TRACE_TLB:
        sample(m, t);
        break;
    case HM_TRACE_GC_BEGIN:
        begin(t, "gc", "gc", 'B');
        end(t);
        break;
    case HM_TRACE_GC_END:
        begin(t, "gc", "gc", 'E');
        check(t, fputs(",\"args\":{", t->f));
        arg_int(t, "live", a[0], true);
        arg_int(t, "cycle", m->stats[HM_STAT_gc_cycles], false);
        check(t, fputs("}", t->f));
        end(t);
        if (t->mask & HOLT_TRACE_TLB)
            sample(m, t);
        break;
    case HM_TRACE__COUNT:
        break;
    }
}

int trace_open(hmachine *m, const char *path, unsigned mask)
{
    tracer *t = calloc(1, sizeof *t);
    if (!t)
        return -ENOMEM;
    t->f = fopen(path, "w");
    if (!t->f) {
        int err = -errno;
        free(t);
        return err;
    }
    t->mask = mask ? mask & HOLT_TRACE_ALL : HOLT_TRACE_ALL;
    t->t0 = hm_clock_ns();
    t->hits = m->stats[HM_STAT_tlb_hits];
    t->misses = m->stats[HM_STAT_tlb_misses];
    check(t, fputs("{\"traceEvents\":[\n", t->f));
    /* Names for the one process and thread, so the viewer labels the tracks. */
    check(t, fprintf(t->f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"holt\"}},\n"
                           "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"args\":{\"name\":\"machine\"}}",
                     PID, TID, PID, TID));
    t->any = true;
    m->trace_ctx = t;
    m->trace = on_event;
    if (t->mask & HOLT_TRACE_TLB)
        sample(m, t);
    return 0;
}

int trace_close(hmachine *m)
{
    tracer *t = m->trace_ctx;
    if (!t || m->trace != on_event)
        return 0;
    m->trace = NULL;
    m->trace_ctx = NULL;
    if (t->mask & HOLT_TRACE_TLB)
        sample(m, t);
    check(t, fputs("\n],\"displayTimeUnit\":\"ns\"}\n", t->f));
    if (fclose(t->f) != 0)
        check(t, -1);
    int err = t->err;
    free(t);
    return err;
}
