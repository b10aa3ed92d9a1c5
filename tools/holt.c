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
    "  --mem=SIZE        guest memory limit, e.g. 64M, 1G (default 256M)\n"
    "  --stack=SLOTS     value-stack slots for locals and operands (default 1048576)\n"
    "  --frames=N        call depth before StackOverflowError (default 200000)\n"
    "  --interp=MODE     dispatch: goto (default) or switch\n"
    "  --stats           print the machine's counters to stderr at exit\n"
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
