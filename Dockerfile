# Build stage: compile TypeScript and build the console with the dev dependencies. It needs the optional ones
# too: the console's bundler (Vite's rolldown and lightningcss) ships its native binding as optional packages.
# They, and the embedded PostgreSQL (in a container the database is always DATABASE_URL), stay out of the runtime stage.
FROM node:24-bookworm-slim AS build
WORKDIR /app
# The PKCS#11 binding (pkcs11js) is a native addon, built by npm ci with node-gyp: python3, make and g++.
RUN command -v g++ >/dev/null || (apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*)
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY console ./console
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --omit=optional

# Runtime stage: the compiled service and its production dependencies only, run as the unprivileged
# `node` user; the files belong to root, so the process cannot change its own code.
FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=3000 LOG_LEVEL=info
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Ready: the database answers and every migration is applied (see /health/live for liveness).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/src/main.js"]
