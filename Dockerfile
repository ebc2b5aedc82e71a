# The immich-smart-albums image: one binary on a slim Debian, run as a non-root user, with the config
# (profiles, job files, filters) in /config and the local record in /state. docs/container.md shows
# it beside Immich in docker compose.
#
#   docker build -t immich-smart-albums .
#
# Build arguments:
#   RUST_IMAGE     the builder stage's base (a Rust toolchain on Debian)
#   RUNTIME_IMAGE  the runtime's base; ca-certificates and tzdata are installed unless it has them
#   BINARY         `build` (default) compiles the binary in the builder stage; `prebuilt` takes
#                  dist/immich-smart-albums from the build context instead (for hosts where no Rust
#                  image can be pulled: build it with the host's cargo, for the runtime's glibc)
#   UID, GID       the user the tool runs as (10001); a key file must be readable by it
ARG RUST_IMAGE=docker.io/library/rust:1-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim
ARG BINARY=build

FROM ${RUST_IMAGE} AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin immich-smart-albums \
 && install -D -m 0755 target/release/immich-smart-albums /out/immich-smart-albums

FROM scratch AS prebuilt
COPY dist/immich-smart-albums /out/immich-smart-albums

FROM ${BINARY} AS binary

FROM ${RUNTIME_IMAGE}
ARG UID=10001
ARG GID=10001
RUN set -eu; \
    if [ ! -s /etc/ssl/certs/ca-certificates.crt ] || [ ! -d /usr/share/zoneinfo ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ca-certificates tzdata; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    groupadd --gid "$GID" smart-albums; \
    useradd --uid "$UID" --gid "$GID" --home-dir /state --no-create-home --shell /usr/sbin/nologin smart-albums; \
    mkdir -p /config /state; \
    chown "$UID:$GID" /config /state
COPY --from=binary /out/immich-smart-albums /usr/local/bin/immich-smart-albums
ENV IMMICH_SMART_ALBUMS_CONFIG_DIR=/config \
    IMMICH_SMART_ALBUMS_STATE_DIR=/state \
    HOME=/state
VOLUME ["/config", "/state"]
WORKDIR /config
USER ${UID}:${GID}
# Healthy while the record's last run ended with exit status 0, no longer ago than twice the
# schedule's interval (26 h for a run without one): `docker compose ps` says healthy or unhealthy,
# `docker inspect` the line that says why. It reads /state (IMMICH_SMART_ALBUMS_STATE_DIR) as the sync
# writes it. The first run starts with the container; the start period gives it time on a big
# library. Podman keeps a HEALTHCHECK only in the docker image format (`podman build --format docker`).
HEALTHCHECK --interval=5m --timeout=30s --start-period=1h --retries=3 \
    CMD ["immich-smart-albums", "state", "health"]
ENTRYPOINT ["immich-smart-albums"]
CMD ["--help"]
