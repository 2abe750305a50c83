# kgcrm's own image, for docker-compose.yml. The base install plus embeddings.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml setup.py README.md ./
COPY kgcrm ./kgcrm
COPY crm ./crm
COPY graph ./graph
COPY sync ./sync
COPY retrieval ./retrieval
COPY api ./api
COPY cypher ./cypher
COPY ingest ./ingest
COPY eval ./eval
RUN pip install --no-cache-dir '.[embeddings]'
RUN useradd --create-home kgcrm
USER kgcrm
ENTRYPOINT ["kgcrm"]
