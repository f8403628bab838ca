# Build stage: every dependency, `npm ci` bundles src/ into dist/ (the prepare script), then the
# development dependencies are dropped so only what runs is copied on.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node, the Postgres client tools, the compiled code and the production dependencies;
# no compiler, no sources, no tsx. Runs as the image's unprivileged `node` user.
FROM node:20-bookworm-slim
# pg_dump / pg_restore / psql for backups, proofs and the benchmark floor.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY rookery.config.example.yml manifest.yml ./
# Mount the team's migrations here (docker-compose does); backups are written to /app/backups.
COPY migrations ./migrations
RUN mkdir -p /app/backups && chown node:node /app/backups
USER node
EXPOSE 3000
ENTRYPOINT ["node", "bin/rookery.mjs"]
CMD ["start"]
