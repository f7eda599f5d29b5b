"""Redis with the TimeSeries module, run on this machine or named by `REDIS_URL`.

Modules: `install` (Redis Stack from PyPI, libssl1.1 from Debian), `embedded_redis`
(start one server process), `lifecycle` (the long-running server of `tickerlake services`
and the URL every part uses), `client` (the client factory, checks, URLs fit to show),
`ports` (loopback ports), `dev_cluster` (a test cluster). The names below are what the
CLI, the launcher, the app and the tests use.
"""

from pipelines.services.client import check_timeseries, redact_url, redis_client
from pipelines.services.embedded_redis import EmbeddedRedis, start_redis
from pipelines.services.install import install_redis_dependencies
from pipelines.services.lifecycle import (
    RedisStatus,
    redis_down,
    redis_status,
    redis_up,
    resolve_redis_url,
    start_embedded_redis,
)
from pipelines.services.ports import free_loopback_port, port_is_free

__all__ = [
    "EmbeddedRedis",
    "RedisStatus",
    "check_timeseries",
    "free_loopback_port",
    "install_redis_dependencies",
    "port_is_free",
    "redact_url",
    "redis_client",
    "redis_down",
    "redis_status",
    "redis_up",
    "resolve_redis_url",
    "start_embedded_redis",
    "start_redis",
]
