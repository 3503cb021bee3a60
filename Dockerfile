# proofpoint-devo-collector container: the same steps as the README (npm ci, npm run build).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY lib ./lib
COPY pipelines ./pipelines
RUN npx tsc -p tsconfig.json

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/lib ./dist/lib
COPY --from=build /app/dist/pipelines ./dist/pipelines
COPY config/config.example.yaml ./config/config.example.yaml
RUN mkdir -p /app/config /app/certs /app/state && chown node:node /app/state
# Non-root; config and certs are mounted read-only, the state directory read-write.
USER node
VOLUME ["/app/config", "/app/certs", "/app/state"]
# Exec form: node is the process that receives SIGTERM (it flushes, persists and exits 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/lib/cli/main.js"]
CMD ["run", "--config", "config/config.yaml"]
