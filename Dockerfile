# Browser libraries (Chart.js) from the npm lock file; only node_modules reaches the app image.
FROM node:22-slim AS js
WORKDIR /js
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=js /js/node_modules ./node_modules
RUN TIGERMCP_DATA_DIR=/tmp/build python manage.py collectstatic --noinput
# The audit checkpoint's folder (a volume shared by every app container in docker-compose.yml).
RUN mkdir -p /var/lib/tigermcp/audit && chown nobody /var/lib/tigermcp/audit
USER nobody
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "tigermcp.asgi:application"]
