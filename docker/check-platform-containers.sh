#!/usr/bin/env bash
# CI's check of the compose deployment's own containers (Kong and Elasticsearch cannot be had
# without a registry): starts DynamoDB Local, the portal, device-lifecycle (the registry and the
# device CA), the platform (the hub's process), the indexer, analytics and the app registry from
# docker-compose.yaml with docker-compose.ci.yaml, then checks that
#   - the images name a non-root user and the platform image has a health check,
#   - every container becomes healthy (docker inspect),
#   - their processes run as uid 10001 and each data volume belongs to it,
#   - /healthz answers 200 inside each container and on the loopback port CI publishes for it,
#   - each runs its own services on its own volume (the identity store in the portal's, the device
#     CA in device-lifecycle's and its key in no other, the hub's SQLite files in the platform's,
#     search.db in the indexer's, analytics.db, alerts.db and secrets.key in analytics', apps.db in
#     the app registry's),
#   - nothing is published but MQTT (by the platform only) and the loopback HTTP ports, all on
#     loopback here,
#   - all run with a read-only root file system, no capabilities and no-new-privileges,
#   - the platform tells devices the published MQTT port (CITUS_MQTT_ADVERTISED_PORT),
#   - a token the portal issues declares a device on device-lifecycle and lists apps on the app
#     registry (both ask the portal, over the default network, with CITUS_SERVICE_TOKEN); the
#     platform serves no device routes,
#   - that device, activated on device-lifecycle with a CSR made here (openssl), connects to the
#     hub's published MQTT port with mosquitto_pub (the hub's certificate verified against the CA
#     the activation handed out, the device's accepted once the hub has it from the registry
#     table's stream), and a new connection is refused within seconds of its revocation on
#     device-lifecycle,
#   - that device becomes findable through the indexer's search (from the registry table's stream),
#   - analytics answers its settings to that token, and a series of that device after asking the
#     platform (over the default network, with the service token) whose it is,
#   - the portal's, device-lifecycle's and the platform's internal APIs refuse a caller without that
#     token.
# Needs openssl and mosquitto_pub (Debian's mosquitto-clients, which .ci/run's tier 3 installs).
# Needs the images built (.ci/make-base-image.sh, docker/prepare-context.sh, docker-compose build).
# Test traffic goes to 127.0.0.0/8 only. Tears everything down, volumes included, however it ends.
# With CITUS_TEST_TALLY set, adds its counts to it like the jest tiers do.
set -euo pipefail
cd "$(dirname "$0")/.."

project=citus-ci-$$
http_port=${CITUS_CI_HTTP_PORT:-18080}
portal_port=${CITUS_CI_PORTAL_PORT:-18081}
apps_port=${CITUS_CI_APPS_PORT:-18082}
indexer_port=${CITUS_CI_INDEXER_PORT:-18083}
analytics_port=${CITUS_CI_ANALYTICS_PORT:-18084}
registry_port=${CITUS_CI_REGISTRY_PORT:-18085}
mqtt_port=${CITUS_CI_MQTT_PORT:-18883}
# With the opt-in override that gives app-registry the engine (docker-compose.apps.yaml), so app
# deployments are checked too.
compose=(docker-compose -p "$project" -f docker-compose.yaml -f docker-compose.ci.yaml -f docker-compose.apps.yaml)
if ! CITUS_DOCKER_GID=$(stat -c %g /var/run/docker.sock); then
  echo "check-platform-containers: no Docker socket at /var/run/docker.sock for docker-compose.apps.yaml" >&2
  exit 1
fi
export CITUS_DOCKER_GID
# The deployment the app check makes, removed at the end however the check went (the engine's, not compose's).
app_deployment_file=$(mktemp)
app_image=citus-ci/compose-app:1
export CITUS_CI_HTTP_PORT=$http_port CITUS_CI_PORTAL_PORT=$portal_port CITUS_CI_APPS_PORT=$apps_port
export CITUS_CI_INDEXER_PORT=$indexer_port CITUS_CI_ANALYTICS_PORT=$analytics_port CITUS_CI_REGISTRY_PORT=$registry_port
export CITUS_MQTT_PUBLISHED_PORT=$mqtt_port CITUS_MQTT_BIND_ADDRESS=127.0.0.1
# The gateway network's subnet is fixed per project, and two projects may not share one: a subnet of
# its own per run, so that a developer's compose and a CI run (or two CI runs) can coexist.
# It lies outside Docker's default address pools (172.17-31.0.0/16, 192.168.0.0/16), from which the
# engine hands out the bridges the Docker tier and app deployments make: a gateway there could
# overlap one of them (it did once: "Pool overlaps with other one on this address space").
export CITUS_GATEWAY_SUBNET=${CITUS_GATEWAY_SUBNET:-100.87.$(($$ % 256)).0/24}
# A fresh password and service token per run, never printed.
CITUS_ADMIN_PASSWORD=$(od -An -N18 -tx1 /dev/urandom | tr -d ' \n')
CITUS_SERVICE_TOKEN=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export CITUS_ADMIN_PASSWORD CITUS_SERVICE_TOKEN
# The thing the declare check makes, for the indexer's, analytics' and MQTT checks; the device's
# key, CSR and certificates (the key never leaves this directory, removed at the end).
thing_file=$(mktemp)
device_dir=$(mktemp -d)

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
    echo "check-platform-containers: the containers' last log lines:" >&2
    "${compose[@]}" logs --no-color --tail 40 portal device-lifecycle platform indexer analytics app-registry >&2 || true
  fi
  local leftover
  leftover=$(cat "$app_deployment_file" 2>/dev/null || true)
  if [ -n "$leftover" ]; then docker rm -f "$leftover" > /dev/null 2>&1 || true; fi
  "${compose[@]}" down --volumes --remove-orphans > /dev/null 2>&1 || true
  # Once app-registry is gone it is off the app's bridge, which can then go too.
  if [ -n "$leftover" ]; then docker network rm "$leftover-net" > /dev/null 2>&1 || true; fi
  docker rmi "$app_image" > /dev/null 2>&1 || true
  rm -f "$thing_file" "$app_deployment_file"
  rm -rf "$device_dir"
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
  node -e "fetch('http://127.0.0.1:$1/healthz').then(async (r) => { const body = await r.json(); process.exit(r.status === 200 && typeof body === 'object' ? 0 : 1); }, () => process.exit(1))"
}

# What a container's data dir holds: data_dir_holds CONTAINER "PRESENT..." "ABSENT..." (names in it).
data_dir_holds() {
  local container=$1 name wrong=()
  for name in $2; do docker exec "$container" test -e "/var/lib/citus/data/$name" || wrong+=("no $name"); done
  for name in $3; do ! docker exec "$container" test -e "/var/lib/citus/data/$name" || wrong+=("a $name"); done
  if [ ${#wrong[@]} -gt 0 ]; then
    echo "  the data dir holds ${wrong[*]}" >&2
    return 1
  fi
}

# The CA's key only where it belongs: no file of that name anywhere on the container's volume.
# no_file_named_on_volume CONTAINER NAME
no_file_named_on_volume() {
  local found
  found=$(docker exec "$1" find /var/lib/citus -name "$2" 2>&1)
  if [ -n "$found" ]; then
    echo "  found: $found" >&2
    return 1
  fi
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

# only_expected_ports_published CONTAINER CONTAINER_PORT=HOST_ADDRESS:PORT...
only_expected_ports_published() {
  local container=$1 published expected
  shift
  published=$(docker port "$container" | sed 's/ -> /=/' | sort | tr '\n' ' ')
  expected=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
  # Newer engines list the IPv6 binding of a published port as well.
  published=$(printf '%s' "$published" | tr ' ' '\n' | grep -v '=\[::\]:' | sort | tr '\n' ' ')
  if [ "$published" != "$expected" ]; then
    echo "  published: $published; expected: $expected" >&2
    return 1
  fi
}

# Signs in as admin on the portal (the password from the environment, never in an argument), then
# runs the rest of the script with the token in `token`; exits 0 only when that part does.
# with_portal_token JS
with_portal_token() {
  node --input-type=module -e "
    const signIn = await fetch('http://127.0.0.1:$portal_port/api/v1/auth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: process.env.CITUS_ADMIN_PASSWORD }),
    });
    if (signIn.status !== 200) { console.error('  sign-in on the portal: ' + signIn.status); process.exit(1); }
    const token = (await signIn.json()).access_token;
    const bearer = { authorization: 'Bearer ' + token };
    $1
  "
}

# device-lifecycle resolves people through the portal: a device declared with the portal's token.
# Its id and activation code go to the device directory, for the MQTT checks.
registry_accepts_portal_token() {
  with_portal_token "
    const declared = await fetch('http://127.0.0.1:$registry_port/api/v1/devices', {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'compose check sensor' }),
    });
    const body = await declared.json();
    if (declared.status !== 201 || typeof body.thingName !== 'string') { console.error('  declare: ' + declared.status + ' ' + JSON.stringify(body)); process.exit(1); }
    const fs = await import('node:fs');
    fs.writeFileSync('$thing_file', body.thingName);
    fs.writeFileSync('$device_dir/declared.json', JSON.stringify({ id: body.id, activationCode: body.activationCode }), { mode: 0o600 });
    const anonymous = await fetch('http://127.0.0.1:$registry_port/api/v1/devices');
    if (anonymous.status !== 401) { console.error('  without a token: ' + anonymous.status); process.exit(1); }
  "
}

# A software release on device-lifecycle: created, its artifact uploaded as bytes and downloaded
# back the same (the blob store on its volume, the read-only root untouched), signed with the
# workspace's key, which it keeps on its volume.
release_round_trip() {
  with_portal_token "
    const base = 'http://127.0.0.1:$registry_port/api/v1/releases';
    const created = await fetch(base, { method: 'POST', headers: { ...bearer, 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'artifact', version: 'compose-1' }) });
    const release = await created.json();
    if (created.status !== 201) { console.error('  create: ' + created.status + ' ' + JSON.stringify(release)); process.exit(1); }
    const bytes = new Uint8Array(Array.from({ length: 100000 }, (_, i) => i % 251));
    const uploaded = await fetch(base + '/' + release.releaseId + '/artifact', { method: 'PUT', headers: { ...bearer, 'content-type': 'application/octet-stream' }, body: bytes });
    const ready = await uploaded.json();
    if (uploaded.status !== 200 || ready.status !== 'ready' || ready.signature?.algorithm !== 'Ed25519') { console.error('  upload: ' + uploaded.status + ' ' + JSON.stringify(ready)); process.exit(1); }
    const download = await fetch(base + '/' + release.releaseId + '/artifact', { headers: bearer });
    const back = new Uint8Array(await download.arrayBuffer());
    if (download.status !== 200 || back.length !== bytes.length || !back.every((byte, i) => byte === bytes[i])) { console.error('  download: ' + download.status + ', ' + back.length + ' bytes'); process.exit(1); }
  "
}

# A rollout on the platform's hub, apart from the registry: a static thing group holding the
# declared thing (known to the hub through the registry stream) is a job's target; a scheduled job
# with a rate waits, showing its progress; a gate on anomalies is refused, analytics being apart.
rollout_job_on_platform() {
  local thing
  thing=$(cat "$thing_file")
  with_portal_token "
    const hub = 'http://127.0.0.1:$http_port/api/v1';
    const send = (method, path, body) => fetch(hub + path, { method, headers: { ...bearer, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const group = await send('POST', '/thing-groups', { groupName: 'compose-meters' });
    if (group.status !== 201) { console.error('  group: ' + group.status + ' ' + (await group.text())); process.exit(1); }
    const added = await send('PUT', '/thing-groups/compose-meters/things/$thing');
    if (added.status !== 204) { console.error('  add to group: ' + added.status + ' ' + (await added.text())); process.exit(1); }
    const startTime = new Date(Date.now() + 3600000).toISOString();
    const created = await send('POST', '/jobs', { jobId: 'compose-rollout', thingGroups: ['compose-meters'], document: { operation: 'noop' }, jobExecutionsRolloutConfig: { maximumPerMinute: 1 }, schedulingConfig: { startTime } });
    if (created.status !== 201) { console.error('  job: ' + created.status + ' ' + (await created.text())); process.exit(1); }
    const job = await (await send('GET', '/jobs/compose-rollout')).json();
    if (job.status !== 'SCHEDULED' || job.rollout?.numberOfWaitingThings !== 1 || job.targets?.[0] !== '$thing') { console.error('  progress: ' + JSON.stringify(job)); process.exit(1); }
    const gated = await send('POST', '/jobs', { targets: ['$thing'], document: {}, jobExecutionsRolloutConfig: { maximumPerMinute: 1 }, healthGate: { signal: 'anomalyRate', field: 'temperature', maxIncreasePercent: 50 } });
    const refusal = await gated.json();
    if (gated.status !== 400 || !/analytics/.test(refusal.error?.message ?? '')) { console.error('  anomaly gate without analytics: ' + gated.status + ' ' + JSON.stringify(refusal)); process.exit(1); }
    const canceled = await send('POST', '/jobs/compose-rollout/cancel', {});
    const after = await canceled.json();
    if (canceled.status !== 200 || after.rollout?.numberOfCanceledThings !== 1) { console.error('  cancel: ' + canceled.status + ' ' + JSON.stringify(after)); process.exit(1); }
  "
}

# The hub's process serves no device routes any more: they answer in device-lifecycle's container.
platform_serves_no_device_routes() {
  node -e "fetch('http://127.0.0.1:$http_port/api/v1/devices').then((r) => process.exit(r.status === 404 ? 0 : 1), () => process.exit(1))"
}

# The device's key and CSR, made here with openssl (EC P-256, the thing name as CN), then activated
# on device-lifecycle: it answers the certificate, the CA's, and the published MQTT port.
device_activates_on_registry() {
  local thing
  thing=$(cat "$thing_file")
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$thing" \
    -keyout "$device_dir/key.pem" -out "$device_dir/csr.pem" 2> "$device_dir/openssl.log" || { cat "$device_dir/openssl.log" >&2; return 1; }
  chmod 0600 "$device_dir/key.pem"
  node --input-type=module -e "
    const fs = await import('node:fs');
    const declared = JSON.parse(fs.readFileSync('$device_dir/declared.json', 'utf8'));
    const activated = await fetch('http://127.0.0.1:$registry_port/api/v1/devices/' + declared.id + '/activation', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ activationCode: declared.activationCode, csr: fs.readFileSync('$device_dir/csr.pem', 'utf8') }),
    });
    const body = await activated.json();
    if (activated.status !== 200 || body.mqttPort !== $mqtt_port) { console.error('  activation: ' + activated.status + ' port ' + body.mqttPort); process.exit(1); }
    fs.writeFileSync('$device_dir/cert.pem', body.certificatePem);
    fs.writeFileSync('$device_dir/ca.pem', body.caCertificatePem);
  "
}

# One QoS 1 telemetry message with mosquitto_pub over mutual TLS to the published port, on
# loopback; exits 0 only when the hub accepted the CONNECT and acknowledged the PUBLISH, 124 when
# the hub did not answer within 15 s.
mqtt_publish_once() {
  local thing
  thing=$(cat "$thing_file")
  timeout 15 mosquitto_pub --cafile "$device_dir/ca.pem" --cert "$device_dir/cert.pem" --key "$device_dir/key.pem" \
    -h 127.0.0.1 -p "$mqtt_port" -i "$thing" -V mqttv311 -q 1 -t "telemetry/$thing" \
    -m '{"temperature":21.5,"label":"compose check"}' > "$device_dir/mqtt.log" 2>&1
}

# The hub learns the new certificate from the registry table's stream: accepted within about 30 s.
device_connects_to_hub() {
  command -v mosquitto_pub > /dev/null || { echo "  mosquitto_pub is missing (apt-get install mosquitto-clients)" >&2; return 1; }
  local attempt
  for attempt in $(seq 30); do
    if mqtt_publish_once; then
      echo "  accepted at attempt $attempt"
      return 0
    fi
    sleep 1
  done
  echo "  mosquitto_pub: $(tail -n 3 "$device_dir/mqtt.log")" >&2
  return 1
}

# Revoked on device-lifecycle, the device's next connection is refused within about 15 s (the hub
# hears of it from the same stream).
revoked_device_refused_by_hub() {
  with_portal_token "
    const declared = JSON.parse((await import('node:fs')).readFileSync('$device_dir/declared.json', 'utf8'));
    const revoked = await fetch('http://127.0.0.1:$registry_port/api/v1/devices/' + declared.id + '/revoke', { method: 'POST', headers: bearer });
    if (revoked.status !== 200) { console.error('  revoke: ' + revoked.status); process.exit(1); }
  " || return 1
  local code
  for _ in $(seq 15); do
    code=0
    mqtt_publish_once || code=$?
    # Refused is an answer from the hub (a closed handshake or a CONNACK's refusal), not silence.
    if [ "$code" -ne 0 ] && [ "$code" -ne 124 ]; then
      echo "  refused after the revocation: $(tail -n 1 "$device_dir/mqtt.log")"
      return 0
    fi
    sleep 1
  done
  echo "  mosquitto_pub 15 s after the revocation: exit $code, $(tail -n 3 "$device_dir/mqtt.log")" >&2
  return 1
}

app_registry_accepts_portal_token() {
  with_portal_token "
    const apps = await fetch('http://127.0.0.1:$apps_port/api/v1/apps', { headers: bearer });
    const body = await apps.json();
    if (apps.status !== 200 || !Array.isArray(body.items)) { console.error('  apps: ' + apps.status + ' ' + JSON.stringify(body)); process.exit(1); }
    const anonymous = await fetch('http://127.0.0.1:$apps_port/api/v1/apps');
    if (anonymous.status !== 401) { console.error('  without a token: ' + anonymous.status); process.exit(1); }
  "
}

# A tiny web app for the deployment check, made here from Debian's static busybox (no registry):
# it serves / and /healthz on $HOST:$PORT.
make_app_image() {
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/www" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  echo "hello from the compose app" > "$root/www/index.html"
  echo ok > "$root/www/healthz"
  tar -C "$root" -c . | docker import \
    -c 'CMD ["/bin/busybox", "sh", "-c", "exec /bin/busybox httpd -f -p \"$HOST:$PORT\" -h /www"]' - "$app_image" > /dev/null
  local status=$?
  rm -rf "$root"
  return $status
}

# Issue 7 in compose: an app is made, reviewed and deployed through app-registry's API with a
# portal token, and answers through app-registry's proxy (what Kong's /apps/ route reaches) on a
# bridge of its own; nothing of it is published on the host; removing it takes the bridge.
app_deploys_and_answers_through_proxy() {
  make_app_image || { echo "  could not build $app_image from /bin/busybox (apt-get install busybox-static)" >&2; return 1; }
  with_portal_token "
    const base = 'http://127.0.0.1:$apps_port';
    const json = { ...bearer, 'content-type': 'application/json' };
    const call = async (method, path, body) => {
      const answer = await fetch(base + path, { method, headers: json, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await answer.text();
      return { status: answer.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    };
    const fail = (what, answer) => { console.error('  ' + what + ': ' + answer.status + ' ' + JSON.stringify(answer.body)); process.exit(1); };
    const manifest = { name: 'compose-hello', version: '1.0.0', description: 'Answers hello', category: 'utilities', image: '$app_image', resources: { memoryMb: 32, cpuMillicores: 100 } };
    const app = await call('POST', '/api/v1/apps', manifest);
    if (app.status !== 201) fail('create the app', app);
    for (const step of ['submit', 'approve']) {
      const moved = await call('POST', '/api/v1/apps/' + app.body.id + '/versions/1.0.0/' + step);
      if (moved.status !== 200) fail(step, moved);
    }
    const deployed = await call('POST', '/api/v1/apps/' + app.body.id + '/deployments', { version: '1.0.0' });
    if (deployed.status !== 201) fail('deploy', deployed);
    (await import('node:fs')).writeFileSync('$app_deployment_file', 'citus-' + deployed.body.deploymentId.replace('_', '-'));
    let page = { status: 0, body: 'not asked' };
    for (let attempt = 0; attempt < 60; attempt++) {
      page = await call('GET', '/apps/default/compose-hello/');
      if (page.status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    if (page.status !== 200 || !String(page.body).includes('hello from the compose app')) fail('the app through the proxy', page);
    const view = await call('GET', '/api/v1/deployments/' + deployed.body.deploymentId);
    if (view.body.status !== 'running') fail('the deployment is running and healthy', view);
  " || return 1
  local container network networks published
  container=$(cat "$app_deployment_file")
  network="$container-net"
  networks=$(docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' "$container") || return 1
  if [ "$networks" != "$network " ]; then echo "  the app is on: $networks (only $network expected)" >&2; return 1; fi
  published=$(docker inspect --format '{{json .HostConfig.PortBindings}}' "$container")
  if [ "$published" != "{}" ]; then echo "  the app publishes $published" >&2; return 1; fi
  if ! docker inspect --format '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' "$apps" | grep -qw -- "$network"; then
    echo "  app-registry did not join $network" >&2
    return 1
  fi
  with_portal_token "
    const base = 'http://127.0.0.1:$apps_port';
    const listed = await (await fetch(base + '/api/v1/deployments', { headers: bearer })).json();
    const mine = listed.items.find((item) => item.appName === 'compose-hello');
    const removed = await fetch(base + '/api/v1/deployments/' + mine.deploymentId, { method: 'DELETE', headers: bearer });
    if (removed.status !== 204) { console.error('  remove: ' + removed.status); process.exit(1); }
  " || return 1
  if docker network inspect "$network" > /dev/null 2>&1; then echo "  $network is left after the removal" >&2; return 1; fi
  if docker inspect "$container" > /dev/null 2>&1; then echo "  $container is left after the removal" >&2; return 1; fi
}

# The indexer learns devices from the registry table's stream, not from device-lifecycle's process:
# the device the declare check made is found by its name within about 20 s.
indexer_finds_declared_device() {
  with_portal_token "
    const thingName = (await import('node:fs')).readFileSync('$thing_file', 'utf8');
    const url = 'http://127.0.0.1:$indexer_port/api/v1/search?kind=device&q=' + encodeURIComponent('compose check sensor');
    let last = 'no answer';
    for (let attempt = 0; attempt < 40; attempt++) {
      const answer = await fetch(url, { headers: bearer });
      const body = await answer.json();
      last = answer.status + ' ' + JSON.stringify(body);
      const found = answer.status === 200 ? body.items.map((hit) => hit.device && hit.device.thingName) : [];
      if (found.includes(thingName)) process.exit(0);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    console.error('  search for ' + thingName + ': ' + last);
    process.exit(1);
  "
}

# Analytics answers with the portal's token, and a series of the declared thing only after asking
# the platform whose it is (a name the platform does not know is 404, told apart).
analytics_answers_for_declared_thing() {
  with_portal_token "
    const thingName = (await import('node:fs')).readFileSync('$thing_file', 'utf8');
    const base = 'http://127.0.0.1:$analytics_port/api/v1/anomalies/settings';
    const settings = await fetch(base, { headers: bearer });
    const series = await fetch(base + '/series?field=x&thingName=' + encodeURIComponent(thingName), { headers: bearer });
    const seriesBody = await series.json();
    const unknown = await fetch(base + '/series?field=x&thingName=compose-check-nobody', { headers: bearer });
    const anonymous = await fetch(base);
    const got = [settings.status, series.status, seriesBody.thingName === thingName, unknown.status, anonymous.status].join();
    if (got !== '200,200,true,404,401') { console.error('  settings, series, its thing, unknown series, no token: ' + got + ' ' + JSON.stringify(seriesBody)); process.exit(1); }
  "
}

# An internal API answers holders of CITUS_SERVICE_TOKEN only: 403 without it or with another.
# internal_api_refuses_without_token PORT PATH BODY
internal_api_refuses_without_token() {
  node --input-type=module -e "
    const ask = (headers) => fetch('http://127.0.0.1:$1$2', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify($3),
    });
    const statuses = [(await ask({})).status, (await ask({ 'x-citus-service-token': 'not-the-token-0123456789abcdef0123456789' })).status];
    if (statuses.join() !== '403,403') { console.error('  internal API: ' + statuses.join()); process.exit(1); }
  "
}

# The other containers reach the portal (analytics and device-lifecycle the platform, the platform
# device-lifecycle) by an alias on the default network, not over the gateway network whose peers they trust for client addresses: the alias
# resolves to the target's default-network address.
# reaches_on_default_network CALLER ALIAS TARGET
reaches_on_default_network() {
  local expected resolved
  expected=$(docker inspect --format "{{(index .NetworkSettings.Networks \"${project}_default\").IPAddress}}" "$3")
  resolved=$(docker exec "$1" node -e "require('node:dns').lookup('$2', (e, a) => { console.log(e ? 'none' : a); })")
  if [ -z "$expected" ] || [ "$resolved" != "$expected" ]; then
    echo "  $2 resolves to $resolved; the target's default-network address is $expected" >&2
    return 1
  fi
}

# The checks every platform container passes: name, container id, loopback HTTP port.
check_process_container() {
  local name=$1 container=$2 port=$3
  check "$name: main process runs as uid 10001" main_process_uid_is "$container" 10001
  check "$name: /var/lib/citus (the volume) belongs to uid 10001" owner_is "$container" /var/lib/citus 10001
  check "$name: /var/lib/citus/data (the data dir) belongs to uid 10001" owner_is "$container" /var/lib/citus/data 10001
  check "$name: /healthz answers 200 inside the container" healthz_inside "$container"
  check "$name: /healthz answers 200 on 127.0.0.1:$port" healthz_on_loopback "$port"
  check "$name: read-only, no capabilities, no-new-privileges" hardened "$container"
  check "$name: the root file system refuses writes (/var/tmp)" root_fs_refuses_writes "$container"
  check "$name: main process has no effective capabilities" no_effective_capabilities "$container"
}

check "platform image: user is not root" image_user_is_not_root citus/platform:local
check "platform image: has a health check" image_has_healthcheck citus/platform:local
check "dynamodb-local image: user is not root" image_user_is_not_root citus/dynamodb-local:local

# DynamoDB Local first: device-lifecycle and the platform create their tables at start and would exit
# without it. Then the portal, which the others ask about people and keys, then device-lifecycle
# (the registry table, the CA the platform asks for its certificate), then the platform (the
# telemetry tables), whose streams the indexer and analytics follow (--no-deps, because compose's
# dependencies include Elasticsearch).
"${compose[@]}" up -d --no-build dynamodb-local
dynamodb=$("${compose[@]}" ps -q dynamodb-local)
check "dynamodb-local: healthy" wait_healthy "$dynamodb" 60
started=$SECONDS
"${compose[@]}" up -d --no-build --no-deps portal
portal=$("${compose[@]}" ps -q portal)
check "portal: healthy (docker inspect)" wait_healthy "$portal" 180
echo "  portal healthy after $((SECONDS - started)) s"
started=$SECONDS
"${compose[@]}" up -d --no-build --no-deps device-lifecycle
registry=$("${compose[@]}" ps -q device-lifecycle)
check "device-lifecycle: healthy (docker inspect)" wait_healthy "$registry" 180
echo "  device-lifecycle healthy after $((SECONDS - started)) s"
started=$SECONDS
"${compose[@]}" up -d --no-build --no-deps platform
platform=$("${compose[@]}" ps -q platform)
check "platform: healthy (docker inspect)" wait_healthy "$platform" 180
echo "  platform healthy after $((SECONDS - started)) s"
started=$SECONDS
"${compose[@]}" up -d --no-build --no-deps indexer analytics app-registry
indexer=$("${compose[@]}" ps -q indexer)
analytics=$("${compose[@]}" ps -q analytics)
apps=$("${compose[@]}" ps -q app-registry)
check "indexer: healthy (docker inspect)" wait_healthy "$indexer" 180
check "analytics: healthy (docker inspect)" wait_healthy "$analytics" 180
check "app-registry: healthy (docker inspect)" wait_healthy "$apps" 180
echo "  indexer, analytics and app-registry healthy after $((SECONDS - started)) s"

check_process_container portal "$portal" "$portal_port"
check_process_container device-lifecycle "$registry" "$registry_port"
check_process_container platform "$platform" "$http_port"
check_process_container indexer "$indexer" "$indexer_port"
check_process_container analytics "$analytics" "$analytics_port"
check_process_container app-registry "$apps" "$apps_port"
check "portal: publishes only its loopback HTTP port" only_expected_ports_published "$portal" "8080/tcp=127.0.0.1:$portal_port"
check "device-lifecycle: publishes only its loopback HTTP port" only_expected_ports_published "$registry" "8080/tcp=127.0.0.1:$registry_port"
check "platform: publishes only MQTT and its loopback HTTP port" only_expected_ports_published "$platform" "8080/tcp=127.0.0.1:$http_port" "8883/tcp=127.0.0.1:$mqtt_port"
check "indexer: publishes only its loopback HTTP port" only_expected_ports_published "$indexer" "8080/tcp=127.0.0.1:$indexer_port"
check "analytics: publishes only its loopback HTTP port" only_expected_ports_published "$analytics" "8080/tcp=127.0.0.1:$analytics_port"
check "app-registry: publishes only its loopback HTTP port" only_expected_ports_published "$apps" "8080/tcp=127.0.0.1:$apps_port"
check "portal: its volume holds the identity store, nothing of the others" data_dir_holds "$portal" "identity.db identity" "ca apps.db search.db analytics.db alerts.db shadows.db"
check "device-lifecycle: its volume holds the device CA (key and certificate), nothing of the others" data_dir_holds "$registry" "ca/ca.key ca/ca.pem" "identity.db apps.db search.db analytics.db alerts.db secrets.key shadows.db presence.db jobs.db"
check "platform: its volume holds the hub's files (its topic rules' secrets sealed under a secrets.key of its own), no device CA, identity store, search index, analytics or apps" data_dir_holds "$platform" "shadows.db presence.db jobs.db rules.db secrets.key" "ca devices.db identity.db apps.db search.db analytics.db alerts.db"
for one in portal:"$portal" platform:"$platform" indexer:"$indexer" analytics:"$analytics" app-registry:"$apps"; do
  check "${one%%:*}: no ca.key anywhere on its volume (the CA's key stays in registry-data)" no_file_named_on_volume "${one#*:}" ca.key
done
check "indexer: its volume holds search.db, nothing of the others" data_dir_holds "$indexer" "search.db" "identity.db ca apps.db analytics.db alerts.db secrets.key"
check "analytics: its volume holds analytics.db, alerts.db and secrets.key, nothing of the others" data_dir_holds "$analytics" "analytics.db alerts.db secrets.key" "identity.db ca apps.db search.db"
check "app-registry: its volume holds apps.db, no identity store, device CA, search index or analytics" data_dir_holds "$apps" "apps.db" "identity.db ca search.db analytics.db alerts.db"
check "platform: tells devices the published MQTT port $mqtt_port" advertises_published_mqtt_port
check "device-lifecycle: reaches the portal on the default network" reaches_on_default_network "$registry" portal-internal "$portal"
check "device-lifecycle: reaches the platform on the default network" reaches_on_default_network "$registry" platform-internal "$platform"
check "platform: reaches the portal on the default network" reaches_on_default_network "$platform" portal-internal "$portal"
check "platform: reaches device-lifecycle on the default network" reaches_on_default_network "$platform" device-lifecycle-internal "$registry"
check "indexer: reaches the portal on the default network" reaches_on_default_network "$indexer" portal-internal "$portal"
check "analytics: reaches the portal on the default network" reaches_on_default_network "$analytics" portal-internal "$portal"
check "app-registry: reaches the portal on the default network" reaches_on_default_network "$apps" portal-internal "$portal"
check "analytics: reaches the platform on the default network" reaches_on_default_network "$analytics" platform-internal "$platform"
check "device-lifecycle: a token from the portal declares a device (201), none is refused (401)" registry_accepts_portal_token
check "platform: serves no device routes (404)" platform_serves_no_device_routes
check "device-lifecycle: a release takes its artifact (octet-stream), signs it and serves the same bytes back" release_round_trip
check "device-lifecycle: its volume holds releases.db, the artifact and the signing key" data_dir_holds "$registry" "releases.db blobs signing" "shadows.db"
check "device-lifecycle: /internal/v1/release-links answers 403 without the service token or with another" \
  internal_api_refuses_without_token "$registry_port" /internal/v1/release-links "{}"
check "app-registry: a token from the portal lists apps (200), none is refused (401)" app_registry_accepts_portal_token
check "app-registry (docker-compose.apps.yaml): an app is reviewed, deployed on a bridge of its own that app-registry joins, answers through the proxy, publishes nothing, and goes with its bridge" app_deploys_and_answers_through_proxy
check "indexer: finds the device declared on device-lifecycle (registry stream)" indexer_finds_declared_device
check "analytics: settings (200), the declared thing's series (200, asked of the platform), an unknown thing (404), no token (401)" analytics_answers_for_declared_thing
check "device-lifecycle: activates the device from a CSR made here, telling it the published MQTT port" device_activates_on_registry
check "platform: the activated device connects and publishes over MQTT (mosquitto_pub, 127.0.0.1:$mqtt_port)" device_connects_to_hub
check "platform: a scheduled rollout targets a thing group holding the declared thing, shows its progress and cancels; an anomaly gate is refused (analytics apart)" rollout_job_on_platform
check "platform: after POST /api/v1/devices/{id}/revoke on device-lifecycle, a new MQTT connection is refused" revoked_device_refused_by_hub
check "portal: /internal/v1/access answers 403 without the service token or with another" \
  internal_api_refuses_without_token "$portal_port" /internal/v1/access "{ apiKey: 'citus_apk_000000000000000000000000_' + 'a'.repeat(43) }"
check "device-lifecycle: /internal/v1/ca/server-certificates answers 403 without the service token or with another" \
  internal_api_refuses_without_token "$registry_port" /internal/v1/ca/server-certificates "{}"
check "platform: /internal/v1/telemetry answers 403 without the service token or with another" \
  internal_api_refuses_without_token "$http_port" /internal/v1/telemetry "{}"
check "dynamodb-local: main process runs as uid 10001" main_process_uid_is "$dynamodb" 10001
check "dynamodb-local: read-only, no capabilities, no-new-privileges" hardened "$dynamodb"
check "dynamodb-local: the root file system refuses writes (/var/tmp)" root_fs_refuses_writes "$dynamodb"
