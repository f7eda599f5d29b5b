"""A TCP proxy on loopback in front of the S3 endpoint that cuts the lake off mid-commit.

Runs as its own process (`python -m tests.faults.s3_cutter LISTEN_PORT TARGET_PORT`):
delta-rs holds the GIL during some S3 calls, so a proxy thread inside the test process
could stall. Commands come one per line on stdin, each answered on stdout:

- `arm before`: the first request that PUTs an object under `_delta_log/` (the commit)
  is never forwarded; every connection is then dropped and new ones are closed at
  once: the endpoint went away just before the commit. Prints `tripped` when it happens.
- `arm after`: the commit request is forwarded, but the endpoint goes away before its
  answer comes back (the commit landed; the writer cannot know).
- `heal`: connections are forwarded again. Prints `healed`.
"""

from __future__ import annotations

import asyncio
import re
import sys
import threading
from dataclasses import dataclass, field

COMMIT_PUT = re.compile(rb"PUT [^ ]*/_delta_log/")


@dataclass
class Connection:
    writers: tuple[asyncio.StreamWriter, asyncio.StreamWriter]
    commit_sent: bool = False


@dataclass
class Cutter:
    target_port: int
    armed: str | None = None  # "before" | "after"
    down: bool = False
    connections: set[int] = field(default_factory=set)
    open: dict[int, Connection] = field(default_factory=dict)

    def command(self, line: str) -> None:
        words = line.split()
        if words[:1] == ["arm"]:
            self.armed = words[1]
            print(f"armed {words[1]}", flush=True)
        elif words == ["heal"]:
            self.armed, self.down = None, False
            print("healed", flush=True)

    def trip(self) -> None:
        self.armed, self.down = None, True
        for connection in list(self.open.values()):
            for writer in connection.writers:
                writer.transport.abort()
        print("tripped", flush=True)

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        if self.down:
            client_w.transport.abort()
            return
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.transport.abort()
            return
        connection = Connection(writers=(client_w, server_w))
        self.open[id(connection)] = connection
        await asyncio.gather(
            self.upstream(client_r, server_w, connection),
            self.downstream(server_r, client_w, connection),
        )
        self.open.pop(id(connection), None)

    async def upstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: Connection
    ) -> None:
        tail = b""
        try:
            while chunk := await reader.read(65536):
                if self.down:
                    break
                if self.armed and COMMIT_PUT.search(tail + chunk):
                    if self.armed == "before":
                        self.trip()
                        break
                    connection.commit_sent = True
                tail = chunk[-256:]
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()

    async def downstream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, connection: Connection
    ) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.down:
                    break
                if connection.commit_sent:  # the commit's answer: lose it
                    self.trip()
                    break
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()


async def main(listen_port: int, target_port: int) -> None:
    cutter = Cutter(target_port)
    loop = asyncio.get_running_loop()

    def read_commands() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(cutter.command, line)

    threading.Thread(target=read_commands, daemon=True).start()
    server = await asyncio.start_server(cutter.handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
