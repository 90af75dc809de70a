#!/usr/bin/env bash
# Builds the base images the platform's Dockerfiles start from, out of Debian packages only
# (mmdebstrap + docker import), because no image registry is reachable where CI runs.
#
#   citus/base:trixie        minbase + Node.js (runtime of the platform image)
#   citus/build-base:trixie  the same + python3, make, g++ and Node.js headers (better-sqlite3
#                            compiles from source with node-gyp)
#   citus/java-base:trixie   minbase + a headless JRE (DynamoDB Local)
#
# Debian 13 (trixie) because the platform needs Node.js >= 20.19: trixie's nodejs is 20.19.x, a
# Debian package with Debian's security updates, whereas bookworm's is 18 and copying a host's
# /usr/bin/node into an image would tie the image to whatever the host happens to run.
# Trixie's JRE is OpenJDK 21 (17 is not in trixie); DynamoDB Local runs on Java 11 and later.
#
# Usage: .ci/make-base-image.sh [base|build-base|java-base ...]   (all three without arguments)
# Env:   CITUS_DEBIAN_MIRROR (http://deb.debian.org/debian), CITUS_DEBIAN_SECURITY_MIRROR
#        (http://deb.debian.org/debian-security), CITUS_BASE_TAG (trixie)
set -euo pipefail

suite=trixie
tag=${CITUS_BASE_TAG:-trixie}
mirror=${CITUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${CITUS_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

if ! command -v mmdebstrap > /dev/null; then
  echo "make-base-image: mmdebstrap is missing (apt-get install mmdebstrap)" >&2
  exit 1
fi

# Documentation, manual pages and translations are of no use in a container; copyright files stay.
slim=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --aptopt='APT::Install-Recommends "false"'
  # openjdk's postinst registers its manual pages with update-alternatives, which fails without the
  # directory they would have gone to.
  --essential-hook='mkdir -p "$1/usr/share/man/man1"'
)

packages_for() {
  case "$1" in
    base) echo nodejs,ca-certificates ;;
    build-base) echo nodejs,ca-certificates,libnode-dev,python3,make,g++ ;;
    java-base) echo openjdk-21-jre-headless,ca-certificates ;;
    *) echo "make-base-image: unknown image $1 (base, build-base, java-base)" >&2; return 1 ;;
  esac
}

# The image being built's scratch dir (its root file system as a tar): removed however the script ends.
work=
trap 'rm -rf "$work"' EXIT

build() {
  local name=$1 packages started=$SECONDS
  packages=$(packages_for "$name")
  work=$(mktemp -d)
  # Bounded, so that a mirror that stops answering fails the build instead of hanging it.
  timeout 1200 mmdebstrap --quiet --variant=minbase --include="$packages" "${slim[@]}" \
    "$suite" "$work/rootfs.tar" \
    "deb $mirror $suite main" \
    "deb $mirror $suite-updates main" \
    "deb $security_mirror $suite-security main"
  # docker import starts from an empty config: give the image the environment a Dockerfile expects.
  timeout 600 docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/sh"]' \
    --message "mmdebstrap --variant=minbase $suite: $packages" \
    "$work/rootfs.tar" "citus/$name:$tag" > /dev/null
  rm -rf "$work"
  echo "make-base-image: citus/$name:$tag in $((SECONDS - started)) s ($(docker image inspect --format '{{.Size}}' "citus/$name:$tag" | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
}

if [ $# -eq 0 ]; then
  set -- base build-base java-base
fi
for name in "$@"; do
  build "$name"
done
