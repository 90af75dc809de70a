#!/usr/bin/env bash
# Gathers, on the host, what the image builds take from outside the repository, so that no build
# step inside a container reaches a registry:
#   docker/.cache/pnpm-*.tgz          pnpm (the npm package with node-gyp, and its Linux binary)
#   docker/.cache/pnpm-store/         every package of pnpm-lock.yaml (`pnpm fetch`); the Dockerfile
#                                     installs from it with --offline
#   docker/.cache/pnpm-cache/         the packages' registry metadata, which pnpm's supply-chain
#                                     check of the lockfile reads (offline too)
#   docker/dynamodb-local/emulator/   DynamoDB Local, from the devDependency amplify-dynamodb-simulator
#                                     (needs `npm run setup` first)
# Run it from anywhere; it is idempotent and refreshes the store from the current lockfile.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm_version=$(node -p "require('./package.json').engines.pnpm")
cache=docker/.cache
mkdir -p "$cache"

rm -f "$cache"/pnpm-*.tgz
(cd "$cache" && npm pack --silent "pnpm@$pnpm_version" "@pnpm/exe.linux-x64@$pnpm_version" > /dev/null)
mv "$cache/pnpm-$pnpm_version.tgz" "$cache/pnpm-package.tgz"
mv "$cache/pnpm-exe.linux-x64-$pnpm_version.tgz" "$cache/pnpm-exe.tgz"

# pnpm fetch links what it fetches into the node_modules of the directory it runs in: run it on a
# copy of the lockfile so the working tree's node_modules (and its store) are left alone.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc "$scratch/"
store=$(pwd)/$cache/pnpm-store
metadata=$(pwd)/$cache/pnpm-cache
(cd "$scratch" && npx -y "pnpm@$pnpm_version" fetch --frozen-lockfile --ignore-scripts --store-dir "$store" --cache-dir "$metadata" > fetch.log 2>&1) || {
  cat "$scratch/fetch.log" >&2
  exit 1
}

emulator=node_modules/amplify-dynamodb-simulator/emulator
if [ ! -f "$emulator/DynamoDBLocal.jar" ]; then
  echo "prepare-context: $emulator/DynamoDBLocal.jar is missing: run npm run setup first" >&2
  exit 1
fi
rm -rf docker/dynamodb-local/emulator
cp -r "$emulator" docker/dynamodb-local/emulator
echo "prepare-context: pnpm $pnpm_version, $(du -sh "$store" | cut -f1) of packages, DynamoDB Local $(du -sh docker/dynamodb-local/emulator | cut -f1)"
