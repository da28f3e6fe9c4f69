#!/usr/bin/env bash
# The main job, from a fresh machine: install the Debian and npm packages, build, and run a
# container with mydocker from the built-in busybox image (made from Debian's busybox-static:
# no registry or network access needed), on the mydocker0 bridge, then clean up. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SKIP_INSTALL:-}" = 1 ] || scripts/install-deps.sh
npm run build
dist/mydocker run --rm --name mydocker-demo busybox sh -c \
  'echo "hello from a mydocker container"; echo "hostname: $(hostname)"; echo "address: $(ip -4 -o addr show eth0 | awk "{print \$4}")"; echo "processes:"; ps'
