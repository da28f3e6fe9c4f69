#!/usr/bin/env bash
# The main job, from a fresh machine: install, build, make a busybox bundle from Debian's
# busybox-static (no network needed beyond the package registries), and run a container in it
# with mydocker-runtime. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_INSTALL:-}" = 1 ] || scripts/install-deps.sh
npm run build
bundle=$(mktemp -d /tmp/mydocker-demo-bundle.XXXXXX)
trap 'rm -rf "$bundle"' EXIT
node scripts/busybox-bundle.mjs "$bundle" -- sh -c 'echo "hello from a mydocker container"; echo "hostname: $(hostname)"; echo "processes:"; ps'
dist/mydocker-runtime run --bundle "$bundle" "demo-$$"
