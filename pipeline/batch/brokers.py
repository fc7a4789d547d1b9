"""One place that turns a broker URL into a dramatiq broker with the batch actors and middleware.

``sqlite:///path`` is the embedded broker (one machine, no server);
``redis://host:port/db`` and ``amqp://user:pass@host:port/vhost`` are the ones
to scale out with.  The middleware order matters: dramatiq runs ``after`` hooks
in reverse, so Retries decides before DeadLetters records and the hooks hear of it.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import dramatiq
from dramatiq.middleware import CurrentMessage, Retries, ShutdownNotifications, TimeLimit

from edossier.errors import EdossierError
from edossier.pipeline import retry
from edossier.pipeline.batch import middleware as mw
from edossier.pipeline.batch.actors import QUEUE, declare_actors
from edossier.pipeline.hooks import Audit, Timing

TIME_LIMIT_MS = 60 * 60 * 1000


def batch_middleware() -> list[dramatiq.Middleware]:
    return [
        mw.StepHooks([Timing(), Audit()]),
        mw.DeadLetters(),
        TimeLimit(time_limit=TIME_LIMIT_MS),
        ShutdownNotifications(),
        Retries(max_retries=retry.MAX_RETRIES, min_backoff=retry.MIN_BACKOFF_MS, max_backoff=retry.MAX_BACKOFF_MS,
                retry_when=retry.should_retry),
        CurrentMessage(),
    ]


def open_broker(url: str) -> dramatiq.Broker:
    """The broker for URL, made the process's current broker, with the batch actors declared."""
    scheme = urlparse(url).scheme
    middleware = batch_middleware()
    broker: dramatiq.Broker
    if scheme == "sqlite":
        from edossier.pipeline.batch.sqlite_broker import SqliteBroker

        broker = SqliteBroker(Path(urlparse(url).path), middleware=middleware)
    elif scheme in ("redis", "rediss"):
        from dramatiq.brokers.redis import RedisBroker

        # A killed worker's messages come back once its heartbeat is this old (dramatiq's default is 60 s).
        heartbeat_ms = int(os.environ.get("EDOSSIER_BATCH_HEARTBEAT_MS", "15000"))
        broker = RedisBroker(url=url, middleware=middleware, heartbeat_timeout=heartbeat_ms,
                             maintenance_chance=int(os.environ.get("EDOSSIER_BATCH_MAINTENANCE_CHANCE", "10000")))
    elif scheme in ("amqp", "amqps"):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        broker = RabbitmqBroker(url=url, middleware=middleware)
    else:
        raise EdossierError(f"unsupported broker URL {url!r} (expected redis://, amqp:// or sqlite:///)")
    dramatiq.set_broker(broker)
    # Installations (or test runs) sharing one broker keep apart by queue name; every machine of one must agree.
    declare_actors(broker, os.environ.get("EDOSSIER_BATCH_QUEUE", QUEUE))
    return broker
