#!/usr/bin/env python3
"""The tree's rules, checked from the sources and the built objects.

    check-tree.py BUILD_DIR
    check-tree.py --self-test   plants each break in a small tree and
                                checks that its rule, and only it, fails

Prints one line per rule, "ok RULE" or "not ok RULE" followed by what
breaks it, and exits 1 when any rule is broken:

  file-cycles      no two object files of daemon/, poe/ and tftp/ call
                   each other, directly or around a loop (from nm)
  folder-cycles    the same between folders (daemon/ itself counts as one)
  include-cycles   no header includes itself through others
  daemon-struct    only daemon/*.c, daemon/http/, daemon/process/*.c (the
                   process's own upkeep: reload, status, retention) and
                   service files (daemon/*/service*.c,
                   daemon/*/*_service.c) include daemon/daemon.h, directly
                   or through other headers;
                   poe/ and tftp/ include nothing of daemon/
  public-headers   every function that include/pirack/ declares is called
                   from outside the folder that defines it (a function
                   only its own folder and its tests call belongs in that
                   folder's *_internal.h); a type's _clear or _free
                   stays beside the type
"""
import collections
import glob
import os
import re
import subprocess
import sys

LIB_DIRS = ('daemon', 'poe', 'tftp')
# Programs that use the libraries through their public headers; unit tests
# and fuzzers may reach into a folder's *_internal.h and do not count.
PROGRAM_DIRS = ('cli', 'poe/poectl', 'tests/tools', 'tests/sim', 'tests/bench')
# Public on purpose although no other folder calls them yet, with the reason.
CONTRACT = {
    'pr_mailbox_ref': 'loop.h: a worker that outlives its owner keeps the mailbox alive',
    'pr_mailbox_unref': 'loop.h: the other half of pr_mailbox_ref',
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    out = []
    for d in LIB_DIRS + ('include', 'cli'):
        for root, _, files in os.walk(os.path.join(top, d)):
            out += [os.path.relpath(os.path.join(root, f), top)
                    for f in files if f.endswith(('.c', '.h'))]
    return sorted(out)


def resolve(top, src, name):
    for base in (os.path.dirname(src), 'include', '.'):
        p = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(top, p)):
            return p
    return None


def include_graph(top, files):
    g = {}
    for f in files:
        with open(os.path.join(top, f), encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        g[f] = {r for r in (resolve(top, f, n) for n in INCLUDE_RE.findall(text)) if r}
    return g


def sccs(graph):
    """Tarjan's strongly connected components of more than one node (or a
    node that reaches itself), iteratively: deep trees must not recurse."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in graph.get(v, ()):
                    out.append(sorted(comp))
    return out


def symbols(build):
    defs, uses = {}, collections.defaultdict(set)
    objs = []
    for d in LIB_DIRS + PROGRAM_DIRS:
        objs += glob.glob(os.path.join(build, 'obj', d, '**', '*.o'), recursive=True)
    for o in objs:
        src = os.path.relpath(o, os.path.join(build, 'obj'))[:-2] + '.c'
        if not os.path.isfile(src):
            continue                    # an object left from a renamed source
        text = subprocess.run(['nm', o], capture_output=True, text=True, check=True).stdout
        for line in text.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in 'TDBR':
                defs[p[2]] = src
            elif len(p) == 2 and p[0] == 'U':
                uses[src].add(p[1])
    return defs, uses


def folder(path):
    return os.path.dirname(path)


def report(rule, problems):
    if problems:
        print('not ok %s' % rule)
        for p in problems:
            print('    %s' % p)
        return 1
    print('ok %s' % rule)
    return 0


def check(top, build):
    os.chdir(top)
    files = sources(top)
    inc = include_graph(top, files)
    defs, uses = symbols(build)
    if not defs:
        print('not ok file-cycles\n    no objects under %s/obj: build first' % build)
        return 1
    calls = {f: {defs[s] for s in syms if s in defs and defs[s] != f}
             for f, syms in uses.items() if f.startswith(LIB_DIRS)}
    failed = 0

    failed += report('file-cycles', [' <-> '.join(c) for c in sccs(calls)])

    fcalls = collections.defaultdict(set)
    for f, targets in calls.items():
        for t in targets:
            if folder(f) != folder(t):
                fcalls[folder(f)].add(folder(t))
    def why(a, b):
        pairs = sorted('%s calls %s' % (f, s) for f in calls if folder(f) == a
                       for s in uses[f] if s in defs and folder(defs[s]) == b)
        return '%s -> %s (%s)' % (a, b, ', '.join(pairs[:3]))

    problems = [' <-> '.join(c) + ': ' + '; '.join(why(a, b) for a in c for b in c
                                                   if b in fcalls.get(a, ()))
                for c in sccs(fcalls)]
    failed += report('folder-cycles', problems)

    failed += report('include-cycles', [' -> '.join(c) for c in sccs(inc)])

    def sees_daemon(f, seen=None):
        seen = seen if seen is not None else set()
        for h in inc.get(f, ()):
            if h == 'daemon/daemon.h':
                return True
            if h not in seen:
                seen.add(h)
                if sees_daemon(h, seen):
                    return True
        return False

    allowed = re.compile(r'^daemon/([^/]+\.c|http/.*|process/[^/]+\.c|[^/]+/service[^/]*\.c'
                         r'|[^/]+/[^/]*_service\.c)$')
    problems = [f for f in files if f.endswith('.c') and f != 'daemon/daemon.h'
                and sees_daemon(f) and not allowed.match(f)]
    problems += ['%s includes %s' % (f, h) for f in files if f.startswith(('poe/', 'tftp/'))
                 for h in inc[f] if h.startswith('daemon/')]
    failed += report('daemon-struct', problems)

    problems = []
    decl_re = re.compile(r'\b(pr_[a-z0-9_]+)\s*\(')
    for h in sorted(f for f in files if f.startswith('include/pirack/')):
        with open(h, encoding='utf-8') as fh:
            text = re.sub(r'/\*.*?\*/', '', fh.read(), flags=re.S)
        for name in sorted(set(decl_re.findall(text))):
            if name not in defs:
                continue                # a macro, a typedef, or inline
            home = folder(defs[name])
            users = {folder(f) for f, syms in uses.items() if name in syms}
            # A public type's destructor stays with the type.
            if name.endswith(('_clear', '_free')) and re.search(
                    r'struct %s\s*\{' % re.escape(name.rsplit('_', 1)[0]), text):
                continue
            if not users - {home} and name not in CONTRACT:
                problems.append('%s: %s is used only in %s/' % (h, name, home))
    failed += report('public-headers', problems)
    return 1 if failed else 0


PLANTS = {
    # rule: files of a small tree that break it, and nothing else
    'file-cycles': {'daemon/a/x.c': 'void pr_y(void);\nvoid pr_x(void) { pr_y(); }\n',
                    'daemon/a/y.c': 'void pr_x(void);\nvoid pr_y(void) { pr_x(); }\n'},
    'folder-cycles': {'daemon/a/x.c': 'void pr_y(void);\nvoid pr_x(void) { pr_y(); }\n',
                      'daemon/b/y.c': 'void pr_z(void);\nvoid pr_y(void) { }\n',
                      'daemon/b/z.c': 'void pr_x(void);\nvoid pr_z(void) { pr_x(); }\n'},
    'include-cycles': {'daemon/a/p.h': '#pragma once\n#include "q.h"\n',
                       'daemon/a/q.h': '#pragma once\n#include "p.h"\n',
                       'daemon/a/x.c': '#include "p.h"\nvoid pr_x(void) { }\n'},
    'daemon-struct': {'daemon/daemon.h': 'struct pr_daemon { int x; };\n',
                      'poe/x.c': '#include "daemon/daemon.h"\nvoid pr_x(void) { }\n'},
    'public-headers': {'include/pirack/a.h': 'void pr_x(void);\n',
                       'daemon/a/x.c': '#include "pirack/a.h"\nvoid pr_x(void) { }\n',
                       'daemon/a/y.c': 'void pr_x(void);\nvoid pr_y(void) { pr_x(); }\n'},
}


def self_test():
    """Builds a small tree per rule that breaks only that rule and checks
    that the rule, and only it, says so: a check that cannot fail is no
    check."""
    import contextlib
    import io
    import tempfile
    failed = 0
    for rule, files in PLANTS.items():
        with tempfile.TemporaryDirectory() as top:
            for path, text in files.items():
                os.makedirs(os.path.join(top, os.path.dirname(path)), exist_ok=True)
                with open(os.path.join(top, path), 'w', encoding='utf-8') as fh:
                    fh.write(text)
                if path.endswith('.c'):
                    obj = os.path.join(top, 'build', 'obj', path[:-2] + '.o')
                    os.makedirs(os.path.dirname(obj), exist_ok=True)
                    subprocess.run(['cc', '-c', '-I' + top, '-I' + os.path.join(top, 'include'),
                                    '-o', obj, os.path.join(top, path)], check=True)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                check(top, 'build')
            broken = set(re.findall(r'^not ok (\S+)', out.getvalue(), re.M))
        if broken == {rule}:
            print('ok check-tree finds a planted %s' % rule)
        else:
            print('not ok check-tree finds a planted %s (it reported: %s)'
                  % (rule, ', '.join(sorted(broken)) or 'nothing'))
            failed = 1
    return failed


def main(argv):
    if argv[1:2] == ['--self-test']:
        return self_test()
    here = os.getcwd()
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = argv[1] if len(argv) > 1 else 'build'
    try:
        return check(top, build)
    finally:
        os.chdir(here)


if __name__ == '__main__':
    sys.exit(main(sys.argv))
