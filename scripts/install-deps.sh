#!/usr/bin/env bash
# Installs what mydocker needs on Debian 12 (as root): the packages the runtime, the tests and
# the benchmarks use, and the npm dependencies. Used by .ci/run and scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends \
  gcc libc6-dev libseccomp2 \
  busybox-static \
  runc \
  golang-github-opencontainers-specs-dev \
  iproute2 util-linux bsdutils procps \
  containerd podman docker.io conmon containernetworking-plugins iptables \
  docker-registry skopeo umoci
npm ci --no-audit --no-fund
