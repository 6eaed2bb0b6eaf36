# The image `weir install` names (ghcr.io/weir-dev/weir:VERSION): every component is a `weir` command of it
# (controller, control-plane, injector, and the injected proxy sidecar and weir-init container).
# Not built or run on the machine Weir is developed on (no container runtime there): see docs/kubernetes.md.

# build: compile TypeScript to dist/
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY cli/ cli/
COPY controlplane/ controlplane/
COPY engine/ engine/
COPY proxy/ proxy/
COPY rollouts/ rollouts/
COPY dashboard/ dashboard/
COPY samples/ samples/
COPY proto/ proto/
RUN npm run build

# run: production dependencies, the compiled code, and iptables for the weir-init container
FROM node:20-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends iptables \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY --from=build /app/dist/ dist/
COPY bin/ bin/
COPY proto/ proto/
COPY dashboard/static/ dashboard/static/
COPY samples/ samples/
RUN chmod +x bin/weir.js && ln -s /app/bin/weir.js /usr/local/bin/weir
# the proxy sidecar's uid (controlplane/injector/inject.ts); the init container runs as root by its own securityContext
RUN useradd --uid 2102 --no-create-home --shell /usr/sbin/nologin weir
USER 2102
ENTRYPOINT ["weir"]
