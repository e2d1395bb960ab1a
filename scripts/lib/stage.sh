# shellcheck shell=bash
# The teamtask/ package folder of a release, sourced by scripts/pack.sh (the tarballs) and
# scripts/image.sh (the image's /app): the one definition of what a release holds. Run from
# the repository's root:
#   stage_package WORK          compile, `npm pack`, production install into WORK/package
#   stage_target WORK TARGET DIR  WORK/package into DIR, plus for linux-* the Node 24 binary of
#                                 the npm package node-TARGET at package-lock.json's version and
#                                 bin/teamtask-launch (runtime/launcher, built with Go), which
#                                 worker pods start Node through
# Neither touches the work tree: the compile runs in a copy of the sources (same layout, so the
# source maps are the same), and the repository's dist/ is left as it was.

# The Node the Linux targets bring: the `node` devDependency's version, as the lock pins it.
stage_node_version() {
  node -p 'require("./package-lock.json").packages["node_modules/node"].version'
}

stage_package() {
  local work=$1 version
  version=$(node -p 'require("./package.json").version')
  # A clean build: no compiled file of a source that no longer exists.
  mkdir -p "$work/build"
  cp -a src tsconfig.json tsconfig.build.json package.json "$work/build/"
  ln -s "$PWD/node_modules" "$work/build/node_modules"
  (cd "$work/build" && node_modules/.bin/tsc -p tsconfig.build.json)
  # The package's files, as npm pack ships them, with that build as dist/ and the production
  # dependencies from the lock.
  npm pack --silent --pack-destination "$work" >/dev/null
  tar xzf "$work/teamtask-$version.tgz" -C "$work"
  rm -rf "$work/package/dist"
  cp -a "$work/build/dist" "$work/package/dist"
  cp package-lock.json "$work/package/"
  (cd "$work/package" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --silent)
}

stage_target() {
  local work=$1 target=$2 dir=$3 node_version
  mkdir -p "$dir"
  cp -a "$work/package/." "$dir/"
  if [[ $target == linux-* ]]; then
    node_version=$(stage_node_version)
    local tmp=$work/node-$target
    mkdir -p "$tmp"
    (cd "$tmp" && npm pack --silent "node-$target@$node_version" >/dev/null)
    tar xzf "$tmp/node-$target-$node_version.tgz" -C "$tmp" package/bin/node
    mkdir -p "$dir/node/bin"
    mv "$tmp/package/bin/node" "$dir/node/bin/node"
    rm -rf "$tmp"
    local goarch=${target#linux-}
    [ "$goarch" = x64 ] && goarch=amd64
    (cd runtime/launcher && GOOS=linux GOARCH=$goarch CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false \
      go build -trimpath -ldflags="-s -w -buildid=" -o "$dir/bin/teamtask-launch" .)
  fi
}
