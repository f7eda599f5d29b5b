"""A WebSocket server speaking the Massive/Polygon protocol that sends a script of frames.

The handshake is the real one (`connected`, `auth_success`, one `success` per subscribed
channel); then the server sends the script's frames in order, text or binary, exactly
as given, garbage included. A step can also close the connection (as a server does
after `max_connections`) or send a frame the client's transport must refuse; the next
connection resumes the script where the last one stopped, so every frame of the script
is offered exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from pipelines.realtime import messages


@dataclass(frozen=True)
class Send:
    """Send `payload` as one frame (`binary` as a binary frame, else text)."""

    payload: bytes
    binary: bool = False
    last_on_connection: bool = False  # the client drops the connection on it: resume on the next


@dataclass(frozen=True)
class Close:
    """Close the connection (the client reconnects and the script resumes)."""

    code: int = 1008
    reason: str = "policy violation"


Step = Send | Close


@dataclass
class ScriptedFeed:
    """The server. `await start()`, read `url`; `finished` is set once every step went out."""

    script: list[Step]
    connections: int = 0
    position: int = 0
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    _server: Server | None = None

    async def start(self) -> None:
        self._server = await serve(self._serve, "127.0.0.1", 0, compression=None, max_size=2**20)

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"ws://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, ws: ServerConnection) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionClosed):
            await ws.send(messages.status_frame("connected", "Connected Successfully"), text=True)
            await self._handshake(ws)
            while self.position < len(self.script):
                step = self.script[self.position]
                self.position += 1
                if isinstance(step, Close):
                    await ws.close(step.code, step.reason)
                    return
                await ws.send(step.payload, text=not step.binary)
                if step.last_on_connection:
                    await ws.wait_closed()
                    return
            self.finished.set()
            await ws.wait_closed()

    async def _handshake(self, ws: ServerConnection) -> None:
        while True:
            parsed = messages.parse_client_message(await ws.recv())
            if parsed is None:
                continue
            action, params = parsed
            if action == "auth":
                await ws.send(messages.status_frame("auth_success", "authenticated"), text=True)
            elif action == "subscribe":
                await ws.send(
                    messages.encode_events(
                        [
                            {
                                "ev": "status",
                                "status": "success",
                                "message": f"{messages.SUBSCRIBED_PREFIX}{p}",
                            }
                            for p in params
                        ]
                    ),
                    text=True,
                )
                return
