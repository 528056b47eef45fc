"""JSON logs, one object a line, carrying the nameko call id stack.

The call id stack of the worker running in the current greenthread is kept in
a green-local by the metrics provider, so every log line of one request chain
can be found across services by its first call id.
"""
import json
import logging
import threading
import time

_current = threading.local()  # green-local once eventlet has patched threading


def set_call_ids(call_id_stack: list[str] | None) -> None:
    _current.call_id_stack = call_id_stack


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        stack = getattr(_current, "call_id_stack", None)
        if stack:
            entry["call_id_stack"] = stack
            entry["correlation_id"] = stack[0]
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def logging_config(level: str = "INFO") -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {"nameko": {"level": "WARNING"}, "kombu": {"level": "WARNING"}},
    }
