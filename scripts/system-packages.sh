#!/usr/bin/env bash
# Installs the Debian packages the test cluster and its builds need (root), once.
set -euo pipefail
pkgs=(golang-go etcd-server rsync jq iproute2 openssl curl unzip util-linux xz-utils git
  golang-github-modern-go-reflect2-dev golang-github-modern-go-concurrent-dev
  golang-github-json-iterator-go-dev)
need=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || need+=("$p"); done
src_list=/etc/apt/sources.list.d/debsrc.sources
if [ ${#need[@]} -gt 0 ] || [ ! -f "$src_list" ]; then
  export DEBIAN_FRONTEND=noninteractive
  [ -f "$src_list" ] ||
    printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$src_list"
  echo "[system-packages] apt-get install ${need[*]:-(deb-src index only)}" >&2
  apt-get update -qq >&2
  [ ${#need[@]} -eq 0 ] || apt-get install -y -qq "${need[@]}" >&2
fi
