# Self-hosting: docker build -t arxiv-feeds . && docker run -p 8000:8000 -v feeds:/data arxiv-feeds
FROM python:3.12-slim
WORKDIR /srv
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    ARXIV_FEEDS_SQLITE_PATH=/data/arxiv-feeds.sqlite3
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app ./app
COPY api ./api
RUN useradd --create-home feeds && mkdir -p /data && chown feeds /data
USER feeds
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=60s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers"]
