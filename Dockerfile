FROM node:20-bookworm-slim
# pg_dump / pg_restore / psql for backups, proofs and the benchmark floor.
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-15 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production
EXPOSE 3000
ENTRYPOINT ["node", "bin/rookery.mjs"]
CMD ["start"]
