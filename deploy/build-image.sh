#!/usr/bin/env bash
# Builds the sqlgate container image from deploy/Dockerfile (docs/operations/container.md).
#
#   deploy/build-image.sh [--tag NAME] [--base IMAGE] [--refresh-base] [--engine podman|docker]
#
# With podman (the default when it is installed) and no --base, it first makes a local base image, as a company's
# own base image would be: Debian bookworm from the Debian mirror (mmdebstrap, no container registry involved)
# carrying this machine's CA certificates, so that HTTPS from inside the build works behind an intercepting proxy.
# The base is cached (${SQLGATE_IMAGE_CACHE:-~/.cache/sqlgate-image}) and remade when this machine's CA
# certificates change, when it is more than 7 days old (security updates), or with --refresh-base.
# Then the build runs with `--isolation chroot --format docker` (no daemon; the docker format keeps HEALTHCHECK,
# which the OCI format drops).
#
# Either engine gets the npm registry this machine uses (`npm config get registry`) as a build argument, and the
# user's npmrc, which may hold the registry's credentials, as a build secret: it is mounted for `npm ci` only and
# is in no layer of any image.
#
# Prints the image's name, size and the time taken. Needs: podman (and mmdebstrap for the local base), or docker.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

tag=""
base=""
refresh_base=false
engine=""
while [ $# -gt 0 ]; do
  case "$1" in
    -t|--tag) tag=${2:?--tag needs a name}; shift 2 ;;
    --base) base=${2:?--base needs an image}; shift 2 ;;
    --refresh-base) refresh_base=true; shift ;;
    --engine) engine=${2:?--engine needs podman or docker}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1" >&2; usage >&2; exit 2 ;;
  esac
done

started=$(date +%s)
say() { echo "build-image.sh: $*" >&2; }
die() { say "$*"; exit 1; }

version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' package.json | head -n 1)
[ -n "$version" ] || die "cannot read the version from package.json"
tag=${tag:-sqlgate:$version}

if [ -z "$engine" ]; then
  if command -v podman >/dev/null 2>&1; then engine=podman
  elif command -v docker >/dev/null 2>&1; then engine=docker
  else die "neither podman nor docker is installed (Debian: apt-get install podman buildah runc mmdebstrap)"
  fi
fi
case "$engine" in podman|docker) ;; *) die "--engine must be podman or docker, not $engine" ;; esac
command -v "$engine" >/dev/null 2>&1 || die "$engine is not installed"

# The npm registry and credentials this machine uses. Without npm here, the Dockerfile's default registry.
registry=https://registry.npmjs.org/
npmrc=""
if command -v npm >/dev/null 2>&1; then
  registry=$(npm config get registry 2>/dev/null || echo "$registry")
  npmrc=$(npm config get userconfig 2>/dev/null || true)
fi
npmrc=${npmrc:-${NPM_CONFIG_USERCONFIG:-$HOME/.npmrc}}
empty_npmrc=""
if [ ! -f "$npmrc" ]; then
  # The Dockerfile's secret mount is optional for BuildKit but not for every podman; give it an empty one.
  empty_npmrc=$(mktemp)
  npmrc=$empty_npmrc
fi
trap '[ -z "$empty_npmrc" ] || rm -f "$empty_npmrc"' EXIT

# ---- The local base image (podman, no --base).
local_base_image=localhost/sqlgate-base:bookworm
make_local_base() {
  command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is not installed (Debian: apt-get install mmdebstrap), or pass --base IMAGE"
  local cache=${SQLGATE_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sqlgate-image}
  mkdir -p "$cache"

  # What goes into the base. Like debian:bookworm-slim: minbase, merged /usr, no documentation or translations
  # (the dpkg excludes stay in the image, so later apt-get installs skip them too), plus security updates.
  # The hooks' "$1" (the new root) is for mmdebstrap to expand, not this shell.
  # shellcheck disable=SC2016
  local -a recipe=(
    --variant=minbase
    --format=tar
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr
    --dpkgopt='path-exclude=/usr/share/man/*'
    --dpkgopt='path-exclude=/usr/share/doc/*'
    --dpkgopt='path-include=/usr/share/doc/*/copyright'
    --dpkgopt='path-exclude=/usr/share/info/*'
    --dpkgopt='path-exclude=/usr/share/locale/*'
    --customize-hook='mkdir -p "$1/etc/ssl/certs" "$1/usr/local/share/ca-certificates"'
    --customize-hook='if [ -d /usr/local/share/ca-certificates ]; then cp -a /usr/local/share/ca-certificates/. "$1/usr/local/share/ca-certificates/"; fi'
    --customize-hook='cp /etc/ssl/certs/ca-certificates.crt "$1/etc/ssl/certs/ca-certificates.crt"'
    bookworm
  )
  local -a mirrors=(
    'deb http://deb.debian.org/debian bookworm main'
    'deb http://deb.debian.org/debian bookworm-updates main'
    'deb http://deb.debian.org/debian-security bookworm-security main'
  )
  [ -f /etc/ssl/certs/ca-certificates.crt ] || die "/etc/ssl/certs/ca-certificates.crt is missing: this machine has no CA bundle to give the base"

  # The cache key: the recipe and this machine's CA certificates (a new proxy CA means a new base).
  local key
  key=$({
    printf '%s\n' "${recipe[@]}" "${mirrors[@]}"
    find /usr/local/share/ca-certificates -type f -print0 2>/dev/null | sort -z | xargs -0r cat
    cat /etc/ssl/certs/ca-certificates.crt
  } | sha256sum | cut -c1-16)
  local tarball=$cache/base-bookworm-$key.tar

  if [ -f "$tarball" ] && [ -n "$(find "$tarball" -mtime +6)" ]; then
    say "the cached base is more than 7 days old; making a new one for security updates"
    rm -f "$tarball"
  fi
  if $refresh_base; then rm -f "$tarball"; fi

  local current_key
  current_key=$(podman image inspect --format '{{index .Labels "sqlgate.base-key"}}' "$local_base_image" 2>/dev/null || true)
  if [ -f "$tarball" ] && [ "$current_key" = "$key" ]; then
    say "base $local_base_image is up to date ($tarball)"
    return
  fi

  if [ ! -f "$tarball" ]; then
    say "making the base with mmdebstrap (about a minute; log: $cache/mmdebstrap.log)"
    # A name of this run's own, so that two builds starting at once do not write one file.
    local partial=$tarball.partial.$$
    if ! mmdebstrap "${recipe[@]}" "$partial" "${mirrors[@]}" >"$cache/mmdebstrap.log" 2>&1; then
      tail -n 30 "$cache/mmdebstrap.log" >&2
      rm -f "$partial"
      die "mmdebstrap failed (log: $cache/mmdebstrap.log)"
    fi
    mv "$partial" "$tarball"
    # Older bases (another key) are of no further use.
    find "$cache" -maxdepth 1 -name 'base-bookworm-*.tar' ! -name "base-bookworm-$key.tar" -delete
  fi
  say "importing $tarball as $local_base_image"
  podman import \
    --change "LABEL sqlgate.base-key=$key" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["/bin/bash"]' \
    "$tarball" "$local_base_image" >/dev/null
}

build_args=(
  --build-arg "NPM_CONFIG_REGISTRY=$registry"
  --build-arg "SQLGATE_VERSION=$version"
  --secret "id=npmrc,src=$npmrc"
  -f deploy/Dockerfile
  -t "$tag"
)

if [ "$engine" = podman ]; then
  if [ -z "$base" ]; then
    make_local_base
    base=$local_base_image
  fi
  say "building $tag from $base with podman"
  podman build --isolation chroot --format docker --layers --build-arg "BASE_IMAGE=$base" "${build_args[@]}" .
  size=$(podman image inspect --format '{{.Size}}' "$tag")
else
  # Without --base, the Dockerfile's default (debian:bookworm-slim) from Docker's registry.
  if [ -n "$base" ]; then build_args+=(--build-arg "BASE_IMAGE=$base"); fi
  say "building $tag${base:+ from $base} with docker"
  DOCKER_BUILDKIT=1 docker build "${build_args[@]}" .
  size=$(docker image inspect --format '{{.Size}}' "$tag")
fi

say "built $tag: $((size / 1000000)) MB in $(($(date +%s) - started)) s"
