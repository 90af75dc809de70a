#!/usr/bin/env bash
# CI's check of the compose deployment's own containers (Kong and Elasticsearch cannot be had
# without a registry): starts DynamoDB Local and the platform from docker-compose.yaml with
# docker-compose.ci.yaml, then checks that
#   - both images name a non-root user and the platform image has a health check,
#   - both containers become healthy (docker inspect),
#   - their processes run as uid 10001 and the data volume belongs to it,
#   - /healthz answers 200 inside the container and on the loopback port CI publishes,
#   - the platform publishes nothing but MQTT and that loopback HTTP port, both on loopback here,
#   - both run with a read-only root file system, no capabilities and no-new-privileges,
#   - the platform tells devices the published MQTT port (CITUS_MQTT_ADVERTISED_PORT).
# Needs the images built (.ci/make-base-image.sh, docker/prepare-context.sh, docker-compose build).
# Tears everything down, volumes included, however it ends. With CITUS_TEST_TALLY set, adds its
# counts to it like the jest tiers do.
set -euo pipefail
cd "$(dirname "$0")/.."

project=citus-ci-$$
http_port=${CITUS_CI_HTTP_PORT:-18080}
mqtt_port=${CITUS_CI_MQTT_PORT:-18883}
compose=(docker-compose -p "$project" -f docker-compose.yaml -f docker-compose.ci.yaml)
export CITUS_CI_HTTP_PORT=$http_port CITUS_MQTT_PUBLISHED_PORT=$mqtt_port CITUS_MQTT_BIND_ADDRESS=127.0.0.1
# The gateway network's subnet is fixed per project, and two projects may not share one: a subnet of
# its own per run, so that a developer's compose and a CI run (or two CI runs) can coexist.
export CITUS_GATEWAY_SUBNET=${CITUS_GATEWAY_SUBNET:-172.31.$(($$ % 256)).0/24}
# A fresh password per run, never printed.
CITUS_ADMIN_PASSWORD=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
export CITUS_ADMIN_PASSWORD

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then
    echo "  ok    $name"
    passed=$((passed + 1))
  else
    echo "  FAIL  $name" >&2
    failed=$((failed + 1))
  fi
}

finish() {
  local status=$?
  if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ]; then
    echo "check-platform-containers: the platform's last log lines:" >&2
    "${compose[@]}" logs --no-color --tail 40 platform >&2 || true
  fi
  "${compose[@]}" down --volumes --remove-orphans > /dev/null 2>&1 || true
  if [ -n "${CITUS_TEST_TALLY:-}" ]; then
    echo "$passed $failed 0" >> "$CITUS_TEST_TALLY"
  fi
  echo "check-platform-containers: $passed passed, $failed failed"
  if [ "$failed" -gt 0 ]; then exit 1; fi
  exit "$status"
}
trap finish EXIT

# Polls docker inspect until the container's health check reports healthy, at most $2 seconds.
wait_healthy() {
  local container=$1 limit=$2 state
  for _ in $(seq "$limit"); do
    state=$(docker inspect --format '{{.State.Health.Status}}' "$container" 2>/dev/null || echo missing)
    [ "$state" = healthy ] && return 0
    [ "$state" = unhealthy ] && break
    sleep 1
  done
  echo "  $container: health $state" >&2
  return 1
}

image_user_is_not_root() {
  local user
  user=$(docker image inspect --format '{{.Config.User}}' "$1")
  [ -n "$user" ] && [ "${user%%:*}" != 0 ] && [ "${user%%:*}" != root ]
}

image_has_healthcheck() {
  [ "$(docker image inspect --format '{{if .Config.Healthcheck}}{{len .Config.Healthcheck.Test}}{{else}}0{{end}}' "$1")" -gt 0 ]
}

# The uid of the container's main process, read from the kernel, not from the image's config.
main_process_uid_is() {
  [ "$(docker exec "$1" awk '/^Uid:/ { print $2 }' /proc/1/status)" = "$2" ]
}

owner_is() {
  [ "$(docker exec "$1" stat -c %u "$2")" = "$3" ]
}

healthz_inside() {
  docker exec "$1" node -e "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"
}

healthz_on_loopback() {
  node -e "fetch('http://127.0.0.1:$http_port/healthz').then(async (r) => { const body = await r.json(); process.exit(r.status === 200 && typeof body === 'object' ? 0 : 1); }, () => process.exit(1))"
}

# Read-only root file system, every capability dropped, no-new-privileges: docker-compose.yaml's
# hardening, as the engine applied it.
hardened() {
  local readonly cap_drop security_opt
  readonly=$(docker inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$1")
  cap_drop=$(docker inspect --format '{{join .HostConfig.CapDrop ","}}' "$1")
  security_opt=$(docker inspect --format '{{join .HostConfig.SecurityOpt ","}}' "$1")
  if [ "$readonly" != true ] || [ "$cap_drop" != ALL ] || [[ ",$security_opt," != *,no-new-privileges:true,* ]]; then
    echo "  read-only: $readonly; cap_drop: $cap_drop; security_opt: $security_opt" >&2
    return 1
  fi
}

# /var/tmp is writable by everyone (mode 1777) in the image: only a read-only root file system refuses.
root_fs_refuses_writes() {
  ! docker exec "$1" sh -c 'touch /var/tmp/citus-write-test' 2> /dev/null
}

# The effective capability set of the main process, from the kernel: none.
no_effective_capabilities() {
  [ "$(docker exec "$1" awk '/^CapEff:/ { print $2 }' /proc/1/status)" = 0000000000000000 ]
}

# AsyncAPI's hub server is what devices are told: the published port, not the container's 8883.
advertises_published_mqtt_port() {
  node -e "fetch('http://127.0.0.1:$http_port/api/v1/asyncapi.json').then((r) => r.json()).then((b) => process.exit(String(b.servers.hub.host).endsWith(':$mqtt_port') ? 0 : 1), () => process.exit(1))"
}

only_expected_ports_published() {
  local published expected
  published=$(docker port "$1" | sed 's/ -> /=/' | sort | tr '\n' ' ')
  expected=$(printf '%s\n' "8080/tcp=127.0.0.1:$http_port" "8883/tcp=127.0.0.1:$mqtt_port" | sort | tr '\n' ' ')
  # Newer engines list the IPv6 binding of a published port as well.
  published=$(printf '%s' "$published" | tr ' ' '\n' | grep -v '=\[::\]:' | sort | tr '\n' ' ')
  if [ "$published" != "$expected" ]; then
    echo "  published: $published; expected: $expected" >&2
    return 1
  fi
}

check "platform image: user is not root" image_user_is_not_root citus/platform:local
check "platform image: has a health check" image_has_healthcheck citus/platform:local
check "dynamodb-local image: user is not root" image_user_is_not_root citus/dynamodb-local:local

# DynamoDB Local first: the platform creates its tables at start and would exit without it
# (--no-deps, because compose's dependencies include Elasticsearch).
"${compose[@]}" up -d --no-build dynamodb-local
dynamodb=$("${compose[@]}" ps -q dynamodb-local)
check "dynamodb-local: healthy" wait_healthy "$dynamodb" 60
started=$SECONDS
"${compose[@]}" up -d --no-build --no-deps platform
platform=$("${compose[@]}" ps -q platform)
check "platform: healthy (docker inspect)" wait_healthy "$platform" 180
echo "  platform healthy after $((SECONDS - started)) s"
check "platform: main process runs as uid 10001" main_process_uid_is "$platform" 10001
check "platform: /var/lib/citus (the volume) belongs to uid 10001" owner_is "$platform" /var/lib/citus 10001
check "platform: /var/lib/citus/data (the data dir) belongs to uid 10001" owner_is "$platform" /var/lib/citus/data 10001
check "platform: /healthz answers 200 inside the container" healthz_inside "$platform"
check "platform: /healthz answers 200 on 127.0.0.1:$http_port" healthz_on_loopback
check "platform: publishes only MQTT and the loopback HTTP port" only_expected_ports_published "$platform"
check "platform: tells devices the published MQTT port $mqtt_port" advertises_published_mqtt_port
check "platform: read-only, no capabilities, no-new-privileges" hardened "$platform"
check "platform: the root file system refuses writes (/var/tmp)" root_fs_refuses_writes "$platform"
check "platform: main process has no effective capabilities" no_effective_capabilities "$platform"
check "dynamodb-local: main process runs as uid 10001" main_process_uid_is "$dynamodb" 10001
check "dynamodb-local: read-only, no capabilities, no-new-privileges" hardened "$dynamodb"
check "dynamodb-local: the root file system refuses writes (/var/tmp)" root_fs_refuses_writes "$dynamodb"
