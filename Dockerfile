# The pool manager itself (`poolctl serve`: API, dashboard and reconcile loop).
# agent/Dockerfile is a different image: the agent instances the pool creates.
#
#   docker build -t agent-pool .
#   docker run -p 3001:3001 -e DATABASE_URL=... -e RAILWAY_PROJECT_TOKEN=... -e POOL_API_KEY=... -e POOL_INSTANCE_SECRET=... agent-pool
#
# scripts/check-dockerfile checks this file without Docker (sources exist, non-root user,
# resource bundles).

# ---- build: a release binary with the Swift runtime linked in ----------------------------
# The same toolchain as .github/workflows/pool-plan.yml.
FROM swift:6.1-jammy AS build
WORKDIR /src
# Tests/ only because SwiftPM checks every target of Package.swift exists; nothing there is built.
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
# The binary finds its SwiftPM resource bundles (agent-pool_Store.resources with the SQL
# migrations, agent-pool_Railway.resources with the GraphQL documents, ...) next to itself,
# so every bundle of the build is staged beside it.
RUN swift build -c release --product poolctl --static-swift-stdlib \
 && bin="$(swift build -c release --show-bin-path)" \
 && mkdir /staging \
 && cp "$bin/poolctl" /staging/ \
 && cp -R "$bin"/*.resources /staging/

# ---- runtime: the binary, its bundles and pool.yaml on a slim Ubuntu ---------------------
FROM ubuntu:jammy
# With the Swift runtime linked in, the binary needs only libc, libstdc++ and libgcc (all in
# the base image); ca-certificates for TLS to Railway and Postgres, tzdata for time zones.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
# A fixed numeric id, so platforms that require a non-root user can verify it.
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin pool
WORKDIR /app
COPY --from=build /staging/ /app/
COPY pool.yaml /app/pool.yaml
# The SQLite fallback (no DATABASE_URL) needs a writable place; production uses Postgres.
RUN mkdir /app/data && chown pool:pool /app/data
ENV PATH="/app:${PATH}" \
    POOL_SQLITE_PATH=/app/data/pool.sqlite \
    PORT=3001
USER 10001:10001
EXPOSE 3001
ENTRYPOINT ["poolctl"]
CMD ["serve", "--spec", "/app/pool.yaml", "--env", "production"]
