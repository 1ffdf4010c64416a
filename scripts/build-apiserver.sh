#!/usr/bin/env bash
# Builds kube-apiserver v1.20.2 from Debian's `kubernetes` source package (see ../shared/k8s/README.md)
# and caches it; does nothing when the cached binary exists. Needs root for apt-get.
set -euo pipefail

cache="${SK8S_CACHE_DIR:-$HOME/.cache/serverless-k8s}"
bin="$cache/bin/kube-apiserver"
[ -x "$bin" ] && { echo "$bin"; exit 0; }

# One build at a time: a second caller waits for the first and then finds the binary.
mkdir -p "$cache"
exec 9>"$cache/build.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }

need_pkgs=()
for p in golang-go etcd-server rsync jq golang-github-modern-go-reflect2-dev iproute2 openssl; do
  dpkg -s "$p" >/dev/null 2>&1 || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_pkgs[@]}" >&2
fi

src_list=/etc/apt/sources.list.d/debsrc.sources
if [ ! -f "$src_list" ]; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' >"$src_list"
  apt-get update -qq >&2
fi

work="$cache/build"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
apt-get source --download-only kubernetes >&2
tarball=$(ls kubernetes_*.orig.tar.gz | head -n 1)
mkdir src && tar -xzf "$tarball" -C src --strip-components=1
cd src
# reflect2 1.0.1 (vendored) crashes under Go >= 1.18 at the first CRD write: use Debian's 1.0.2.
rm -rf vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
rm -f vendor/github.com/modern-go/reflect2/go.mod
mkdir -p "$work/home"
env HOME="$work/home" CGO_ENABLED=0 make WHAT=cmd/kube-apiserver >&2
mkdir -p "$cache/bin"
cp _output/bin/kube-apiserver "$bin.tmp" && mv "$bin.tmp" "$bin"
cd / && rm -rf "$work"
echo "$bin"
