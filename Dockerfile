# The release image is built by `npm run image` (scripts/image.sh), from Debian and npm packages
# only and reproducibly, with no container engine. This Dockerfile is a convenience for people
# with Docker; it makes the same layout: /app holds the package as a Linux release tarball's
# teamtask/ folder (bin with teamtask-launch, dist, crds, manifests, the production node_modules) and Node 24 in
# /app/node/bin (on PATH, a real file: worker pods copy /app into images without Node), run as
# 65532:65532 with entrypoint /app/bin/kubectl-teamtask and command `controller`.
# Build: docker build -t ghcr.io/teamtask/teamtask:0.1.0 .
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would fetch a second Node; this image has one.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

# The worker pods' launcher (runtime/launcher): static, so it runs in any user image.
FROM golang:1.26 AS launcher
WORKDIR /src
COPY runtime/launcher ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -buildid=" -o /teamtask-launch .

FROM node:24-slim AS app
WORKDIR /app
COPY package.json package-lock.json README.md ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY crds ./crds
COPY manifests ./manifests
RUN mkdir -p node/bin && cp /usr/local/bin/node node/bin/node
COPY --from=launcher /teamtask-launch ./bin/teamtask-launch

# Node from npm needs glibc, libstdc++ and libgcc_s: debian:12-slim has them.
FROM debian:12-slim
RUN groupadd -g 65532 nonroot && useradd -u 65532 -g 65532 -m -d /home/nonroot -s /usr/sbin/nologin nonroot
COPY --from=app /app /app
ENV PATH=/app/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_ENV=production
WORKDIR /app
# The Deployment runs it as this non-root user with a read-only root filesystem.
USER 65532:65532
ENTRYPOINT ["/app/bin/kubectl-teamtask"]
CMD ["controller"]
