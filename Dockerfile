# splitplane control plane image. Build: docker build -t splitplane .
# Run in a cluster with --manifests pointing at a mounted folder, or locally:
#   docker run -p 18000:18000 -p 127.0.0.1:19000:19000 splitplane --admin-host 0.0.0.0
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY deploy ./deploy
USER node
EXPOSE 18000 19000
ENTRYPOINT ["node", "dist/src/main.js"]
