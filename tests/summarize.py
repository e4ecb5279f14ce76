#!/usr/bin/env python3
"""Count TAP test points of one or more meson build directories.

    tests/summarize.py BUILDDIR[:SETUP] [BUILDDIR[:SETUP]...]

Reads BUILDDIR/meson-logs/testlog.json, or testlog-SETUP.json for a run with
`meson test --setup SETUP` (one JSON object per meson test) and counts, in each
test's stdout, the TAP lines `ok`, `not ok` and `ok ... # SKIP` (a `not ok ... # TODO` is
not a failure). A test that printed no TAP line at all counts as one point by its meson
result (a crash before the plan, a timeout, a non-TAP test). Prints the counts per build
and suite, and ends with exactly one line `tests: N passed, N failed, N skipped`. Exit status
1 if anything failed or a build directory has no test log, else 0."""
import json
import os
import re
import sys

TAP = re.compile(r"^(not ok|ok)\b(.*)$")
DIRECTIVE = re.compile(r"#\s*(SKIP|TODO)\b", re.IGNORECASE)


def count_tap(stdout):
    """(passed, failed, skipped, saw_any) of one test's TAP stream."""
    passed = failed = skipped = 0
    seen = False
    for line in stdout.splitlines():
        m = TAP.match(line)
        if not m:
            continue
        seen = True
        d = DIRECTIVE.search(m.group(2))
        kind = d.group(1).upper() if d else None
        if kind == "SKIP":
            skipped += 1
        elif m.group(1) == "ok":
            passed += 1
        elif kind == "TODO":
            skipped += 1
        else:
            failed += 1
    return passed, failed, skipped, seen


def by_result(result):
    if result in ("OK", "EXPECTEDFAIL"):
        return 1, 0, 0
    if result == "SKIP":
        return 0, 0, 1
    return 0, 1, 0


def suite_of(entry):
    """meson >= 1.x names a test "project:suite / name"; newer ones also have "suite"."""
    if entry.get("suite"):
        return entry["suite"][0].split(":")[-1]
    name = entry.get("name", "")
    if " / " in name:
        return name.split(" / ")[0].split(":")[-1]
    return "?"


def summarize(spec, totals, problems):
    builddir, _, setup = spec.partition(":")
    path = os.path.join(builddir, "meson-logs", "testlog-%s.json" % setup if setup else "testlog.json")
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            entries = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        problems.append("%s: %s" % (path, e.strerror))
        return False
    suites = {}
    for e in entries:
        suite = suite_of(e)
        p, f, s, seen = count_tap(e.get("stdout") or "")
        if not seen:
            p, f, s = by_result(e.get("result"))
        elif e.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and f == 0:
            # the TAP said ok but meson did not (timeout, bad plan, crash after the last point)
            f = 1
            problems.append("%s: %s: %s although every TAP point passed"
                            % (spec, e.get("name"), e.get("result")))
        c = suites.setdefault(suite, [0, 0, 0])
        c[0] += p
        c[1] += f
        c[2] += s
        if f:
            problems.append("%s: %s: %d failed" % (spec, e.get("name"), f))
    for suite in sorted(suites):
        p, f, s = suites[suite]
        print("%s %s: %d passed, %d failed, %d skipped" % (spec, suite, p, f, s))
        totals[0] += p
        totals[1] += f
        totals[2] += s
    return True


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: %s BUILDDIR[:SETUP] [BUILDDIR[:SETUP]...]\n" % argv[0])
        return 2
    totals, problems = [0, 0, 0], []
    bad_logs = False
    for d in argv[1:]:
        bad_logs |= not summarize(d, totals, problems)
    for p in problems:
        print("  " + p)
    print("tests: %d passed, %d failed, %d skipped" % tuple(totals))
    return 1 if totals[1] or bad_logs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
