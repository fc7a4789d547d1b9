"""Fixtures for the web reader: real dossiers in a real store, real accounts, a live server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.web.web_dossiers import WebEnv, make_env


@pytest.fixture(autouse=True, scope="session")
def _no_local_config() -> Iterator[None]:
    """Tests must not read a developer's edossier.toml or EDOSSIER_* variables."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("EDOSSIER_")}
    for key in saved:
        del os.environ[key]
    os.environ["EDOSSIER_CONFIG"] = "/nonexistent/edossier.toml"
    yield
    os.environ.pop("EDOSSIER_CONFIG", None)
    os.environ.update(saved)


@pytest.fixture(scope="module")
def web_env(tmp_path_factory: pytest.TempPathFactory) -> WebEnv:
    return make_env(tmp_path_factory.mktemp("web"))


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: WebEnv


@pytest.fixture(scope="module")
def live_server(web_env: WebEnv) -> Iterator[LiveServer]:
    """The app under uvicorn on a free loopback port, in a thread of this process."""
    import uvicorn

    from edossier.web.app import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(web_env.settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", env=web_env)
    server.should_exit = True
    thread.join(timeout=10)
