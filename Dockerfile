# The Teamtask image, on Node 24: the CLI, whose `controller` command (the default) and worker
# runtime are being built; until they exist this image only packages what is here. Not yet
# built in CI (no container engine on the project's machines).
# Build: docker build -t teamtask/teamtask:0.1.0 .
FROM node:24-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: the `node` devDependency would fetch a second Node; this image has one.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY crds ./crds
COPY manifests ./manifests
# The Deployment runs it as this non-root user with a read-only root filesystem.
USER 65532:65532
ENTRYPOINT ["/app/bin/kubectl-teamtask"]
CMD ["controller"]
