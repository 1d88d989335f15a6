# TrackerBox container image: the web server, the scheduler and the TLS proxy in one image,
# chosen by the entry point's first argument (web, scheduler, proxy, self-check).
# docker/compose.yaml runs the three parts; README.md, "Running in containers", says how.
ARG BASE_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${BASE_IMAGE} AS builder
# For builds behind a proxy with its own CA or a local package index.
ARG PIP_CERT=""
ARG PIP_INDEX_URL=""
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN [ -n "$PIP_CERT" ] || unset PIP_CERT; [ -n "$PIP_INDEX_URL" ] || unset PIP_INDEX_URL; \
    python3 -m venv /opt/trackerbox/venv \
 && /opt/trackerbox/venv/bin/pip install --no-cache-dir --disable-pip-version-check --quiet /src

FROM ${BASE_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 nginx-light ca-certificates \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --user-group --uid 10001 --home-dir /var/lib/trackerbox --shell /usr/sbin/nologin trackerbox \
 && install -d -m 0700 -o trackerbox -g trackerbox /var/lib/trackerbox /var/backups/trackerbox /etc/trackerbox/tls
COPY --from=builder /opt/trackerbox/venv /opt/trackerbox/venv
COPY docker/entrypoint.sh /usr/local/bin/trackerbox-entrypoint

ENV PATH=/opt/trackerbox/venv/bin:$PATH \
    TRACKERBOX_DATA_DIR=/var/lib/trackerbox \
    TRACKERBOX_TLS_DIR=/etc/trackerbox/tls \
    PYTHONUNBUFFERED=1
VOLUME ["/var/lib/trackerbox", "/var/backups/trackerbox", "/etc/trackerbox/tls"]
USER trackerbox
WORKDIR /var/lib/trackerbox
EXPOSE 8000 80 443
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["trackerbox-entrypoint", "healthcheck"]
ENTRYPOINT ["trackerbox-entrypoint"]
CMD ["web"]
