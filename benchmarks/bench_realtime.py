"""Realtime ingest on this machine: simulator → worker → Redis, against redis-benchmark's
ceiling.

Figures (BENCH_REALTIME_SECONDS sets the ingest duration, default 60 s):
- sustained ingest at a 20,000 messages/s target (each message = 6 samples) with the
  simulator, worker and Redis all on this box; dropped and lost events;
- the `redis-benchmark` ceiling for TS.MADD of 6 samples (on series with the same
  compaction rules), pipelined, on the same server; the ratio of the two;
- p99 delay from an event's end time to its value being readable (heard on the
  all-symbols channel, which the worker publishes after the samples are written) at
  5,000 messages/s.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import cast

import orjson
import redis

from pipelines.realtime import keys
from pipelines.services import free_loopback_port, start_redis
from pipelines.services.install import redis_environment, redis_stack_paths

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 20_000
# The simulator offers 10% more than the target: its pacing is not exact, and a worker
# that only matches the offered rate shows nothing about headroom.
OFFERED_RATE = int(os.environ.get("BENCH_REALTIME_RATE", TARGET_RATE * 11 // 10))
LATENCY_RATE = 5_000
TICKERS = int(os.environ.get("BENCH_REALTIME_TICKERS", "2000"))
WARMUP_S = 5.0
CATCH_UP_TIMEOUT_S = 60.0  # the first flush creates every symbol's 13 series: wait it out


def _load_average() -> str:
    """The 1-minute load average: the box is shared, so figures mean little without it."""
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"


def _wait_caught_up(client: redis.Redis, rate: int) -> float:
    """Wait until the worker's queue holds under a quarter second of events; return seconds
    waited."""
    started = time.monotonic()
    while time.monotonic() - started < CATCH_UP_TIMEOUT_S:
        counters = _counters(client)
        if counters.get("written", 0) > 0 and counters.get("queued", rate) < rate / 4:
            break
        time.sleep(0.5)
    return time.monotonic() - started


def _duration() -> float:
    return float(os.environ.get("BENCH_REALTIME_SECONDS", "60"))


def _start_stream(
    redis_url: str, rate: int, workdir: Path
) -> tuple[subprocess.Popen, subprocess.Popen]:
    port = free_loopback_port()
    env = dict(os.environ, LAKE_URI=str(workdir / "no-lake"), REDIS_URL=redis_url)
    env.pop("FEED_URL", None)
    cli = [sys.executable, "-m", "pipelines.cli", "realtime"]
    simulator = subprocess.Popen(
        [
            *cli,
            "simulate",
            "--port",
            str(port),
            "--rate",
            str(rate),
            "--tickers",
            str(TICKERS),
            "--frame-events",
            "1000",
        ],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=(workdir / f"sim-{rate}.log").open("wb"),
    )
    time.sleep(1.5)
    worker = subprocess.Popen(
        [*cli, "worker", "--feed-url", f"ws://127.0.0.1:{port}"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(workdir / f"worker-{rate}.log").open("wb"),
    )
    return simulator, worker


def _stop_stream(simulator: subprocess.Popen, worker: subprocess.Popen) -> int:
    """Stop the simulator first (so nothing is in flight), then the worker; return events sent."""
    simulator.send_signal(signal.SIGTERM)
    out, _ = simulator.communicate(timeout=60)
    time.sleep(2.0)  # let the worker drain its socket and queue
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=120)
    match = re.search(rb"events_sent=(\d+)", out or b"")
    return int(match.group(1)) if match else -1


def _counters(client: redis.Redis) -> dict[str, int]:
    # Every client passed here decodes replies (decode_responses=True): keys and values are str.
    raw = cast(dict[str, str], client.hgetall(keys.WORKER_STATS_KEY))
    return {k: int(v) for k, v in raw.items() if v.lstrip("-").isdigit()}


def ingest(redis_url: str, workdir: Path) -> tuple[list[str], float]:
    """Sustained ingest at the target rate for the configured duration."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    simulator, worker = _start_stream(redis_url, OFFERED_RATE, workdir)
    try:
        time.sleep(WARMUP_S)
        waited = _wait_caught_up(client, OFFERED_RATE)
        before, t0 = _counters(client), time.monotonic()
        load_before = _load_average()
        time.sleep(_duration())
        after, t1 = _counters(client), time.monotonic()
        load_after = _load_average()
    finally:
        sent = _stop_stream(simulator, worker)
    final = _counters(client)
    client.close()
    achieved = (after.get("written", 0) - before.get("written", 0)) / (t1 - t0)
    received = (after.get("received", 0) - before.get("received", 0)) / (t1 - t0)
    growth = after.get("queued", 0) - before.get("queued", 0)
    # Sustained = started caught up, kept the target, the queue did not grow, nothing dropped
    # (draining a backlog faster than the target shows capacity, not a sustained stream).
    caught_up = before.get("queued", 0) < OFFERED_RATE / 4
    sustained = (
        caught_up
        and achieved >= TARGET_RATE
        and growth < OFFERED_RATE / 2
        and final.get("dropped", 0) == 0
    )
    return [
        f"realtime ingest: target {TARGET_RATE:,} msgs/s × 6 samples "
        f"(simulator offers {OFFERED_RATE:,}), "
        f"{TICKERS:,} tickers, {t1 - t0:.0f} s "
        f"(after {WARMUP_S:.0f} s warm-up + {waited:.0f} s catching up); "
        f"{load_before} → {load_after}",
        f"  written {achieved:,.0f} msgs/s ({achieved * 6:,.0f} samples/s); "
        f"received {received:,.0f} msgs/s; "
        f"queue {before.get('queued', 0):,} → {after.get('queued', 0):,}; "
        f"sustained: {'yes' if sustained else 'NO'}",
        f"  simulator sent {sent:,}; worker received {final.get('received', 0):,}, "
        f"written {final.get('written', 0):,}, dropped {final.get('dropped', 0):,}, "
        f"queued at end {final.get('queued', 0):,}",
    ], achieved


def ceiling(redis_url: str, port: int) -> tuple[list[str], float]:
    """redis-benchmark: TS.MADD of 6 samples per command, pipelined 16, on series with
    compaction rules."""
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    names = []
    for i, (field, aggregation) in enumerate(keys.COMPACTIONS.items()):
        raw, minute = f"bench:{{X}}:{field}", f"bench:{{X}}:{field}:1m"
        client.execute_command("TS.CREATE", raw, "DUPLICATE_POLICY", "LAST")
        client.execute_command("TS.CREATE", minute, "DUPLICATE_POLICY", "LAST")
        client.execute_command("TS.CREATERULE", raw, minute, "AGGREGATION", aggregation, 60_000)
        names += [raw, "*", str(i + 1)]
    client.close()
    command = [
        str(redis_stack_paths().benchmark),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-n",
        "400000",
        "-P",
        "16",
        "-c",
        "4",
        "-q",
        "TS.MADD",
        *names,
    ]
    output = subprocess.run(
        command, env=redis_environment(), capture_output=True, text=True, check=True
    ).stdout
    matches = re.findall(r"([\d.]+) requests per second", output)
    rps = float(matches[-1]) if matches else float("nan")
    return [f"  redis-benchmark TS.MADD ×6 samples (-P 16 -c 4): {rps:,.0f} commands/s"], rps


def latency(redis_url: str, workdir: Path) -> list[str]:
    """p99 end-time → readable delay at 5,000 msgs/s, heard on the all-symbols channel."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    delays: list[float] = []
    stop = threading.Event()
    pubsub = client.pubsub()
    pubsub.subscribe(keys.ALL_BARS_CHANNEL)
    measuring = threading.Event()

    def listen() -> None:
        while not stop.is_set():
            message = pubsub.get_message(timeout=0.2)
            if message is None or message["type"] not in ("message", b"message"):
                continue
            now_ms = time.time() * 1000
            if measuring.is_set():
                delays.extend(now_ms - bar["e"] for bar in orjson.loads(message["data"]))

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    simulator, worker = _start_stream(redis_url, LATENCY_RATE, workdir)
    try:
        time.sleep(WARMUP_S)
        _wait_caught_up(client, LATENCY_RATE)
        load = _load_average()
        measuring.set()
        time.sleep(max(10.0, _duration() / 4))
        measuring.clear()
    finally:
        stop.set()
        listener.join(timeout=5)
        _stop_stream(simulator, worker)
        pubsub.close()
        client.close()
    if not delays:
        return ["  latency: no bars heard"]
    ordered = sorted(delays)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return [
        f"realtime latency at {LATENCY_RATE:,} msgs/s (event end → published after write), "
        f"{len(ordered):,} bars: median {statistics.median(ordered):.0f} ms, "
        f"p99 {p99:.0f} ms (target ≤ 250 ms); {load}"
    ]


def run() -> list[str]:
    """Measure sustained ingest, the redis-benchmark ceiling and p99 latency; return the lines."""
    with tempfile.TemporaryDirectory(prefix="bench-realtime-") as tmp:
        workdir = Path(tmp)
        port = free_loopback_port()
        server = start_redis(workdir / "redis", port=port)
        try:
            lines, achieved = ingest(server.url, workdir)
            ceiling_lines, rps = ceiling(server.url, port)
            lines += ceiling_lines
            lines.append(
                f"  ingest / ceiling: {achieved / rps:.2f} (messages/s over TS.MADD commands/s)"
            )
            lines += latency(server.url, workdir)
        finally:
            server.stop()
    return lines


if __name__ == "__main__":
    for line in run():
        print(line)
