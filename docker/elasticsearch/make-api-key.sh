#!/usr/bin/env bash
# Compose's one-shot elasticsearch-api-key: creates the indexer's Elasticsearch API key with the
# elastic password (a compose secret) and writes its encoded form, the value the indexer sends as
# `Authorization: ApiKey`, to /run/citus-es/api-key for the indexer's entrypoint. (Its name stays
# citus-platform, from when the platform container ran the indexer: a key made then still serves.)
# Runs in Elasticsearch's own image, which has curl; the password goes to curl on stdin, never in
# its arguments (visible in ps) or a log line.
set -euo pipefail
prefix=${CITUS_SEARCH_INDEX_PREFIX:-citus}
key_file=/run/citus-es/api-key

# Every `docker-compose up` runs this again: keep a key that still authenticates, so a running
# indexer's key is neither replaced nor piled up beside new ones.
if [ -s "$key_file" ] && printf 'header = "Authorization: ApiKey %s"\n' "$(cat "$key_file")" \
  | curl -fsS -o /dev/null --config - http://elasticsearch:9200/_security/_authenticate; then
  echo "make-api-key: the existing API key still authenticates"
  exit 0
fi
password=$(cat /run/secrets/elastic_password)
body=$(printf '{"name":"citus-platform","role_descriptors":{"citus":{"cluster":["monitor","manage_index_templates"],"indices":[{"names":["%s-*"],"privileges":["all"]}]}}}' "$prefix")
response=$(printf 'user = "elastic:%s"\n' "$password" | curl -fsS --config - \
  -H 'Content-Type: application/json' -X POST http://elasticsearch:9200/_security/api_key -d "$body")
encoded=$(printf '%s' "$response" | sed -n 's/.*"encoded":"\([^"]*\)".*/\1/p')
if [ -z "$encoded" ]; then
  echo "make-api-key: Elasticsearch answered without an encoded key" >&2
  exit 1
fi
# 0644: the indexer reads it as uid 10001, and the volume is mounted in these two containers only.
umask 022
printf '%s' "$encoded" > "$key_file.tmp"
mv "$key_file.tmp" "$key_file"
echo "make-api-key: API key citus-platform written for indices $prefix-*"
