#!/bin/sh
# Kong's entrypoint in compose: kong/kong.yml names ${CITUS_PORTAL_ORIGIN} (the CORS origin of the
# portal) and Kong substitutes nothing in a declarative file, so the value is put in here, into
# the tmpfs at /kong, before Kong's own entrypoint starts it DB-less on that file.
set -eu
template=/etc/citus/kong.yml
origin=${CITUS_PORTAL_ORIGIN:?CITUS_PORTAL_ORIGIN is required}
# An origin is scheme://host[:port]; anything else could change the YAML it is put into.
if ! printf '%s' "$origin" | grep -Eq '^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$'; then
  echo "kong: CITUS_PORTAL_ORIGIN must be scheme://host[:port], got: $origin" >&2
  exit 2
fi
sed "s|\${CITUS_PORTAL_ORIGIN}|$origin|g" "$template" > /kong/kong.yml
exec /docker-entrypoint.sh "$@"
