"""A TCP proxy on loopback in front of the S3 endpoint that can cut the lake off mid-commit.

Run as its own process (`python -m tests.faults.s3_cutter LISTEN_PORT TARGET_PORT`): delta-rs
holds the GIL during some S3 calls, so a proxy thread inside the test process could stall.

- SIGUSR1 arms it: the first request that PUTs an object under `_delta_log/` (a commit)
  is never forwarded; its connection and every other one are dropped and new
  connections are closed at once — the endpoint has gone away mid-commit. It prints
  `tripped` on stdout when that happens.
- SIGUSR2 heals it: connections are forwarded again.
"""

from __future__ import annotations

import asyncio
import re
import signal
import sys

COMMIT_PUT = re.compile(rb"PUT [^ ]*/_delta_log/")


class Cutter:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.armed = False
        self.down = False
        self.writers: set[asyncio.StreamWriter] = set()

    def arm(self) -> None:
        self.armed = True
        print("armed", flush=True)

    def heal(self) -> None:
        self.armed = False
        self.down = False
        print("healed", flush=True)

    def trip(self) -> None:
        self.armed = False
        self.down = True
        for writer in list(self.writers):
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
        self.writers.update((client_w, server_w))
        await asyncio.gather(
            self.pipe(client_r, server_w, inspect=True), self.pipe(server_r, client_w)
        )
        self.writers.difference_update((client_w, server_w))

    async def pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, inspect: bool = False
    ) -> None:
        tail = b""
        try:
            while chunk := await reader.read(65536):
                if self.down:
                    break
                if inspect and self.armed and COMMIT_PUT.search(tail + chunk):
                    self.trip()
                    break
                tail = chunk[-256:]
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()


async def main(listen_port: int, target_port: int) -> None:
    cutter = Cutter(target_port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, cutter.arm)
    loop.add_signal_handler(signal.SIGUSR2, cutter.heal)
    server = await asyncio.start_server(cutter.handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
