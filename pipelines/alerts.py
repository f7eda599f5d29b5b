"""Failure alerts for the DAGs: log the failure and, when ALERT_WEBHOOK_URL is set, POST
a JSON message to it (Slack/Teams-style incoming webhooks accept a `text` field)."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from lake.settings import get_settings

log = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_S = 10.0


def failure_message(context: dict[str, Any]) -> dict[str, Any]:
    """Return the alert for a failed task from its Airflow context: dag_id, task_id,
    run_id, logical_date (ISO), try_number, error, and a one-line `text`."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None)
    task_id = getattr(ti, "task_id", None)
    run_id = getattr(ti, "run_id", None) or context.get("run_id")
    error = context.get("exception")
    logical_date = context.get("logical_date")
    text = f"Tickerlake: {dag_id}.{task_id} failed in run {run_id}: {error}"
    return {
        "text": text,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "logical_date": logical_date.isoformat() if logical_date is not None else None,
        "try_number": getattr(ti, "try_number", None),
        "error": str(error) if error is not None else None,
    }


@retry(
    retry=retry_if_exception_type(httpx.TransportError),
    stop=stop_after_attempt(3),
    wait=wait_exponential(multiplier=0.5, max=4),
    reraise=True,
)
def post_alert(url: str, message: dict[str, Any]) -> None:
    """POST `message` as JSON to `url`; retries transport errors, raises on a 4xx/5xx."""
    response = httpx.post(
        url,
        content=orjson.dumps(message),
        headers={"Content-Type": "application/json"},
        timeout=WEBHOOK_TIMEOUT_S,
    )
    response.raise_for_status()


def task_failure_alert(context: dict[str, Any]) -> None:
    """Airflow `on_failure_callback`: log the failure, then post it to the webhook.

    A webhook that cannot be reached is logged, never raised: the alert must not hide
    the task's own failure. The URL is a secret (it carries a token) and is not logged.
    """
    message = failure_message(context)
    log.error("%s", message["text"])
    webhook = get_settings().alert_webhook_url
    if webhook is None:
        return
    try:
        post_alert(webhook.get_secret_value(), message)
    except httpx.HTTPError as exc:
        log.error("could not post the failure alert to ALERT_WEBHOOK_URL: %s", type(exc).__name__)
