# Kneecoach in a container (README, "Self-hosting"): a slim Python base, two stages, a
# non-root user, the database in the /data volume, a HEALTHCHECK on /healthz.
#   docker build -t kneecoach .
#   docker run --env-file .env -v kneecoach-data:/data kneecoach

FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md /src/
COPY bot /src/bot
RUN /opt/venv/bin/pip install /src

FROM python:3.11-slim
# The code runs from /app (the content/ and dialogs/ folders sit beside bot/); the
# dependencies come from the build stage's virtual environment.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    KNEECOACH_DB=/data/kneecoach.db \
    KNEECOACH_LOG_FORMAT=json \
    KNEECOACH_METRICS_PORT=9464
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin kneecoach \
    && mkdir -p /data \
    && chown kneecoach:kneecoach /data \
    && chmod 0700 /data
COPY --from=build /opt/venv /opt/venv
COPY bot /app/bot
COPY content /app/content
COPY dialogs /app/dialogs
USER kneecoach
WORKDIR /data
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["kneecoach", "health"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["kneecoach"]
CMD ["run"]
