#!/bin/bash
# Install what building and testing mcpcage needs on a fresh Debian 12 / Ubuntu machine,
# only what is missing, then the pinned npm test servers (tests/package-lock.json).
# Runs as root, or through sudo. Non-interactive: safe for CI with no stdin.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*" >&2; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { say "run as root or install sudo"; exit 1; }
        SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# Build: compiler, meson, and the six libraries mcpcage links (pkg-config names in
# meson.build). clang/llvm/bpftool build the optional BPF programs. Tests: python3 (stdlib
# only), util-linux (setpriv, to run every case as nobody), bubblewrap (reference
# sandbox in comparisons), node + npm (real MCP servers), git, postgresql (the database
# test_policies.py starts on 127.0.0.1 for server-postgres; its own service is not used),
# groff-base (test_docs.py renders the man pages with warnings on), valgrind (memcheck, and
# its header, which the sandbox's spawn asks whether it runs there).
PACKAGES=(meson ninja-build pkg-config gcc clang llvm libc6-dev
          libseccomp-dev libcap-ng-dev libjansson-dev libbpf-dev libpcre2-dev libssl-dev
          python3 util-linux bubblewrap git ca-certificates postgresql groff-base valgrind)
# Optional: bpftool builds the BPF programs; libhyperscan-dev (x86-64 only) is the
# multi-pattern prefilter that speeds up redaction (PCRE2 alone is the fallback).
OPTIONAL=(bpftool libhyperscan-dev)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
available() { [ -n "$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '(none)')" ]; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
updated=0
apt_update() { [ "$updated" = 1 ] || { "${SUDO[@]}" apt-get update -qq; updated=1; }; }
if [ "${#missing[@]}" -gt 0 ]; then
        say "installing: ${missing[*]}"
        apt_update
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
for p in "${OPTIONAL[@]}"; do
        if ! installed "$p"; then
                apt_update
                if available "$p"; then
                        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$p"
                else
                        say "optional package $p is not available here (built without it)"
                fi
        fi
done

# Node 20 or newer: the pinned servers need it (glob 13 and the MCP SDK). Debian 12 and
# Ubuntu 24.04 ship Node 18, so take the distribution's package only when it is new enough,
# else NodeSource's Node 20 apt repository (signed).
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
candidate_major() { apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: \([0-9]*:\)\{0,1\}\([0-9]*\).*/\2/p'; }
if ! command -v node >/dev/null || [ "$(node_major)" -lt 20 ]; then
        apt_update
        if [ "$(candidate_major)" -ge 20 ] 2>/dev/null; then
                say "installing nodejs and npm from the distribution"
                "${SUDO[@]}" apt-get install -y -qq --no-install-recommends nodejs npm
        else
                say "the distribution's nodejs is older than 20: adding NodeSource's node_20.x repository"
                installed curl || "${SUDO[@]}" apt-get install -y -qq --no-install-recommends curl
                installed gnupg || "${SUDO[@]}" apt-get install -y -qq --no-install-recommends gnupg
                "${SUDO[@]}" install -d -m 0755 /etc/apt/keyrings
                curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key |
                        "${SUDO[@]}" gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
                echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_20.x nodistro main" |
                        "${SUDO[@]}" tee /etc/apt/sources.list.d/nodesource.list >/dev/null
                "${SUDO[@]}" apt-get update -qq
                "${SUDO[@]}" apt-get install -y -qq nodejs
        fi
fi
if ! command -v npm >/dev/null; then
        apt_update
        "${SUDO[@]}" apt-get install -y -qq --no-install-recommends npm
fi
[ "$(node_major)" -ge 20 ] || { say "node $(node --version) is older than 20"; exit 1; }

# The exact versions of tests/package-lock.json, nothing resolved anew.
say "npm ci in tests/ (node $(node --version))"
(cd tests && npm ci --no-audit --no-fund --loglevel=error)
say "done"
