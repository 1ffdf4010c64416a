#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler v1.20.2 from Debian's
# `kubernetes` source package in one make run, and caches them; does nothing when all three are
# cached. Needs root for apt-get. Cold: about 15-20 minutes on 2 cores.
set -euo pipefail

cache="${SK8S_CACHE_DIR:-$HOME/.cache/serverless-k8s}"
bins=(kube-apiserver kube-controller-manager kube-scheduler)
all_cached() { for b in "${bins[@]}"; do [ -x "$cache/bin/$b" ] || return 1; done; }
all_cached && exit 0

# One build at a time: a second caller waits for the first and then finds the binaries.
mkdir -p "$cache"
exec 9>"$cache/build.lock"
flock 9
all_cached && exit 0

say() { echo "[build-k8s] $*" >&2; }
# A long step prints a line at least every 30 s, so a first run never looks hung.
heartbeat() {
  local what=$1 log=$2 start=$SECONDS; shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30 & wait $! 2>/dev/null || true
    kill -0 "$pid" 2>/dev/null && say "$what: still running ($((SECONDS - start)) s)"
  done
  wait "$pid"
}

bash "$(dirname "$0")/system-packages.sh"

work="$cache/build-k8s"
rm -rf "$work" && mkdir -p "$work" && cd "$work"
say "downloading Debian's kubernetes source package (34 MB)"
apt-get source -qq --download-only kubernetes >/dev/null
tarball=$(ls kubernetes_*.orig.tar.gz | head -n 1)
say "unpacking $tarball"
mkdir src && tar -xzf "$tarball" -C src --strip-components=1
cd src
# reflect2 1.0.1 (vendored) crashes under Go >= 1.18 at the first CRD write: use Debian's 1.0.2.
rm -rf vendor/github.com/modern-go/reflect2
cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 vendor/github.com/modern-go/reflect2
rm -f vendor/github.com/modern-go/reflect2/go.mod
mkdir -p "$work/home"
say "compiling ${bins[*]} (about 15 minutes cold on 2 cores)"
heartbeat "make" "$work/make.log" env HOME="$work/home" CGO_ENABLED=0 \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" ||
  { tail -n 40 "$work/make.log" >&2; say "make failed; the log is $work/make.log"; exit 1; }
mkdir -p "$cache/bin"
for b in "${bins[@]}"; do cp "_output/bin/$b" "$cache/bin/$b.tmp" && mv "$cache/bin/$b.tmp" "$cache/bin/$b"; done
cd / && rm -rf "$work"
say "done: ${bins[*]} in $cache/bin"
