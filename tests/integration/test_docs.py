#!/usr/bin/env python3
"""The first-run experience and the documentation (issue 8): what a new user reads must be
what the program does. The README's Quick start commands are the ones CI runs on a fresh
clone (.ci/run), in that order, so "works as written" is proven on every change; `mcpcage
--help` and mcpcage(1) list the same commands and options; the README's command line
names every option; the three man pages render with groff's warnings on; `mcpcage wrap
--dry-run` on the shipped sample desktop configuration prints a sensible diff and writes
nothing. TAP; the wrap case runs as root and as nobody (see mcpcage_test.py)."""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mcpcage_test import Suite, Skip, expect, expect_eq, short  # noqa: E402

suite = Suite("docs")

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
README = os.path.join(SRC, "README.md")
MAN = {name: os.path.join(SRC, "man", name) for name in ("mcpcage.1", "mcpcage-policy.5", "mcpcage-audit.5")}
SAMPLE = os.path.join(SRC, "contrib", "examples", "claude_desktop_config.json")
LONG_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def section(markdown, title):
    """The body of the README section headed TITLE, up to the next heading of any level."""
    m = re.search(r"^#+ %s\n(.*?)(?=^#)" % re.escape(title), markdown, re.S | re.M)
    if not m:
        raise AssertionError("README.md has no section %r" % title)
    return m.group(1)


def roff_text(roff):
    """Man page source as plain text, enough to compare words: escapes and fonts removed."""
    text = re.sub(r"\\f[BIRP]|\\f\(..", "", roff)
    return text.replace("\\-", "-").replace("\\(dq", '"').replace("\\&", "")


def help_text(ctx):
    rc, out, err = ctx.run(["--help"])
    expect_eq(rc, 0, "--help exit status (stderr %s)" % short(err))
    return out.decode()


@suite.case("the README's Quick start commands are exactly what CI runs on a fresh clone",
            users=("root",))
def quick_start(ctx):
    block = section(read(README), "Quick start")
    commands = [ln.split("#")[0].strip() for ln in block.splitlines() if ln.startswith("    ")]
    expect_eq(commands, ["contrib/demo.sh", "contrib/test.sh"], "the two commands of the README")
    ci = read(os.path.join(SRC, ".ci", "run"))
    ran = [ln.split("<")[0].strip() for ln in ci.splitlines()
           if ln.strip() and not ln.lstrip().startswith(("#", "echo", "set ", "cd "))]
    expect_eq(ran, commands, ".ci/run runs the README's commands, in its order, and nothing else")
    expect("set -euo pipefail" in ci, ".ci/run stops at the first command that fails")
    for c in commands:
        path = os.path.join(SRC, c)
        expect(os.access(path, os.X_OK), "%s is executable as written" % c)
        expect("set -euo pipefail" in read(path), "%s fails on the first failing step" % c)
    expect("tests: N passed, N failed" in block, "the Quick start says what the last line of the suite is")


@suite.case("mcpcage --help and mcpcage(1) list the same commands and options", users=("root",))
def help_matches_man(ctx):
    usage = help_text(ctx)
    man = roff_text(read(MAN["mcpcage.1"]))
    synopsis = re.search(r"^\.SH SYNOPSIS\n\.nf\n(.*?)^\.fi", man, re.S | re.M).group(1)
    man_forms = [ln.strip() for ln in synopsis.splitlines() if ln.strip()]
    help_forms = [ln.strip()[len("Usage:"):].strip() if ln.startswith("Usage:") else ln.strip()
                  for ln in usage.split("\n\n")[0].splitlines()]
    expect_eq(help_forms, man_forms, "the synopsis (--help's Usage against mcpcage(1))")
    options = re.search(r"^\.SH OPTIONS\n(.*?)^\.SH ", man, re.S | re.M).group(1)
    man_opts = set()
    for m in re.finditer(r"^\.TP\n(.*)$", options, re.M):
        man_opts.update(LONG_OPTION.findall(m.group(1)))
    help_opts = set(LONG_OPTION.findall(usage.split("Options:")[1].split("Exit status")[0]))
    expect(len(help_opts) >= 12, "--help lists the options: %s" % sorted(help_opts))
    expect_eq(sorted(help_opts), sorted(man_opts), "the long options (--help against mcpcage(1) OPTIONS)")
    for short_opt in ("-p", "-v", "-q", "-h", "-V"):
        expect(re.search(r"(?m)^\s+%s, --" % short_opt, usage), "--help shows %s" % short_opt)
        expect(re.search(r"(?m)^\.BR %s\b" % re.escape(short_opt), options.replace("\\-", "-")) or
               ("%s, --" % short_opt) in options, "mcpcage(1) shows %s" % short_opt)
    exit_section = re.search(r"^\.SH EXIT STATUS\n(.*?)^\.SH ", man, re.S | re.M).group(1)
    for status in ("125", "126", "127", "128"):
        expect(status in usage and status in exit_section, "exit status %s in both" % status)


@suite.case("the README's command line names every option and subcommand of --help", users=("root",))
def readme_command_line(ctx):
    usage = help_text(ctx)
    readme = section(read(README), "Command line")
    for opt in sorted(set(LONG_OPTION.findall(usage.split("Options:")[1].split("Exit status")[0]))):
        if opt in ("--help", "--version"):
            continue
        expect(opt in readme, "README's Command line names %s" % opt)
    for sub in ("policy check", "policy list", "audit verify", "kill", "pin", "doctor", "wrap", "unwrap"):
        expect(("mcpcage %s" % sub) in readme or ("] %s" % sub) in readme,
               "README's Command line shows `mcpcage %s`" % sub)


@suite.case("the man pages render with groff's warnings on and nothing to warn about",
            users=("root",))
def man_pages_render(ctx):
    groff = shutil.which("groff")
    if not groff:
        raise Skip("groff is not installed (Debian package groff-base; contrib/setup.sh installs it)")
    for name, path in sorted(MAN.items()):
        p = subprocess.run([groff, "-man", "-t", "-ww", "-Tutf8", path], capture_output=True)
        expect_eq(p.returncode, 0, "%s: groff exit status" % name)
        expect_eq(p.stderr.decode(), "", "%s: groff's warnings" % name)
        text = re.sub(".\b", "", p.stdout.decode())  # grotty's overstruck bold and underline
        expect(len(text) > 2000 and "NAME" in text and "SEE ALSO" in text,
               "%s renders to a page with NAME and SEE ALSO" % name)


@suite.case("wrap --dry-run on the sample desktop config prints a diff a user can read, writes nothing")
def wrap_sample(ctx):
    with open(SAMPLE, "rb") as f:
        original = f.read()
    path = ctx.write("claude_desktop_config.json", original)
    home = os.path.join(ctx.dir, "home")
    os.makedirs(home, exist_ok=True)
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "XDG_CONFIG_HOME": os.path.join(home, ".config")}
    rc, out, err = ctx.run(["wrap", "--config", path, "--dry-run"], env=env)
    text = out.decode()
    expect_eq(rc, 0, "exit status (stderr %s)" % short(err))
    expect(text.startswith("mcpcage wrap: %s\n" % path), "names the file it read: %s" % short(text))
    expect("--- %s\n+++ %s (wrapped)\n" % (path, path) in text, "a unified diff: %s" % short(text, 3000))
    removed = [ln for ln in text.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    added = [ln for ln in text.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    expect(removed and added, "the diff removes and adds lines: %s" % short(text, 3000))
    self_path = os.path.realpath(ctx.binary)
    expect(any(self_path in ln for ln in added), "the wrapped commands run mcpcage (%s)" % self_path)
    expect(any('"--policy"' in ln for ln in added), "each wrapped entry names its policy")
    expect("dry run: nothing written" in text, "says nothing was written: %s" % short(text, 3000))
    with open(path, "rb") as f:
        expect_eq(f.read(), original, "the sample copy is unchanged")
    expect_eq([n for n in os.listdir(ctx.dir) if "claude_desktop_config" in n], ["claude_desktop_config.json"],
              "no backup written")


if __name__ == "__main__":
    suite.main()
