#!/usr/bin/env python3
"""Run the Holt language test corpus.

    run.py --holt PATH [--mode MODE] [--jobs N] [--hbc] [--verbose] [paths...]

Every `.holt` file under the given paths (default: the folder of this script) that carries an
expectation comment is a test; a file with none is a helper (an imported module, say). Each
test runs as `holt run [FLAGS] FILE [ARGS...]` with the current directory set to the test's own
folder and FILE its bare name, so compile diagnostics and traces name the bare file name.

Expectation comments (anywhere on a line, after the code or alone):
  // expect: TEXT          the next line of standard output; stdout must be exactly these lines
  // expect error: TEXT    a substring of standard error; several are found in order
  // expect error line: TEXT
                           a whole line of standard error (for source and caret lines), in
                           order with the substrings
  // expect exit: N        the exit status (default 0)
  // args: A B C           the program's arguments (shell-like quoting)
  // stdin: TEXT           a line fed to standard input (several allowed, in order)
  // flags: --X --Y        extra holt flags for this test
  // program: PATH         run PATH (relative to this file) instead of this file
  // skip: REASON          do not run this test
  // gcstress: skip WHY    do not run this test in gcstress mode, and why (too big for it)
A test without `expect error` must leave standard error empty.

Modes add holt flags: default (none), switch (--interp=switch), gcstress (--gc-stress),
tlb1 (--tlb=1x1: a one-entry TLB, so nearly every access walks), smallmem (--mem=8M with the
default heap limit of 1G, so any program with more than a few MB live swaps its heap). A test
that sets its own --mem keeps it: smallmem then adds nothing.
In gcstress mode every allocating instruction collects garbage, so a program's time grows
with (allocations x live data): the few tests that keep a very large live set while they
allocate say `// gcstress: skip WHY`.
With --hbc, each program is first compiled with `holt build FILE -o OUT.hbc` (twice, and the
two outputs must be byte-identical), then the .hbc runs and must meet the same expectations.
When the build itself fails, its status and output are compared with the expectations instead
(so compile-error tests check the build's diagnostics).

Prints one line per failure and, at the end, exactly one summary line `N passed, N failed`
(with `, N skipped` when tests were skipped). Exits 1 when any test failed.
"""

import argparse
import concurrent.futures
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

MODE_FLAGS = {
    'default': [],
    'switch': ['--interp=switch'],
    'gcstress': ['--gc-stress'],
    'tlb1': ['--tlb=1x1'],
    'smallmem': ['--mem=8M', '--heap=1G'],
}

TIMEOUT = 10.0          # seconds per holt process
LIMIT_TIMEOUT = 60.0    # for tests under a folder named limit/

DIRECTIVE = re.compile(
    r'//\s*(expect error line|expect error|expect exit|expect|args|stdin|flags|program|skip|'
    r'gcstress):'
    r'(?: (.*)|())$')


class Test:
    """One test file and its expectations."""

    def __init__(self, path):
        self.path = path               # absolute path of the .holt file
        self.stdout = []               # expected stdout lines
        self.errors = []               # (is_whole_line, text) expected in stderr, in order
        self.exit = None               # expected exit status, None when not given
        self.args = []                 # program arguments
        self.stdin = None              # lines for stdin, None for empty input
        self.flags = []                # extra holt flags
        self.program = None            # another program to run instead of this file
        self.skip = None               # reason to skip
        self.gcstress = None           # why to skip this test in gcstress mode, or None
        self.is_test = False           # has at least one expectation
        self.problems = []             # malformed directives

    def parse(self):
        with open(self.path, encoding='utf-8', errors='surrogateescape') as f:
            lines = f.read().split('\n')
        for n, line in enumerate(lines, 1):
            m = DIRECTIVE.search(line)
            if not m:
                continue
            kind = m.group(1)
            text = m.group(2) if m.group(2) is not None else ''
            if kind == 'expect':
                self.stdout.append(text)
                self.is_test = True
            elif kind == 'expect error':
                self.errors.append((False, text))
                self.is_test = True
            elif kind == 'expect error line':
                self.errors.append((True, text))
                self.is_test = True
            elif kind == 'expect exit':
                try:
                    self.exit = int(text.strip())
                except ValueError:
                    self.problems.append('line %d: bad exit status %r' % (n, text))
                self.is_test = True
            elif kind == 'args':
                self.args += shlex.split(text)
            elif kind == 'stdin':
                self.stdin = (self.stdin or []) + [text]
            elif kind == 'flags':
                self.flags += text.split()
            elif kind == 'program':
                self.program = text.strip()
            elif kind == 'skip':
                self.skip = text.strip() or 'skipped'
            elif kind == 'gcstress':
                word, _, why = text.strip().partition(' ')
                if word == 'skip' and why.strip():
                    self.gcstress = why.strip()
                else:
                    self.problems.append('line %d: "gcstress:" takes "skip REASON", not %r'
                                         % (n, text))
        if self.errors and self.exit is None:
            self.problems.append('a test with "expect error" must give "expect exit"')
        if self.exit is None:
            self.exit = 0
        return self

    def target(self):
        """The folder to run in and the file name to give holt."""
        path = self.path
        if self.program:
            path = os.path.normpath(os.path.join(os.path.dirname(self.path), self.program))
        return os.path.dirname(path), os.path.basename(path)

    def is_limit(self):
        return 'limit' in self.path.split(os.sep)

    def timeout(self, scale):
        return (LIMIT_TIMEOUT if self.is_limit() else TIMEOUT) * scale


def run(cmd, cwd, stdin, timeout):
    """Run cmd; returns (status, stdout, stderr) with text decoded losslessly, or status None
    on timeout."""
    try:
        p = subprocess.run(cmd, cwd=cwd, input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, '', ''
    except OSError as e:
        return -1, '', 'cannot run %s: %s' % (cmd[0], e)
    dec = lambda b: b.decode('utf-8', errors='surrogateescape')
    return p.returncode, dec(p.stdout), dec(p.stderr)


def short(s, width=70):
    r = repr(s)
    return r if len(r) <= width else r[:width - 3] + '...'


def compare(test, status, out, err, what):
    """The first mismatch between a run and the expectations, or None."""
    if status is None:
        return '%s: timed out' % what
    got = out.split('\n')
    if got and got[-1] == '':
        got.pop()
    elif out:
        return '%s: stdout does not end with a newline: last line %s' % (what, short(got[-1]))
    for i, want in enumerate(test.stdout):
        if i >= len(got):
            return '%s: stdout line %d: expected %s, got end of output%s' % (
                what, i + 1, short(want), stderr_hint(err))
        if got[i] != want:
            return '%s: stdout line %d: expected %s, got %s%s' % (
                what, i + 1, short(want), short(got[i]), stderr_hint(err))
    if len(got) > len(test.stdout):
        return '%s: stdout line %d: expected end of output, got %s' % (
            what, len(test.stdout) + 1, short(got[len(test.stdout)]))
    if not test.errors and err:
        return '%s: unexpected stderr: %s' % (what, short(err.strip(), 110))
    pos = 0
    for whole, want in test.errors:
        if whole:
            m = re.compile('^' + re.escape(want) + '$', re.M).search(err, pos)
            found = m.start() if m else -1
            length = len(want)
        else:
            found = err.find(want, pos)
            length = len(want)
        if found < 0:
            kind = 'line' if whole else 'text'
            return '%s: stderr lacks %s %s (after earlier matches); stderr was %s' % (
                what, kind, short(want, 60), short(err, 200))
        pos = found + length
    if status != test.exit:
        return '%s: exit status %d, expected %d%s' % (what, status, test.exit, stderr_hint(err))
    return None


def stderr_hint(err):
    err = err.strip()
    return ' (stderr: %s)' % short(err.split('\n')[0], 90) if err else ''


def run_test(test, holt, mode, hbc, scale):
    """Returns (status, message): status is 'pass', 'fail' or 'skip'."""
    if test.problems:
        return 'fail', '; '.join(test.problems)
    if test.skip:
        return 'skip', test.skip
    if mode == 'gcstress' and test.gcstress:
        return 'skip', test.gcstress
    cwd, name = test.target()
    stdin = ('\n'.join(test.stdin) + '\n').encode('utf-8', errors='surrogateescape') \
        if test.stdin is not None else b''
    # A collection at every allocation is slow by design: allow it three times as long.
    timeout = test.timeout(scale * (3 if mode == 'gcstress' else 1))
    flags = MODE_FLAGS[mode] + test.flags
    if mode == 'smallmem' and any(f.startswith('--mem=') for f in test.flags):
        flags = test.flags
    if not hbc or name.endswith('.hbc'):
        status, out, err = run([holt, 'run'] + flags + [name] + test.args, cwd, stdin, timeout)
        msg = compare(test, status, out, err, 'run')
        return ('fail', msg) if msg else ('pass', None)
    tmp = tempfile.mkdtemp(prefix='holt-lang-')
    try:
        outs = [os.path.join(tmp, 'a.hbc'), os.path.join(tmp, 'b.hbc')]
        status, out, err = run([holt, 'build', name, '-o', outs[0]], cwd, b'', timeout)
        if status != 0:
            # The build failed: its diagnostics are what the test expects (or not).
            msg = compare(test, status, out, err, 'build')
            return ('fail', msg) if msg else ('pass', None)
        if out or err:
            return 'fail', 'build: unexpected output %s' % short((out + err).strip(), 110)
        status2, _, err2 = run([holt, 'build', name, '-o', outs[1]], cwd, b'', timeout)
        if status2 != 0:
            return 'fail', 'second build: status %s%s' % (status2, stderr_hint(err2))
        with open(outs[0], 'rb') as f1, open(outs[1], 'rb') as f2:
            if f1.read() != f2.read():
                return 'fail', 'build: two builds of the same source differ'
        status, out, err = run([holt, 'run'] + flags + [outs[0]] + test.args, cwd, stdin,
                               timeout)
        msg = compare(test, status, out, err, 'run .hbc')
        return ('fail', msg) if msg else ('pass', None)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def collect(paths):
    files = []
    for p in paths:
        p = os.path.abspath(p)
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                files += [os.path.join(root, n) for n in sorted(names) if n.endswith('.holt')]
        elif os.path.isfile(p):
            files.append(p)
        else:
            print('run.py: no such file or folder: %s' % p, file=sys.stderr)
            sys.exit(2)
    tests = []
    seen = set()
    for f in files:
        if f in seen:
            continue
        seen.add(f)
        t = Test(f).parse()
        if t.is_test or t.problems:
            tests.append(t)
    return tests


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description='Run the Holt language test corpus.')
    ap.add_argument('--holt', required=True, help='the holt executable')
    ap.add_argument('--mode', choices=sorted(MODE_FLAGS), default='default')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--hbc', action='store_true', help='build to .hbc, then run the .hbc')
    ap.add_argument('--timeout-scale', type=float, default=1.0,
                    help='multiply every timeout (for slow builds)')
    ap.add_argument('--verbose', '-v', action='store_true', help='also list passing tests')
    ap.add_argument('paths', nargs='*')
    a = ap.parse_args()
    holt = os.path.abspath(a.holt) if os.sep in a.holt else (shutil.which(a.holt) or a.holt)
    tests = collect(a.paths or [here])
    # Name tests relative to the corpus folder, or to what the given paths share.
    dirs = [os.path.dirname(t.path) for t in tests]
    base = here if all(os.path.commonpath([d, here]) == here for d in dirs) else \
        os.path.commonpath(dirs) if dirs else here
    passed = failed = skipped = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        futures = [pool.submit(run_test, t, holt, a.mode, a.hbc, a.timeout_scale)
                   for t in tests]
        for t, fut in zip(tests, futures):
            try:
                status, msg = fut.result()
            except Exception as e:  # a bug in this script must not hide the other results
                status, msg = 'fail', 'runner error: %r' % e
            rel = os.path.relpath(t.path, base)
            if status == 'pass':
                passed += 1
                if a.verbose:
                    print('PASS %s' % rel)
            elif status == 'skip':
                skipped += 1
                if a.verbose:
                    print('SKIP %s: %s' % (rel, msg))
            else:
                failed += 1
                print('FAIL %s: %s' % (rel, msg))
            sys.stdout.flush()
    summary = '%d passed, %d failed' % (passed, failed)
    if skipped:
        summary += ', %d skipped' % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
