#!/usr/bin/env python3
"""The benchmark runner: Holt against Lua 5.4 and LuaJIT on the Are We Fast Yet suite.

    python3 bench/run.py [options] [NAMES...]      (normally through `./dev bench [NAMES...]`)

NAMES are benchmark names (richards, deltablue, ... as in BENCHMARKS below) and `startup`,
`compile`; without NAMES everything runs. For each benchmark, Holt (`holt run
bench/awfy/x.holt ITER INNER`) and every peer (`lua5.4`, `luajit -joff`, `luajit` on
bench/awfy/x.lua ITER INNER) run ALTERNATELY, --runs times each, so that a noisy neighbour
hurts all of them alike. Every run must exit 0 and print exactly `<Name>: ok` (each program
checks its own results, AWFY verifyResult style); anything else marks the row FAILED and the
runner exits 1; a missing file shows as `missing`. Each process is started by a tiny C
launcher (see SPAWN_C) that measures its wall time (posix_spawn to wait4), its CPU time and
its peak resident memory (wait4's rusage ru_maxrss). The table shows median wall times and
Holt's ratio to each peer (< 1 means Holt is faster), Holt's ratio of CPU time to Lua 5.4's
(steadier on a shared machine), peak RSS, then the geometric mean of each ratio column.

startup: `holt run hello.holt`, `holt run hello.hbc` against `lua5.4 -e ''`, alternately,
--startup-runs times; medians and the hello-world peak RSS.
compile: bench/compile/gen.py writes a 20,000-line program; `holt build` on it, --compile-runs
times, median; the built program is then run and its answer checked.
"""
import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AWFY = os.path.join(ROOT, 'bench', 'awfy')
sys.dont_write_bytecode = True  # no __pycache__ in bench/compile
sys.path.insert(0, os.path.join(ROOT, 'bench', 'compile'))
import gen  # noqa: E402  (bench/compile/gen.py)

# The one table of workloads: name, AWFY's spelling, ITER (outer runs of the benchmark), INNER
# (inner iterations, passed to the benchmark; every program verifies each result for it, as
# AWFY's verifyResult does). Where the expected result depends on INNER (CD: aircraft, Havlak,
# Mandelbrot: size, NBody: steps) INNER is a value verifyResult knows and ITER scales the run;
# elsewhere INNER itself is scaled. Chosen so that the release build of Holt takes ~0.2-1 s,
# except Havlak, whose smallest verified size (INNER 1; 15 costs the same) takes ~2.5 s.
BENCHMARKS = [
    ('richards',   'Richards',   1, 15),
    ('deltablue',  'DeltaBlue',  1, 12000),
    ('json',       'Json',       1, 100),
    ('havlak',     'Havlak',     1, 1),
    ('cd',         'CD',         6, 10),
    ('bounce',     'Bounce',     1, 600),
    ('list',       'List',       1, 800),
    ('mandelbrot', 'Mandelbrot', 1, 500),
    ('nbody',      'NBody',      1, 250000),
    ('permute',    'Permute',    1, 400),
    ('queens',     'Queens',     1, 500),
    ('sieve',      'Sieve',      1, 1000),
    ('storage',    'Storage',    1, 400),
    ('towers',     'Towers',     1, 250),
]

# label, command prefix (the .lua file and ITER INNER follow)
PEERS = [
    ('lua5.4', ['lua5.4']),
    ('luajit -joff', ['luajit', '-joff']),
    ('luajit', ['luajit']),
]

TIMEOUT = 300.0  # seconds per process


class Run:
    def __init__(self, seconds, cpu, rss_kib, status, out, err):
        self.seconds, self.cpu, self.rss_kib, self.status, self.out, self.err = seconds, cpu, rss_kib, status, out, err


# Peak RSS needs a small parent. A child forked (or vforked) from this Python process starts
# with Python's ~16 MiB image, and Linux keeps that high-water mark across exec in the child's
# ru_maxrss. So each program is started by this launcher, a small static C program that
# posix_spawns it, reaps it with wait4 and writes its ru_maxrss (KiB), wall seconds (taken
# around spawn and wait4, so Python's own spawning cost is not counted) and CPU seconds (user +
# sys) to the fd it is given.
# The launcher's own image (under 1 MiB) is the floor of every RSS reading.
SPAWN_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
int main(int argc, char **argv)
{
    if (argc < 3) return 125;
    int out = atoi(argv[1]);
    fcntl(out, F_SETFD, FD_CLOEXEC);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid;
    int e = posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2, environ);
    if (e) { fprintf(stderr, "spawn: %s: %s\n", argv[2], strerror(e)); return 127; }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) return 126;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dprintf(out, "%ld %.9f %.6f\n", ru.ru_maxrss, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
            ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    signal(WTERMSIG(st), SIG_DFL);
    raise(WTERMSIG(st));
    return 128 + WTERMSIG(st);
}
"""
SPAWN = None  # path of the compiled launcher, or None: measure from Python (RSS inflated)


def build_launcher(tmpdir):
    global SPAWN
    src = os.path.join(tmpdir, 'spawn.c')
    exe = os.path.join(tmpdir, 'spawn')
    with open(src, 'w') as f:
        f.write(SPAWN_C)
    cc = os.environ.get('CC', 'cc')
    for flags in (['-static'], []):
        if subprocess.run([cc, '-O2'] + flags + ['-o', exe, src], capture_output=True).returncode == 0:
            SPAWN = exe
            return
    log('run.py: could not compile the launcher with %s: wall times include Python\'s spawning '
        'and peak RSS includes Python\'s image' % cc)


def run_once(cmd, env=None, timeout=TIMEOUT):
    """Run cmd; wall seconds, peak RSS (KiB), exit status (-N: signal N), stdout, stderr."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as res:
        fd = res.fileno()
        full = [SPAWN, str(fd)] + cmd if SPAWN else cmd
        t0 = time.perf_counter()
        p = subprocess.Popen(full, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT, env=env,
                             pass_fds=(fd,) if SPAWN else (), start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(p.pid, 9))
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        t1 = time.perf_counter()
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here; keep Popen from waiting
        seconds, rss = t1 - t0, ru.ru_maxrss
        cpu = ru.ru_utime + ru.ru_stime
        if SPAWN:
            res.seek(0)
            fields = res.read().split()
            if len(fields) == 3:
                rss, seconds, cpu = int(fields[0]), float(fields[1]), float(fields[2])
        out.seek(0)
        err.seek(0)
        return Run(seconds, cpu, rss, p.returncode, out.read().decode('utf-8', 'replace'),
                   err.read().decode('utf-8', 'replace'))


def check(run, expected):
    """None when the run is good, else a one-line reason."""
    if run.status == 0 and run.out == expected:
        return None
    if run.status < 0:
        why = 'killed by signal %d' % -run.status
    else:
        why = 'status %d' % run.status
    err = [line.strip() for line in run.err.splitlines() if line.strip()][:2]
    text = ' / '.join(part for part in [run.out.strip().replace('\n', ' / ')[:200]] + err if part)
    return '%s: %s' % (why, text[:300])


def median_ms(runs):
    return statistics.median(r.seconds for r in runs) * 1000.0


def median_cpu_ms(runs):
    return statistics.median(r.cpu for r in runs) * 1000.0


def geomean(xs):
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_ms(x):
    return '-' if x is None else ('%.0f' % x if x >= 100 else '%.1f' % x)


def fmt_ratio(x):
    return '-' if x is None else '%.2f' % x


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def available_peers(wanted):
    peers = []
    for label, cmd in PEERS:
        if label not in wanted:
            continue
        if shutil.which(cmd[0]) is None:
            log('run.py: %s not found, its column is left out' % cmd[0])
            continue
        peers.append((label, cmd))
    return peers


def bench_one(holt, peers, name, awfy_name, iters, inner, runs, env):
    """One row: {label: [good Runs]}, [(label, why)] failures, whether .holt and .lua exist."""
    src = os.path.join(AWFY, name + '.holt')
    lua = os.path.join(AWFY, name + '.lua')
    args = [str(iters), str(inner)]
    impls = []
    if os.path.exists(src):
        impls.append(('holt', [holt, 'run', src] + args))
    if os.path.exists(lua):
        impls += [(label, cmd + [lua] + args) for label, cmd in peers]
    results = {label: [] for label, _ in impls}
    failures = []
    expected = '%s: ok\n' % awfy_name
    for _ in range(runs):
        for label, cmd in impls:
            if any(f[0] == label for f in failures):
                continue  # one failure is enough: do not time a broken program again
            r = run_once(cmd, env)
            why = check(r, expected)
            if why:
                failures.append((label, why))
            else:
                results[label].append(r)
    return results, failures, os.path.exists(src), os.path.exists(lua)


def run_suite(holt, peers, names, runs):
    env = dict(os.environ)
    env['LUA_PATH'] = os.path.join(AWFY, '?.lua') + ';;'
    rows = []
    ok = True
    for name, awfy_name, iters, inner in BENCHMARKS:
        if name not in names:
            continue
        log('run.py: %s (%d x %d), %d runs each' % (name, iters, inner, runs))
        results, failures, has_holt, has_lua = bench_one(holt, peers, name, awfy_name, iters, inner, runs, env)
        for label, why in failures:
            log('run.py: %s: %s FAILED: %s' % (name, label, why))
        if failures:
            ok = False
        rows.append((name, awfy_name, iters, inner, results, failures, has_holt, has_lua))
    return rows, ok


def print_suite(rows, peers):
    labels = [label for label, _ in peers]
    head = ['benchmark', 'iter x inner', 'holt ms']
    for label in labels:
        head += [label + ' ms', 'holt/' + label]
    head += ['cpu holt/lua5.4', 'holt RSS MiB', 'lua5.4 RSS MiB', 'status']
    table = [head]
    ratios = {label: [] for label in labels}
    cpu_ratios = {label: [] for label in labels}
    for name, awfy_name, iters, inner, results, failures, has_holt, has_lua in rows:
        failed = {label for label, _ in failures}
        holt_ms = median_ms(results['holt']) if has_holt and 'holt' not in failed else None
        line = [awfy_name, '%d x %d' % (iters, inner),
                'missing' if not has_holt else ('FAILED' if 'holt' in failed else fmt_ms(holt_ms))]
        for label in labels:
            if not has_lua:
                line += ['missing', '-']
                continue
            if label in failed:
                line += ['FAILED', '-']
                continue
            peer_ms = median_ms(results[label])
            ratio = holt_ms / peer_ms if holt_ms is not None else None
            if ratio is not None:
                ratios[label].append(ratio)
                cpu_ratios[label].append(median_cpu_ms(results['holt']) / median_cpu_ms(results[label]))
            line += [fmt_ms(peer_ms), fmt_ratio(ratio)]
        cpu = None
        if holt_ms is not None and results.get('lua5.4') and 'lua5.4' not in failed:
            cpu = median_cpu_ms(results['holt']) / median_cpu_ms(results['lua5.4'])
        line.append(fmt_ratio(cpu))
        holt_rss = max((r.rss_kib for r in results.get('holt', [])), default=None)
        lua_rss = max((r.rss_kib for r in results.get('lua5.4', [])), default=None)
        line += ['-' if holt_rss is None else '%.1f' % (holt_rss / 1024.0),
                 '-' if lua_rss is None else '%.1f' % (lua_rss / 1024.0)]
        if failures:
            status = 'FAILED (%s)' % ', '.join(label for label, _ in failures)
        elif not has_holt or not has_lua:
            status = 'missing ' + ('.holt' if not has_holt else '.lua')
        else:
            status = 'ok'
        line.append(status)
        table.append(line)
    geo = ['geometric mean', '', '']
    for label in labels:
        g = geomean(ratios[label])
        geo += ['', fmt_ratio(g) + (' (%d)' % len(ratios[label]) if g is not None else '')]
    geo += [fmt_ratio(geomean(cpu_ratios['lua5.4'])) if 'lua5.4' in labels else '-', '', '', '']
    table.append(geo)
    print_table(table, rule_before_last=True)
    # The same ratios of CPU time (user + sys, from rusage): steadier than wall time when the
    # machine is shared, since waiting for a CPU is not counted.
    print('geometric mean of CPU-time ratios: ' + ', '.join(
        'holt/%s %s' % (label, fmt_ratio(geomean(cpu_ratios[label]))) for label in labels))
    for name, awfy_name, iters, inner, results, failures, has_holt, has_lua in rows:
        for label, why in failures:
            print('%s: %s FAILED: %s' % (awfy_name, label, why))


def print_table(table, rule_before_last=False):
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]

    def fmt(row):
        cells = []
        for i, c in enumerate(row):
            cells.append(c.ljust(widths[i]) if i == 0 or i == len(row) - 1 else c.rjust(widths[i]))
        return '  '.join(cells).rstrip()

    rule = '  '.join('-' * w for w in widths)
    print(fmt(table[0]))
    print(rule)
    for row in table[1:-1] if rule_before_last else table[1:]:
        print(fmt(row))
    if rule_before_last:
        print(rule)
        print(fmt(table[-1]))
    sys.stdout.flush()


def run_startup(holt, runs):
    """Hello world: source, .hbc and `lua5.4 -e ''`, alternately. Returns False on a bad run."""
    src = os.path.join(ROOT, 'bench', 'startup', 'hello.holt')
    if not os.path.exists(src):
        print('startup: missing bench/startup/hello.holt')
        return True
    log('run.py: startup, %d runs each' % runs)
    with tempfile.TemporaryDirectory() as d:
        hbc = os.path.join(d, 'hello.hbc')
        b = subprocess.run([holt, 'build', src, '-o', hbc], capture_output=True, text=True)
        if b.returncode != 0:
            print('startup: FAILED: holt build hello.holt: %s' % b.stderr.strip()[:300])
            return False
        impls = [('holt run hello.holt', [holt, 'run', src], 'Hello, world!\n'),
                 ('holt run hello.hbc', [holt, 'run', hbc], 'Hello, world!\n')]
        if shutil.which('lua5.4'):
            impls.append(("lua5.4 -e ''", ['lua5.4', '-e', ''], ''))
        results = {label: [] for label, _, _ in impls}
        bad = []
        for _ in range(runs):
            for label, cmd, want in impls:
                r = run_once(cmd)
                why = check(r, want)
                if why:
                    bad.append('%s: %s' % (label, why))
                results[label].append(r)
    print()
    table = [['startup', 'median ms', 'min ms', 'max RSS MiB', 'vs lua5.4 -e \'\'']]
    lua = results.get("lua5.4 -e ''")
    lua_ms = median_ms(lua) if lua else None
    for label, _, _ in impls:
        rs = results[label]
        ms = median_ms(rs)
        table.append([label, '%.2f' % ms, '%.2f' % (min(r.seconds for r in rs) * 1000),
                      '%.2f' % (max(r.rss_kib for r in rs) / 1024.0),
                      fmt_ratio(ms / lua_ms) if lua_ms else '-'])
    print_table(table)
    hbc_ms = median_ms(results['holt run hello.hbc'])
    rss = max(r.rss_kib for r in results['holt run hello.hbc']) / 1024.0
    if lua_ms:
        r = hbc_ms / lua_ms
        print('target: holt run hello.hbc <= 1.5x lua5.4 -e \'\': %.2fx %s' % (r, 'met' if r <= 1.5 else 'NOT met'))
    print('target: hello-world RSS < 4 MiB: %.2f MiB %s' % (rss, 'met' if rss < 4 else 'NOT met'))
    for b in bad[:5]:
        print('startup: FAILED: %s' % b)
    return not bad


def run_compile(holt, runs, lines):
    log('run.py: compile, %d lines, %d runs' % (lines, runs))
    text, expected = gen.generate(lines)
    print()
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, 'gen%dk.holt' % (lines // 1000))
        with open(src, 'w') as f:
            f.write(text)
        try:
            med, hbc = gen.time_build(holt, src, runs)
        except RuntimeError as e:
            print('compile: FAILED: %s' % str(e).strip()[:500])
            return False
        good, r = gen.check_run(holt, hbc, expected)
    print('compile: holt build of a generated %d-line program (bench/compile/gen.py): median %.0f ms '
          'of %d runs; target < 500 ms %s' % (text.count('\n'), med * 1000, runs, 'met' if med < 0.5 else 'NOT met'))
    if not good:
        print('compile: FAILED: the built program printed %r (status %d), expected "compile: %d"; %s'
              % (r.stdout[:200], r.returncode, expected, r.stderr.strip()[:300]))
    return good


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('names', nargs='*', metavar='NAME', help='benchmarks to run (default: all), or startup, compile')
    ap.add_argument('--holt', default=os.path.join(ROOT, 'build-release', 'holt'), help='the holt binary')
    ap.add_argument('--runs', type=int, default=5, help='runs of each program per benchmark (default 5)')
    ap.add_argument('--startup-runs', type=int, default=100, help='runs of each hello world (default 100)')
    ap.add_argument('--compile-runs', type=int, default=5, help='runs of holt build (default 5)')
    ap.add_argument('--compile-lines', type=int, default=20000)
    ap.add_argument('--peers', default=','.join(label for label, _ in PEERS),
                    help='comma-separated peer columns (default: %(default)s)')
    a = ap.parse_args()

    known = [b[0] for b in BENCHMARKS]
    names = [n.lower() for n in a.names] or known + ['startup', 'compile']
    unknown = [n for n in names if n not in known + ['startup', 'compile']]
    if unknown:
        log('run.py: unknown benchmark %s (known: %s, startup, compile)' % (', '.join(unknown), ' '.join(known)))
        return 2
    holt = os.path.abspath(a.holt)
    if not os.access(holt, os.X_OK):
        log('run.py: no holt binary at %s (./dev bench builds it)' % holt)
        return 2
    peers = available_peers([p.strip() for p in a.peers.split(',') if p.strip()])
    with tempfile.TemporaryDirectory() as tmp:
        build_launcher(tmp)
        return run_all(a, names, known, holt, peers)


def run_all(a, names, known, holt, peers):
    ok = True
    if any(n in known for n in names):
        rows, ok = run_suite(holt, peers, names, a.runs)
        print('Holt %s vs %s; %d runs each, alternating; medians of wall time; ratio < 1: Holt faster'
              % (os.path.relpath(holt, ROOT), ', '.join(label for label, _ in peers) or 'no peers', a.runs))
        print()
        print_suite(rows, peers)
    if 'startup' in names:
        ok = run_startup(holt, a.startup_runs) and ok
    if 'compile' in names:
        ok = run_compile(holt, a.compile_runs, a.compile_lines) and ok
    if not ok:
        print('\nFAILED: some output checks failed (details above)')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
