# The platform image: one Node.js process running the services CITUS_SERVICES names (all of them by
# default, as the embedded mode; one each in compose and Kubernetes), configured by environment
# (see docker-compose.yaml and the README's Configuration).
#
# Before building: .ci/make-base-image.sh (the Debian base images; no registry is needed) and
# docker/prepare-context.sh (pnpm and the packages of the lockfile, so no step below reaches a
# registry). Then: docker build -t citus/platform:local .
ARG BASE_TAG=trixie

FROM citus/build-base:${BASE_TAG} AS build
ENV CI=true \
    # node-gyp compiles better-sqlite3 against Debian's Node.js headers (libnode-dev), not a download.
    npm_config_nodedir=/usr
# The npm package carries node-gyp in dist/; the binary of @pnpm/exe replaces its placeholder, as
# the package's own install script does.
COPY docker/.cache/pnpm-package.tgz docker/.cache/pnpm-exe.tgz /tmp/pnpm/
RUN mkdir -p /opt/pnpm \
 && tar -xzf /tmp/pnpm/pnpm-package.tgz -C /opt/pnpm --strip-components=1 \
 && tar -xzf /tmp/pnpm/pnpm-exe.tgz -C /opt/pnpm --strip-components=1 package/pnpm \
 && ln -s /opt/pnpm/pnpm /usr/local/bin/pnpm \
 && rm -rf /tmp/pnpm
COPY docker/.cache/pnpm-store /pnpm-store
# Registry metadata: pnpm checks the lockfile against its supply-chain policies before installing.
COPY docker/.cache/pnpm-cache /pnpm-cache
WORKDIR /src
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc tsconfig.base.json ./
COPY bench/package.json bench/
COPY packages packages
COPY services services
# The deploy is the embedded process's production dependencies only; better-sqlite3's compile leaves
# ~15 MB of objects beside the one .node file it loads.
RUN pnpm install --offline --frozen-lockfile --store-dir /pnpm-store --cache-dir /pnpm-cache \
 && pnpm exec tsc -b services/embedded \
 && pnpm --filter @citus/embedded deploy --prod --offline --store-dir /pnpm-store --cache-dir /pnpm-cache /out \
 && for build in /out/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3/build; do \
      rm -rf "$build/deps" "$build/Release/obj" "$build/Release/obj.target" "$build/Release/.deps" \
        "$build/Release/sqlite3.a" "$build/Release/test_extension.node"; \
    done

FROM citus/base:${BASE_TAG}
# A fixed uid, so volumes and orchestrators (runAsNonRoot) can rely on it.
RUN groupadd --gid 10001 citus \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin citus \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/citus
# Code stays owned by root: the platform's user can read it, not change it.
COPY --from=build /out /app
COPY docker/platform/healthcheck.mjs /usr/local/lib/citus/healthcheck.mjs
WORKDIR /app
# HOST 0.0.0.0: inside the container, loopback would reach nothing; compose only exposes 8080 on
# its own network, behind Kong.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    MQTT_HOST=0.0.0.0 \
    MQTT_TLS_PORT=8883 \
    CITUS_DATA_DIR=/var/lib/citus/data
# The volume is the data dir's parent, not the data dir: citus restore stages beside the data dir and
# renames it into place, which needs one writable file system and a data dir that is no mount point.
VOLUME ["/var/lib/citus"]
EXPOSE 8080 8883
USER 10001:10001
HEALTHCHECK --interval=10s --timeout=5s --start-period=90s --retries=3 \
  CMD ["node", "/usr/local/lib/citus/healthcheck.mjs"]
CMD ["node", "dist/main.js"]
