# AiKv image: build the native addon and a single executable, run it on a slim Debian as an
# unprivileged user with a data volume.
#
#   docker build -t aikv .
#   docker run -p 6379:6379 -v aikv-data:/data aikv
#   docker run -p 6379:6379 -v aikv-data:/data aikv --engine lsm --appendfsync everysec

# ---- build: Rust (addon) + Node (node-gyp for zstd-napi) + Bun (bundle/compile) ----
FROM rust:1-slim-bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates xz-utils python3 make g++ libzstd-dev \
 && rm -rf /var/lib/apt/lists/*
# Node.js 20 (for npm and node-gyp) from the official tarball, then Bun from npm.
ARG NODE_VERSION=20.18.1
RUN curl -fsSL "https://nodejs.org/dist/v${NODE_VERSION}/node-v${NODE_VERSION}-linux-x64.tar.xz" \
      | tar -xJ -C /usr/local --strip-components=1 \
 && npm i -g bun@1.4.4
WORKDIR /src
COPY package.json bun.lock .env ./
COPY native ./native
# node-gyp finds the Node headers of the installed Node.js here
ENV npm_config_nodedir=/usr/local
RUN bun install --frozen-lockfile
COPY . .
RUN bun run build:native && bun run compile && ./dist/aikv --version

# ---- runtime ----
FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends libzstd1 redis-tools \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system aikv && useradd --system --gid aikv --home-dir /data aikv \
 && mkdir -p /data && chown aikv:aikv /data
COPY --from=build /src/dist/aikv /usr/local/bin/aikv
USER aikv
WORKDIR /data
VOLUME ["/data"]
EXPOSE 6379 16379
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
  CMD redis-cli -p 6379 ping | grep -q PONG || exit 1
ENTRYPOINT ["/usr/local/bin/aikv", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
CMD []
