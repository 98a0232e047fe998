"""The listening socket `minitrack server` binds: its connections must not wait on Nagle.

Without TCP_NODELAY every reply after the first on a kept-alive connection (how the mlflow
client talks) waited about 40 ms for the client's delayed ACK between its headers and body.
asyncio sets TCP_NODELAY only on accepted sockets whose ``proto`` says TCP.
"""

from __future__ import annotations

import asyncio
import socket

from minitrack.server import serve


def test_connections_accepted_on_the_bound_socket_have_tcp_nodelay():
    listening = serve.bind("127.0.0.1", 0)
    port = listening.getsockname()[1]
    seen: list[int] = []

    class Record(asyncio.Protocol):
        def connection_made(self, transport):
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one():
        server = await asyncio.get_running_loop().create_server(Record, sock=listening)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(accept_one())

    assert listening.proto == socket.IPPROTO_TCP
    assert seen and seen[0] != 0
