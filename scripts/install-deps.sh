#!/usr/bin/env bash
# Installs what mydocker needs on Debian 12 (as root): the packages the runtime, the tests and
# the benchmarks use, and the npm dependencies. Used by .ci/run and scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# The packages must not start their daemons (dockerd, containerd, docker-registry): the tests
# start their own, in temporary directories.
created_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
apt-get install -y -q --no-install-recommends \
  gcc libc6-dev libseccomp2 \
  busybox-static \
  runc \
  golang-github-opencontainers-specs-dev golang-github-opencontainers-image-spec-dev \
  iproute2 util-linux bsdutils procps python3 \
  containerd podman docker.io conmon containernetworking-plugins iptables \
  docker-registry skopeo umoci \
  apache2-utils openssl zstd xz-utils debootstrap \
  criu
[ -z "$created_policy" ] || rm -f /usr/sbin/policy-rc.d
npm ci --no-audit --no-fund
