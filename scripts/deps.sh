#!/usr/bin/env bash
# Installs the Debian packages Berth needs to build and test, when they are missing.
#   clang, zlib1g-dev: the NativeAOT linker; build-essential: spawn.c
#   busybox-static: the test and demo container image; jq: bundle edits in scripts;
#   procps: the host ps(1) that `berth runtime ps` runs, as runc does
#   docker-registry: the real registry the image tests pull from and push to; apache2-utils: its
#   htpasswd files; umoci, skopeo, debootstrap: third-party tools that build the fixture images;
#   attr (getfattr), curl: fixture listings and registry checks
#   tini: its static build is `run --init`'s init process (docker ships the same as docker-init)
# BENCH=1 adds what the benchmarks compare against: runc, crun, podman, docker.io, hyperfine, time.
set -euo pipefail
pkgs=(clang zlib1g-dev build-essential busybox-static jq procps docker-registry apache2-utils umoci skopeo debootstrap attr curl tini)
[ "${BENCH:-0}" = 1 ] && pkgs+=(runc crun podman docker.io hyperfine time)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
