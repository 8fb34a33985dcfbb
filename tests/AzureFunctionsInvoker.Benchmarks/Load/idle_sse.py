#!/usr/bin/env python3
"""The two ends of idle-streams.sh, on asyncio: nothing here is measured, only the proxy between them.

  idle_sse.py function --port P --key K [--interval 20] [--streams N]
      A stand-in Function App on 127.0.0.1:P. Any path answers with a server-sent event stream (chunked, as a function
      streaming its response sends it): one event at once, then one every --interval seconds until the proxy hangs up.
      A path ending in /ready answers 200 "ok" instead, for the scripts' readiness checks. Like Azure, a request
      without x-functions-key: K gets 401.

  idle_sse.py client --port P --path /mytest/events --streams N [--concurrency C] [--hold-limit S]
      Opens N streams through the proxy on 127.0.0.1:P, C connections being opened at a time, and reads each one's
      first event. Prints "open N <seconds>" when all are open (or fails), then holds them open until a line "close"
      arrives on its standard input (or --hold-limit seconds pass), closes them and prints "closed".
"""

import argparse
import asyncio
import resource
import sys
import time


def raise_fd_limit(needed):
    """Lifts the soft limit on open files to the hard one; fails when that is below what is needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        sys.exit(f"need {needed} open files, the hard limit is {hard}")
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve_function(port, key, interval):
    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                target = request_line.split(" ")[1]
                headers = {}
                for line in lines:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                if length:
                    await reader.readexactly(length)
                if headers.get("x-functions-key") != key:
                    writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")
                    await writer.drain()
                    continue
                if target.split("?")[0].endswith("/ready"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
                    await writer.drain()
                    continue
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                sequence = 0
                while True:
                    event = f"id: {sequence}\ndata: tick {sequence}\n\n".encode()
                    writer.write(b"%x\r\n%s\r\n" % (len(event), event))
                    await writer.drain()
                    sequence += 1
                    try:
                        # The proxy sends nothing more on this connection: anything read means it hung up.
                        await asyncio.wait_for(reader.read(1), timeout=interval)
                        return
                    except asyncio.TimeoutError:
                        pass
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    async with server:
        await server.serve_forever()


async def open_stream(port, path, semaphore):
    async with semaphore:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b" ", 2)[1]
        if status != b"200":
            raise RuntimeError(f"{path} answered {status.decode()}")
        received = b""
        while b"\n\n" not in received:
            chunk = await reader.read(4096)
            if not chunk:
                raise RuntimeError(f"{path} ended before its first event")
            received += chunk
        return writer


async def run_client(port, path, streams, concurrency, hold_limit):
    semaphore = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    writers = await asyncio.wait_for(
        asyncio.gather(*(open_stream(port, path, semaphore) for _ in range(streams))), timeout=300)
    print(f"open {len(writers)} {time.monotonic() - started:.2f}", flush=True)

    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), timeout=hold_limit)
            if line in ("", "close\n"):
                break
    except asyncio.TimeoutError:
        pass
    for writer in writers:
        writer.close()
    print("closed", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["function", "client"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key")
    parser.add_argument("--interval", type=float, default=20)
    parser.add_argument("--path", default="/mytest/events")
    parser.add_argument("--streams", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--hold-limit", type=float, default=600)
    args = parser.parse_args()
    if args.role == "function":
        raise_fd_limit(args.streams + 64)
        asyncio.run(serve_function(args.port, args.key, args.interval))
    else:
        raise_fd_limit(args.streams + 64)
        asyncio.run(run_client(args.port, args.path, args.streams, args.concurrency, args.hold_limit))


if __name__ == "__main__":
    main()
