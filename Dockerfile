# syntax=docker/dockerfile:1
# One image for both commands: `coord` (the dashboard, or submit/status from a container) and
# `agent`. docker-compose.yml runs it; by hand:
#
#   docker build -t sweep-runner .
#   docker run --rm sweep-runner coord --help
#   docker run --rm --gpus all -v "$PWD:/work" -e REDIS_URL -e RUNNER_SECRET \
#     sweep-runner agent --gpus auto --workdir /work
#
# build:    every dependency, tsc, the bundle of coord, then scripts/pack.mjs: the tarball `npm run pack` makes,
#           with exactly the locked production dependencies bundled
# runtime:  node:20-bookworm-slim with python3 (for the spawner), bash and tini; the tarball
#           installed globally (no dev dependencies, no registry access); user "node" (uid 1000)

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# The dependencies first, so that changing a source file reuses this layer.
COPY package.json package-lock.json ./
COPY packages/shared/package.json packages/shared/
COPY packages/coordinator/package.json packages/coordinator/
COPY packages/agent/package.json packages/agent/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json ./
COPY packages packages
COPY scripts scripts
COPY README.md ./
COPY docs docs
COPY examples examples
RUN npx tsc -b packages/coordinator packages/agent \
 && node scripts/bundle-coord.mjs \
 && node scripts/pack.mjs --no-build --out /out \
 && mv /out/sweep-runner-*.tgz /out/sweep-runner.tgz

FROM ${NODE_IMAGE} AS runtime
# spawner.py imports json, and ctypes for its zygote, which python3-minimal lacks:
# libpython3-stdlib brings them.
# tini as PID 1 reaps orphaned processes and passes SIGTERM to the agent alone, so
# `docker stop` drains it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-minimal libpython3-stdlib bash tini \
 && rm -rf /var/lib/apt/lists/*
# Mounted, not copied: the tarball does not stay in a layer.
RUN --mount=type=bind,from=build,source=/out,target=/tmp/package \
    npm install --global --offline --no-audit --no-fund /tmp/package/sweep-runner.tgz \
 && npm cache clean --force
ENV NODE_ENV=production
# The agent's work directory (mount your project here); commands run in it.
WORKDIR /work
RUN chown node:node /work
USER node
ENTRYPOINT ["tini", "--"]
CMD ["coord", "--help"]
