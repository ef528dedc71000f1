"""tests.settings with metrics counted and a quick heartbeat, for worker subprocesses."""

from tests.settings import *  # noqa: F403
from tests.settings import IRONRELAY

IRONRELAY = {**IRONRELAY, "METRICS": True, "WORKER_HEARTBEAT_INTERVAL": 0.2}
