#!/bin/bash
# Regenerate claude_desktop_config.wrapped.json from claude_desktop_config.json with the
# real `mcpcage wrap`, so the two examples always agree with what the command writes.
# The example shows mcpcage installed as /usr/local/bin/mcpcage and the shipped policies
# on the search path: both are arranged in a private mount namespace (root, util-linux
# unshare), with PATH=/usr/local/bin:/usr/bin:/bin. Usage: generate.sh [BUILT-MCPCAGE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
binary=$(realpath "${1:-$repo/build/src/mcpcage}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/config/mcpcage"
ln -s "$repo/policies" "$work/config/mcpcage/policies"
cp "$here/claude_desktop_config.json" "$work/claude_desktop_config.json"
unshare --mount --propagation private /bin/sh -ec '
        mount -t tmpfs -o mode=0755 mcpcage-example /usr/local/bin
        cp "$1" /usr/local/bin/mcpcage
        env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$2" XDG_CONFIG_HOME="$2/config" \
                /usr/local/bin/mcpcage wrap --config "$2/claude_desktop_config.json"
' sh "$binary" "$work"
cp "$work/claude_desktop_config.json" "$here/claude_desktop_config.wrapped.json"
echo "wrote $here/claude_desktop_config.wrapped.json"
