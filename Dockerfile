# mAI's Open WebUI image: the upstream Open WebUI image with mai-entrypoint as PID 1 (docs/container.md).
#
#   docker build -t mai-open-webui .            compile mai-entrypoint in the build stage (Swift image)
#   docker build -t mai-open-webui \
#     --build-arg MAI_ENTRYPOINT_BINARY=.build-release/x86_64-unknown-linux-gnu/release/mai-entrypoint .
#                                                use a binary compiled on the host (static Swift stdlib)
#
# OPENWEBUI_IMAGE and SWIFT_IMAGE name the two base images. OPENWEBUI_IMAGE defaults to the Open WebUI release
# that CI tests (0.12.4); CI builds both from local copies (no registry is reachable there).
ARG OPENWEBUI_IMAGE=ghcr.io/open-webui/open-webui:v0.12.4
ARG SWIFT_IMAGE=swift:6.3.1-bookworm

# Build stage: the binary, stripped, at /out/mai-entrypoint. Either compiled here by scripts/build-release (the
# Swift stdlib linked statically, so the final image needs no Swift runtime) or, with MAI_ENTRYPOINT_BINARY, taken from the build
# context (this stage's image then needs only strip, from binutils).
FROM ${SWIFT_IMAGE} AS build
ARG MAI_ENTRYPOINT_BINARY=""
WORKDIR /src
COPY . .
# Package versions are not pinned: they follow the Swift image's Debian release (bookworm).
# hadolint ignore=DL3008
RUN set -eu; \
    if [ -n "$MAI_ENTRYPOINT_BINARY" ]; then \
      mkdir -p /out && strip -o /out/mai-entrypoint "$MAI_ENTRYPOINT_BINARY" && chmod 0755 /out/mai-entrypoint; \
    else \
      apt-get update; \
      apt-get install -y --no-install-recommends libsqlite3-dev libpq-dev; \
      rm -rf /var/lib/apt/lists/*; \
      scripts/build-release; \
      mkdir -p /out && strip -o /out/mai-entrypoint .build/release/mai-entrypoint; \
    fi

# Final stage: upstream Open WebUI (WORKDIR /app/backend, start.sh execs uvicorn on $PORT), plus the library
# the binary may load that the image lacks, libpq5 (libsqlite3-0 is already there for Python), and the sqlite3
# command, so that `docker exec … sqlite3 /app/backend/data/webui.db "SELECT …"` works.
FROM ${OPENWEBUI_IMAGE}
# They follow the base image's Debian release; pinning a version would break on every upstream rebuild.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 sqlite3 \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/mai-entrypoint /usr/local/bin/mai-entrypoint
# Fails the build when a library the binary needs is missing.
RUN mai-entrypoint --version

# Replaces upstream's curl | jq check: GET http://127.0.0.1:${PORT:-8080}/health must answer 200 {"status": true}.
# The start period covers a slow first start (migrations); it matches mai-entrypoint's --ready-timeout (300 s).
HEALTHCHECK --interval=15s --timeout=10s --start-period=300s --retries=3 CMD ["mai-entrypoint", "healthcheck"]
# mai-entrypoint forwards TERM to uvicorn and waits up to 8 s (MAI_ENTRYPOINT_STOP_TIMEOUT), plus up to 20 s
# (MAI_ENTRYPOINT_STARTUP_GRACE) when the server is still starting: stop with a longer timeout than Docker's
# 10 s default (docker stop -t 40, docker run --stop-timeout 40, compose stop_grace_period: 40s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["mai-entrypoint", "--"]
CMD ["bash", "start.sh"]
