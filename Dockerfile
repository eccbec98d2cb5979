# splitplane control plane image. Build: docker build -t splitplane:0.1.0 .
# In a cluster: kubectl apply -k deploy/ runs it with --source kube (see README, "Running in a cluster").
# Locally, on the embedded example:
#   docker run -p 18000:18000 -p 127.0.0.1:19000:19000 splitplane:0.1.0 --admin-host 0.0.0.0
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
# Production dependencies only in what is shipped.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY deploy/examples ./deploy/examples
# The image's unprivileged `node` user, by number, so runAsNonRoot can check it (deploy/ runs uid 1000).
USER 1000:1000
EXPOSE 18000 19000
# node itself is PID 1 and stops cleanly on SIGTERM: no npm or shell in front of it.
ENTRYPOINT ["node", "dist/src/main.js"]
