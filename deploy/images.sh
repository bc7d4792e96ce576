#!/usr/bin/env bash
# Builds the five infidraw images with Docker (BuildKit). The build context of each is the repository
# root; the Dockerfiles live next to their service.
#
#   deploy/images.sh                      # tags ghcr.io/infidraw/<name>:<version of the chart's appVersion>
#   IMAGE_PREFIX=registry.example.com/infidraw IMAGE_TAG=1.2.3 PUSH=1 deploy/images.sh
#
# Where no Docker engine answers (as on the development machines of this project) it says so and exits
# with status 2 instead of pretending: the images are then built by CI or on a workstation with Docker.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

prefix="${IMAGE_PREFIX:-ghcr.io/infidraw}"
tag="${IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/infidraw/Chart.yaml)}"

# image name -> Dockerfile (names match the repositories in helm/infidraw/values.yaml)
images=(
  "gateway:gateway-ts/Dockerfile"
  "realtime:realtime-go/Dockerfile"
  "tile-delta:tile-delta-go/Dockerfile"
  "snapshot:snapshot-rs/Dockerfile"
  "migrations:db/Dockerfile"
)

if ! command -v docker >/dev/null 2>&1; then
  echo "images: no docker command on this machine; nothing was built." >&2
  echo "images: build on a machine with Docker (BuildKit): deploy/images.sh" >&2
  exit 2
fi
if ! docker info >/dev/null 2>&1; then
  echo "images: the docker command is here but no Docker engine answers (docker info failed); nothing was built." >&2
  echo "images: start Docker, or build on a machine that has it: deploy/images.sh" >&2
  exit 2
fi

export DOCKER_BUILDKIT=1
for entry in "${images[@]}"; do
  name="${entry%%:*}" dockerfile="${entry#*:}"
  ref="$prefix/$name:$tag"
  echo "images: $ref from $dockerfile" >&2
  docker build --file "$dockerfile" --tag "$ref" \
    --label "org.opencontainers.image.source=https://github.com/infidraw/infidraw" \
    --label "org.opencontainers.image.version=$tag" \
    --label "org.opencontainers.image.licenses=AGPL-3.0-only" .
  if [ "${PUSH:-0}" = 1 ]; then docker push "$ref"; fi
done
echo "images: built ${#images[@]} images with tag $tag" >&2
