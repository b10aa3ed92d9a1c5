#!/usr/bin/env python3
"""What the machine costs: the same programs with the TLB at its default and with it off
(every guest access walks the page tables), and the cost of one access on each path.

    python3 bench/machine_overhead.py [--holt build/holt] [--runs 10] [--cc cc]

For each program, hyperfine runs `holt run P` and `holt run --tlb=off P` (--runs times after
a warm-up) and the medians are printed with their ratio. A `--stats` run of each gives the
counters: guest accesses (TLB hits + misses) and page walks, from which the extra cost per
walk follows as (median off - median default) / (walks off - walks default). Last,
bench/tlb_cost.c is compiled against the build's libholt.a and run: nanoseconds per access on
the inlined hit path, a hit in another way, and a full walk, measured on the machine alone.
Run it on a release-like build (the default buildtype is debugoptimized: -O2 -g).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAMS = [
    ('fib', ['bench/fib.holt']),
    ('list loop', ['bench/list_loop.holt']),
    ('objects', ['bench/objects.holt']),
    ('sieve 2M', ['samples/sieve.holt', '2000000']),
]


def stats(holt, flags, prog):
    """The --stats counters of one run, as a dict."""
    r = subprocess.run([holt, 'run', '--stats'] + flags + prog, cwd=ROOT, capture_output=True, text=True)
    out = {}
    for m in re.finditer(r'(\S+)\s+(\d+)(?=\s|$)', r.stderr):
        out.setdefault(m.group(1), int(m.group(2)))
    return out


def medians(holt, prog, runs):
    """Median seconds of the default TLB and of --tlb=off, by hyperfine."""
    with tempfile.NamedTemporaryFile(suffix='.json') as f:
        cmd = ' '.join([holt, 'run'] + prog)
        off = ' '.join([holt, 'run', '--tlb=off'] + prog)
        subprocess.run(['hyperfine', '-N', '--warmup', '1', '--runs', str(runs), '--export-json', f.name,
                        '--style', 'none', cmd, off], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        res = json.load(open(f.name))['results']
        return res[0]['median'], res[1]['median']


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--holt', default=os.path.join(ROOT, 'build', 'holt'))
    ap.add_argument('--runs', type=int, default=10)
    ap.add_argument('--cc', default='cc')
    a = ap.parse_args()
    holt = os.path.abspath(a.holt)

    print(f'{"program":<10} {"default":>9} {"tlb off":>9} {"ratio":>6} {"accesses":>12} {"hit rate":>8} '
          f'{"extra walks":>12} {"ns/walk":>8}')
    for name, prog in PROGRAMS:
        on, off = medians(holt, prog, a.runs)
        s_on, s_off = stats(holt, [], prog), stats(holt, ['--tlb=off'], prog)
        accesses = s_on.get('tlb_hits', 0) + s_on.get('tlb_misses', 0)
        rate = 100.0 * s_on.get('tlb_hits', 0) / accesses if accesses else 0.0
        walks = s_off.get('page_walks', 0) - s_on.get('page_walks', 0)
        # Too few walks to see through the noise of starting a process: no estimate.
        per_walk = f'{(off - on) * 1e9 / walks:8.1f}' if walks >= 100000 else f'{"-":>8}'
        print(f'{name:<10} {on * 1000:8.1f}ms {off * 1000:8.1f}ms {off / on:6.2f} {accesses:12d} {rate:7.2f}% '
              f'{walks:12d} {per_walk}')

    exe = os.path.join(tempfile.gettempdir(), 'holt_tlb_cost')
    lib = os.path.join(os.path.dirname(holt), 'libholt.a')
    subprocess.run([a.cc, '-O2', '-std=c11', '-D_GNU_SOURCE', '-Iinclude', '-Ihostos', 'bench/tlb_cost.c', lib,
                    '-lm', '-o', exe], cwd=ROOT, check=True)
    print()
    sys.stdout.flush()
    subprocess.run([exe], check=True)


if __name__ == '__main__':
    main()
