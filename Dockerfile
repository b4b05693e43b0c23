# syntax=docker/dockerfile:1
# Tessera: a multi-stage image. Images cannot be built on the machines this
# project is developed and tested on, so every step below is the same command
# as the tested install (test/process/package-install.test.ts checks these
# lines): build, `npm pack`, then `npm install --omit=dev` of that tarball
# into an empty directory and `tessera serve` from it.

# Build: install everything, compile (prepare), pack the tarball people install.
FROM node:22-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund && npm pack --ignore-scripts && mv tessera-auth-server-*.tgz /tmp/tessera.tgz

# Run: the tarball installed with production dependencies only, as a non-root user.
FROM node:22-bookworm-slim
ENV NODE_ENV=production
WORKDIR /opt/tessera
COPY --from=build /tmp/tessera.tgz /tmp/tessera.tgz
RUN npm install --omit=dev --no-audit --no-fund /tmp/tessera.tgz && rm /tmp/tessera.tgz && npm cache clean --force
# The signing keys live on a volume: the only place the server writes, so the
# root filesystem can be mounted read-only (docker run --read-only).
RUN mkdir -p /var/lib/tessera/keys && chown -R node:node /var/lib/tessera
VOLUME ["/var/lib/tessera/keys"]
ENV HOST=0.0.0.0 \
    PORT=8080 \
    TESSERA_KEYS_DIR=/var/lib/tessera/keys \
    TESSERA_LOG_FORMAT=json
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains requests in flight (TESSERA_SHUTDOWN_TIMEOUT), then exits 0.
STOPSIGNAL SIGTERM
CMD ["/opt/tessera/node_modules/.bin/tessera", "serve"]
