"""Structured logs: one JSON object per line (or readable text), with the event's journey on every line.

Every line a worker writes while it runs a task carries the task name and id and the
`event_id`, `product_id` and `locale` it works on, so one `jq 'select(.event_id == …)'`
(or a log search) follows an event from the webhook through every stage. The fields
live in a context variable that the task hooks and the `stage` decorator set; a
`logging.Filter` copies them onto each record. Secrets never reach the output: URL
passwords and the configured secret values are masked in every line.
"""

from __future__ import annotations

import ast
import contextlib
import contextvars
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

from pythonjsonlogger.json import JsonFormatter as _LibJsonFormatter

LogFormat = Literal["json", "text"]

#: The journey fields, in the order text lines show them.
CONTEXT_FIELDS: tuple[str, ...] = ("task_name", "task_id", "event_id", "product_id", "locale")

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("descflow_log_context", default={})  # noqa: B039

# scheme://user:password@host → scheme://user:***@host (also scheme://:password@host)
_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/@\s\"']*:)(?P<pw>[^@\s/\"']+)(?P<tail>@)")
MASK = "***"


def current() -> dict[str, str]:
    """The journey fields bound in this context (a copy)."""
    return dict(_context.get())


@contextlib.contextmanager
def bind(**fields: str | None) -> Iterator[dict[str, str]]:
    """Add journey fields for the duration of a block; empty values leave the outer ones in place."""
    merged = {**_context.get(), **{k: str(v) for k, v in fields.items() if v}}
    token = _context.set(merged)
    try:
        yield merged
    finally:
        _context.reset(token)


def set_context(**fields: str | None) -> contextvars.Token[dict[str, str]]:
    """Bind fields until `reset_context(token)`: for hooks that start and end in different functions."""
    return _context.set({**_context.get(), **{k: str(v) for k, v in fields.items() if v}})


def reset_context(token: contextvars.Token[dict[str, str]] | None = None) -> None:
    if token is None:
        _context.set({})
    else:
        try:
            _context.reset(token)
        except ValueError:  # set in another context (a hook ran elsewhere): start clean
            _context.set({})


def mask_secrets(text: str, secrets: Iterable[str] = ()) -> str:
    """Hide URL passwords and the given secret values."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)
    for secret in secrets:
        if secret and len(secret) >= 4:  # a one-letter "secret" would mask half the line
            text = text.replace(secret, MASK)
            escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
            if escaped != secret:
                text = text.replace(escaped, MASK)
    return text


def _from_celery_args(args: Any) -> dict[str, str]:
    """Task name, id and event from the argument dict of Celery's own task lines ("received", …).

    Those lines are written by the worker's main process, outside any task, so no
    context is bound; their arguments carry what is needed.
    """
    if not isinstance(args, Mapping) or "id" not in args or "name" not in args:
        return {}
    found = {"task_name": str(args["name"]), "task_id": str(args["id"])}
    raw = args.get("args")
    if isinstance(raw, str) and str(args["name"]).startswith("descflow."):
        try:
            values = ast.literal_eval(raw)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            values = ()
        if isinstance(values, (list, tuple)):
            if values and isinstance(values[0], str):
                found["event_id"] = values[0]
            if len(values) > 1 and isinstance(values[1], str):
                found["locale"] = values[1]
    return found


class ContextFilter(logging.Filter):
    """Copy the journey fields onto every record (empty strings when unknown, so formats never fail)."""

    def filter(self, record: logging.LogRecord) -> bool:
        fields = _context.get() or _from_celery_args(record.args)
        for name in CONTEXT_FIELDS:
            if not getattr(record, name, ""):
                setattr(record, name, fields.get(name, ""))
        return True


class JsonFormatter(_LibJsonFormatter):
    """python-json-logger's formatter with descflow's field names, UTC timestamps and masking."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__(
            ["levelname", "name", "message", *CONTEXT_FIELDS, "process"],
            rename_fields={"levelname": "level", "name": "logger", "process": "pid", "exc_info": "exception"},
            timestamp=True, json_ensure_ascii=False,
        )
        self.secrets = tuple(s for s in secrets if s)

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        super().add_fields(log_data, record, message_dict)
        # Celery attaches its whole context dict as `data`; the message already says it.
        log_data.pop("data", None)
        for name in CONTEXT_FIELDS:  # leave out unknown journey fields instead of writing ""
            if not log_data.get(name):
                log_data.pop(name, None)
        stamp = log_data.pop("timestamp").isoformat(timespec="milliseconds").replace("+00:00", "Z")
        rest = dict(log_data)  # timestamp first: easier to read and to sort
        log_data.clear()
        log_data.update({"timestamp": stamp, **rest})

    def serialize_log_record(self, log_data: dict[str, Any]) -> str:
        return mask_secrets(super().serialize_log_record(log_data), self.secrets)


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, the journey fields that are known, message."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s%(journey)s %(message)s")
        self.secrets = tuple(s for s in secrets if s)

    def format(self, record: logging.LogRecord) -> str:
        parts = [f"{n.removesuffix('_id') if n != 'task_id' else 'id'}={getattr(record, n)}"
                 for n in CONTEXT_FIELDS[1:] if getattr(record, n, "")]
        task = getattr(record, "task_name", "")
        record.journey = f" [{' '.join(([task] if task else []) + parts)}]" if task or parts else ""
        return mask_secrets(super().format(record), self.secrets)


def formatter(fmt: LogFormat, secrets: Iterable[str] = ()) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(secrets)
    if fmt == "text":
        return TextFormatter(secrets)
    raise ValueError(f"log format {fmt!r}: choose json or text (DESCFLOW_LOG_FORMAT)")


def configure(fmt: LogFormat, level: str | int = "INFO", secrets: Iterable[str] = (),
              stream: Any = None) -> logging.Handler:
    """Send every logger (Celery's, the libraries', descflow's) through one handler on stderr.

    Replaces the root logger's handlers, so calling it twice (a prefork child sets
    logging up again after fork) leaves one handler, not two.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt, secrets))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    for name in ("celery", "celery.task", "celery.redirected"):
        lg = logging.getLogger(name)
        lg.handlers = []
        lg.propagate = True
    # The pool's own logger ("Process … exited with signal 9") does not propagate (billiard
    # turns that off); without a handler of its own it would print raw text.
    pool_logger = logging.getLogger("multiprocessing")
    pool_logger.handlers = [handler]
    pool_logger.propagate = False
    if pool_logger.level == logging.NOTSET:
        pool_logger.setLevel(logging.ERROR)  # as Celery has it: its debug chatter is noise
    logging.captureWarnings(True)
    return handler
