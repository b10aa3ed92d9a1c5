/* holt.c — the command-line program. It uses nothing but include/holt.h: everything it does,
 * an embedder can do too.
 *
 * Exit statuses follow language.md 13: 0 success, 1 an uncaught error in the program, 2 a
 * compile, load or verification error or bad usage; a program's os.exit(n) gives n.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "holt.h"

static const char usage[] =
    "usage: holt <command> [options] [file] [args...]\n"
    "\n"
    "commands:\n"
    "  run [options] FILE [ARGS...]  run a program: a .holt source (compiled first) or a .hbc file;\n"
    "                                ARGS are the program's own arguments (os.args)\n"
    "  build FILE.holt -o FILE.hbc   compile a program and the modules it imports into one\n"
    "                                deployable bytecode file\n"
    "  dis FILE                      disassemble a .hbc or .holt file\n"
    "  verify FILE                   load and verify a .hbc (or .holt) file without running it\n"
    "  version                       print the version\n"
    "  help                          print this text\n"
    "\n"
    "run options:\n"
    "  --mem=SIZE        physical memory (frames), e.g. 8M, 1G (default 256M)\n"
    "  --heap=SIZE       the heap's virtual size limit (default 4 x --mem); pages beyond\n"
    "                    --mem are swapped\n"
    "  --tlb=EXW|off     TLB entries x ways, powers of two, e.g. 256x4 (default), 1x1; off:\n"
    "                    every access walks the page tables\n"
    "  --swap=POLICY     page replacement: fifo, clock (default) or lru\n"
    "  --stack=SLOTS     value-stack slots for locals and operands (default 1048576)\n"
    "  --frames=N        call depth before StackOverflowError (default 200000)\n"
    "  --interp=MODE     dispatch: goto (default) or switch\n"
    "  --stats           print the machine's counters to stderr at exit\n"
    "  --trace=KINDS     trace faults,traps,tlb,gc (any of them, or all) as Chrome Trace\n"
    "                    Event Format JSON, for Perfetto; needs --trace-out\n"
    "  --trace-out=FILE  where the trace goes (all kinds unless --trace says)\n"
    "  --supervisor FILE a Holt module whose on_page_fault and on_trap run first\n"
    "  --allow-env       let the program read environment variables (os.env)\n"
    "  --gc-stress       collect garbage at every allocating instruction (testing)\n";

static int bad_usage(const char *fmt, const char *arg)
{
    fputs("holt: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (see 'holt help')\n", stderr);
    return HOLT_BAD_INPUT;
}

/* "64M" -> bytes; false when malformed or zero. */
static bool parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-')
        return false;
    uint64_t mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end || v == 0 || v > UINT64_MAX / mul)
        return false;
    *out = v * mul;
    return true;
}

static bool parse_count(const char *s, uint32_t max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v == 0 || v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

/* "256x4" (entries x ways, powers of two, ways <= entries) or "off". */
static bool parse_tlb(const char *s, holt_config *cfg)
{
    if (strcmp(s, "off") == 0) {
        cfg->tlb_off = 1;
        return true;
    }
    char buf[32];
    const char *x = strchr(s, 'x');
    if (!x || (size_t)(x - s) >= sizeof buf)
        return false;
    memcpy(buf, s, (size_t)(x - s));
    buf[x - s] = 0;
    uint32_t entries, ways;
    if (!parse_count(buf, 1u << 20, &entries) || !parse_count(x + 1, 1u << 20, &ways))
        return false;
    if ((entries & (entries - 1)) || (ways & (ways - 1)) || ways > entries)
        return false;
    cfg->tlb_entries = entries;
    cfg->tlb_ways = ways;
    cfg->tlb_off = 0;
    return true;
}

/* "faults,traps" -> HOLT_TRACE_* bits, by the names of HOLT_TRACE_KINDS; "all" for every
 * kind. False when a name is unknown or the list is empty. */
static bool parse_trace(const char *s, unsigned *mask)
{
    static const struct {
        const char *name;
        unsigned bit;
    } kinds[] = {
#define TRACE_KIND_(NAME, name) {name, HOLT_TRACE_##NAME},
        HOLT_TRACE_KINDS(TRACE_KIND_)
#undef TRACE_KIND_
        {"all", HOLT_TRACE_ALL},
    };
    *mask = 0;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t k = 0;
        while (k < sizeof kinds / sizeof kinds[0] && (strlen(kinds[k].name) != n || strncmp(kinds[k].name, s, n) != 0))
            k++;
        if (k == sizeof kinds / sizeof kinds[0])
            return false;
        *mask |= kinds[k].bit;
        s += n;
        if (*s == ',' && *++s == 0)
            return false;
    }
    return *mask != 0;
}

static int run_vm(const holt_config *cfg, int (*fn)(holt_vm *, const char *), const char *path)
{
    holt_vm *vm = holt_new(cfg);
    if (!vm) {
        fputs("holt: cannot create the virtual machine (memory limit too large for this host?)\n", stderr);
        return HOLT_BAD_INPUT;
    }
    int status = fn(vm, path);
    holt_free(vm);
    return status;
}

static int cmd_run(int argc, char **argv)
{
    holt_config cfg;
    holt_config_init(&cfg);
    bool stats = false;
    int i = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strncmp(a, "--mem=", 6) == 0) {
            if (!parse_size(a + 6, &cfg.mem_bytes) || cfg.mem_bytes < (64u << 10))
                return bad_usage("bad memory size '%s': give at least 64K, e.g. --mem=64M", a + 6);
        } else if (strncmp(a, "--heap=", 7) == 0) {
            if (!parse_size(a + 7, &cfg.heap_bytes) || cfg.heap_bytes < (64u << 10) ||
                cfg.heap_bytes > (16ull << 40))
                return bad_usage("bad heap size '%s': give 64K to 16T, e.g. --heap=1G", a + 7);
        } else if (strncmp(a, "--tlb=", 6) == 0) {
            if (!parse_tlb(a + 6, &cfg))
                return bad_usage("bad TLB shape '%s': give ENTRIESxWAYS, powers of two with "
                                 "ways <= entries <= 1048576 (e.g. 256x4), or off", a + 6);
        } else if (strncmp(a, "--swap=", 7) == 0) {
            if (strcmp(a + 7, "fifo") == 0)
                cfg.swap_policy = 1;
            else if (strcmp(a + 7, "clock") == 0)
                cfg.swap_policy = 2;
            else if (strcmp(a + 7, "lru") == 0)
                cfg.swap_policy = 3;
            else
                return bad_usage("bad swap policy '%s': give fifo, clock or lru", a + 7);
        } else if (strncmp(a, "--stack=", 8) == 0) {
            if (!parse_count(a + 8, 1u << 28, &cfg.stack_slots) || cfg.stack_slots < 1024)
                return bad_usage("bad stack size '%s': give a slot count from 1024 to 268435456", a + 8);
        } else if (strncmp(a, "--frames=", 9) == 0) {
            if (!parse_count(a + 9, 100000000u, &cfg.max_frames))
                return bad_usage("bad frame count '%s'", a + 9);
        } else if (strcmp(a, "--interp=switch") == 0) {
            cfg.force_switch = 1;
        } else if (strcmp(a, "--interp=goto") == 0) {
            cfg.force_switch = 0;
        } else if (strcmp(a, "--stats") == 0) {
            stats = true;
        } else if (strncmp(a, "--trace=", 8) == 0) {
            if (!parse_trace(a + 8, &cfg.trace_mask))
                return bad_usage("bad trace kinds '%s': give a list of faults, traps, tlb, gc, or all", a + 8);
        } else if (strncmp(a, "--trace-out=", 12) == 0) {
            if (!a[12])
                return bad_usage("%s", "'--trace-out=' needs a file name");
            cfg.trace_out = a + 12;
        } else if (strcmp(a, "--supervisor") == 0 || strncmp(a, "--supervisor=", 13) == 0) {
            if (a[12] == '=')
                cfg.supervisor = a + 13;
            else if (i + 1 < argc)
                cfg.supervisor = argv[++i];
            if (!cfg.supervisor || !*cfg.supervisor)
                return bad_usage("%s", "'--supervisor' needs a Holt module: --supervisor FILE");
        } else if (strcmp(a, "--allow-env") == 0) {
            cfg.allow_env = 1;
        } else if (strcmp(a, "--gc-stress") == 0) {
            cfg.gc_stress = 1;
        } else {
            return bad_usage("unknown option '%s' for 'run'", a);
        }
    }
    if (i >= argc)
        return bad_usage("%s", "'run' needs a file to run");
    if (cfg.trace_mask && !cfg.trace_out)
        return bad_usage("%s", "'--trace' needs a file to write to: --trace-out=FILE");
    const char *path = argv[i];
    holt_vm *vm = holt_new(&cfg);
    if (!vm) {
        fputs("holt: cannot create the virtual machine (memory limit too large for this host?)\n", stderr);
        return HOLT_BAD_INPUT;
    }
    int status = holt_run_file(vm, path, argc - i - 1, argv + i + 1);
    if (stats)
        holt_print_stats(vm);
    holt_free(vm);
    return status;
}

static int cmd_build(int argc, char **argv)
{
    const char *src = NULL, *out = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0) {
            if (i + 1 >= argc)
                return bad_usage("%s", "'-o' needs a file name");
            out = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return bad_usage("unknown option '%s' for 'build'", argv[i]);
        } else if (src) {
            return bad_usage("unexpected argument '%s' for 'build'", argv[i]);
        } else {
            src = argv[i];
        }
    }
    if (!src)
        return bad_usage("%s", "'build' needs a source file");
    if (!out)
        return bad_usage("%s", "'build' needs an output file: -o FILE.hbc");
    holt_vm *vm = holt_new(NULL);
    if (!vm)
        return HOLT_BAD_INPUT;
    int status = holt_build_file(vm, src, out);
    holt_free(vm);
    return status;
}

/* dis and verify take exactly one file. */
static int cmd_file(const char *cmd, int argc, char **argv, int (*fn)(holt_vm *, const char *))
{
    if (argc < 1)
        return bad_usage("'%s' needs a file", cmd);
    if (argv[0][0] == '-')
        return bad_usage("unknown option '%s'", argv[0]);
    if (argc > 1)
        return bad_usage("unexpected argument '%s'", argv[1]);
    return run_vm(NULL, fn, argv[0]);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return HOLT_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(cmd, "build") == 0)
        return cmd_build(argc - 2, argv + 2);
    if (strcmp(cmd, "dis") == 0)
        return cmd_file(cmd, argc - 2, argv + 2, holt_dis_file);
    if (strcmp(cmd, "verify") == 0)
        return cmd_file(cmd, argc - 2, argv + 2, holt_verify_file);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("holt %s (standard modules version %d)\n", holt_version(), HOLT_STD_VERSION);
        return HOLT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        fputs(usage, stdout);
        return HOLT_OK;
    }
    return bad_usage("unknown command '%s'", cmd);
}
