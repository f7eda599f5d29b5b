"""The feed's own guards, without a server: a frame handler that raises never ends the feed."""

from __future__ import annotations

import pytest

from pipelines.realtime.feed import Feed, FeedConfig
from pipelines.realtime.messages import Frame

pytestmark = pytest.mark.unit


def test_a_failing_frame_handler_is_counted_and_the_next_frame_still_handled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handled: list[Frame] = []

    def handler(frame: Frame) -> None:
        if frame.malformed:
            raise ValueError("a bug in the handler")
        handled.append(frame)

    feed = Feed(FeedConfig(url="ws://127.0.0.1:9", api_key="k"), handler)
    with caplog.at_level("ERROR", logger="pipelines.realtime.feed"):
        for frame in (Frame(malformed=1), Frame(malformed=1), Frame(unknown=1)):
            feed._deliver(frame)
    assert feed.counters.handler_errors == 2
    assert handled == [Frame(unknown=1)]
    assert len(caplog.records) == 1  # logged once per interval, not per frame
