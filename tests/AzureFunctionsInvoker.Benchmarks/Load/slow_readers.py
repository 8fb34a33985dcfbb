#!/usr/bin/env python3
"""The client of slow-readers.sh: nothing here is measured, only the proxy it reads from.

  slow_readers.py bodies --origin http://127.0.0.1:P --dir D
      Writes D/durable.json (300 management URLs on the origin, as Durable writes a status URL, of 33 instances taken in
      turn: the rewriting budget of one response, 300 URLs and 33 links sealed, each URL's token found the furthest back
      among those a thread keeps) and D/plain.json (JSON without any, of exactly the same size).

  slow_readers.py client --port P --path /mytest/durable.json --readers N
      Opens N connections to 127.0.0.1:P, each with a 4 KiB receive buffer, sends each a GET for the path and reads its
      status line, then reads nothing more: the proxy's writes stall once the kernel's buffers are full. Prints
      "open N" when every reader has its status line, holds them until a line "close" arrives on its standard input,
      then closes them and prints "closed".
"""

import argparse
import asyncio
import json
import socket
import sys


def write_bodies(origin, directory):
    items = []
    for i in range(300):
        instance = f"{i % 33:032d}"
        url = f"{origin}/runtime/webhooks/durabletask/instances/{instance}?taskHub=Hub&connection=Storage&code=0123456789ABCDEF0123456789ABCDEF"
        items.append({"statusQueryGetUri": url})
    durable = json.dumps(items, separators=(",", ":")).encode()
    assert len(durable) <= 64 * 1024, len(durable)
    plain = []
    while len(json.dumps(plain, separators=(",", ":"))) < len(durable):
        plain.append({"id": f"order-{len(plain):06d}", "status": "shipped", "note": "nothing to see here"})
    text = json.dumps(plain[:-1], separators=(",", ":"))
    padding = len(durable) - len(text) - len(',""')
    text = text[:-1] + ',"' + "x" * padding + '"]'
    assert len(text) == len(durable), (len(text), len(durable))
    with open(f"{directory}/durable.json", "wb") as f:
        f.write(durable)
    with open(f"{directory}/plain.json", "wb") as f:
        f.write(text.encode())


async def open_reader(port, path):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    await loop.sock_sendall(sock, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    first = await asyncio.wait_for(loop.sock_recv(sock, 64), 60)
    if not first.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"not a 200: {first!r}")
    return sock


async def client(port, path, readers):
    sockets = await asyncio.gather(*(open_reader(port, path) for _ in range(readers)))
    print(f"open {len(sockets)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for sock in sockets:
        sock.close()
    print("closed", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["bodies", "client"])
    parser.add_argument("--origin")
    parser.add_argument("--dir")
    parser.add_argument("--port", type=int)
    parser.add_argument("--path")
    parser.add_argument("--readers", type=int, default=200)
    args = parser.parse_args()
    if args.mode == "bodies":
        write_bodies(args.origin, args.dir)
    else:
        asyncio.run(client(args.port, args.path, args.readers))


if __name__ == "__main__":
    main()
