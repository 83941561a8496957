#!/bin/sh
# The tree's own rules, read from the sources and the built objects:
# scripts/check-tree.py (call cycles between files and folders, include
# cycles, who sees the daemon struct, what include/pirack/ declares) and
# the code style that .clang-format writes down.  Prints ok / not ok /
# skip lines like the integration tests.
set -u
cd "$(dirname "$0")/../.."
BUILD=${PIRACK_BUILD:-build}
rc=0

python3 scripts/check-tree.py --self-test || rc=1
python3 scripts/check-tree.py "$BUILD" || rc=1

# docs/design.md's module table names every file of the daemon and its
# libraries, and names no file that is gone.
missing="" gone=""
for f in $(cd daemon && find . -name '*.[ch]' | sed 's|^\./|daemon/|' | sort) \
         $(find tftp poe include/pirack -name '*.[ch]' | sort); do
    grep -q "\`$f\`" docs/design.md || missing="$missing $f"
done
for f in $(grep -o '`\(daemon\|tftp\|poe\|include/pirack\)/[a-z0-9_/]*\.[ch]`' docs/design.md | tr -d '`' | sort -u); do
    [ -f "$f" ] || gone="$gone $f"
done
if [ -z "$missing$gone" ]; then
    echo "ok design-table: docs/design.md names every source file, and only those"
else
    echo "not ok design-table: docs/design.md misses:${missing:- none}; names files that are gone:${gone:- none}"
    rc=1
fi

sources() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files '*.c' '*.h'
    else
        find daemon tftp poe cli include tests -name '*.[ch]'
    fi
}
if ! command -v clang-format >/dev/null 2>&1; then
    echo "skip clang-format: clang-format is not installed (make deps installs it)"
elif out=$(sources | xargs clang-format --dry-run --Werror 2>&1) && [ -z "$out" ]; then
    echo "ok clang-format: every C file is formatted as .clang-format says"
else
    echo "not ok clang-format: run 'make format' (first files below)"
    printf '%s\n' "$out" | grep 'error:' | head -n 10 | sed 's/^/    /'
    rc=1
fi
exit $rc
