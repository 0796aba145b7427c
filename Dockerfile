# syntax=docker/dockerfile:1
# valkey-sidecar image: built with Maven, run with the repository's own launcher (bin/valkey-sidecar).
# .ci/check-deploy.sh runs this file's mvn command and its COPY --from=build layout on a machine without
# Docker, so keep the build command on one RUN line and copy build outputs with "COPY --from=build /src/...".

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.m2 mvn -q -B -DskipTests package -pl proxy -am

FROM eclipse-temurin:17-jre
# curl for the HEALTHCHECK below (and docker-compose.yml's), which asks the sidecar's /health endpoint.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /opt/valkey-sidecar --shell /usr/sbin/nologin valkey-sidecar \
    && mkdir -p /var/lib/valkey-sidecar \
    && chown valkey-sidecar /var/lib/valkey-sidecar
WORKDIR /opt/valkey-sidecar
# The launcher finds the jar at ../proxy/target/valkey-sidecar.jar relative to itself, as in a checkout.
COPY --from=build /src/bin/valkey-sidecar bin/valkey-sidecar
COPY --from=build /src/proxy/target/valkey-sidecar.jar proxy/target/valkey-sidecar.jar

ENV VALKEY_SIDECAR_BIND=0.0.0.0 \
    VALKEY_SIDECAR_PORT=6380 \
    VALKEY_SIDECAR_METRICS_PORT=9464 \
    VALKEY_SIDECAR_DATA_DIR=/var/lib/valkey-sidecar
EXPOSE 6380 9464
USER valkey-sidecar
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=6 \
    CMD curl -fsS "http://127.0.0.1:${VALKEY_SIDECAR_METRICS_PORT}/health" || exit 1
ENTRYPOINT ["bin/valkey-sidecar"]
CMD ["serve"]
