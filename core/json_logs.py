"""JSON log lines (TIGERMCP_LOG_FORMAT=json): one object per line with timestamp, level, logger,
message and request_id, plus any `extra=` fields; python-json-logger does the formatting.

The redacting filter scrubs the message and traceback before any formatter runs; fields passed with
`extra=` do not go through it, so the whole object is redacted once more here (by key name and by
the secret shapes and values core.redaction knows) before it is written."""

from __future__ import annotations

from pythonjsonlogger.json import JsonFormatter

from core.redaction import redact

FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"


class RedactedJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        super().__init__(FIELDS, *args, **kwargs)

    def process_log_record(self, log_data):
        return redact(super().process_log_record(log_data))
