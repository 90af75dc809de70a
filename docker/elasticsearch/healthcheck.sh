#!/bin/sh
# Elasticsearch's health check in compose: up once the cluster is yellow or green. The elastic
# password goes to curl in a config read from stdin (printf is the shell's own, no process), never
# in an argument, where ps on the host would show it. Quotes and backslashes are escaped for curl's
# config syntax.
set -eu
password=$(cat /run/secrets/elastic_password)
escaped=$(printf '%s' "$password" | sed 's/[\\"]/\\&/g')
printf 'user = "elastic:%s"\n' "$escaped" \
  | curl -fsS -o /dev/null --config - 'http://127.0.0.1:9200/_cluster/health?wait_for_status=yellow&timeout=5s'
