#!/usr/bin/env python3
"""The two ends of idle-streams.sh, on asyncio: nothing here is measured, only the proxy between them.

  idle_sse.py function --port P --key K [--interval 20] [--streams N]
      A stand-in Function App on 127.0.0.1:P. Any path answers with a server-sent event stream (chunked, as a function
      streaming its response sends it): one event at once, then one every --interval seconds until the proxy hangs up.
      A path ending in /ready answers 200 "ok" instead, for the scripts' readiness checks. Like Azure, a request
      without x-functions-key: K gets 401.

  idle_sse.py client --port P --path /mytest/events --streams N [--concurrency C] [--hold-limit S] [--http2]
      Opens N streams through the proxy on 127.0.0.1:P, C connections being opened at a time, and reads each one's
      first event. Prints "open N <seconds>" when all are open (or fails), then holds them open until a line "close"
      arrives on its standard input (or --hold-limit seconds pass), closes them and prints "closed".
      With --http2 the streams go over HTTP/2 with prior knowledge (h2c), --streams-per-connection (100, Kestrel's
      limit) on each connection, C streams being opened at a time; this needs the h2 package (Debian's python3-h2).
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


class Http2Connection:
    """One h2c connection to the proxy carrying COUNT event streams, read until it closes."""

    def __init__(self, port, path, count):
        self.port, self.path, self.count = port, path, count
        self.first_events = {}
        self.opened = asyncio.get_running_loop().create_future()
        self.writer = None

    async def open(self):
        import h2.config
        import h2.connection
        import h2.events

        reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
        connection.initiate_connection()
        for _ in range(self.count):
            stream_id = connection.get_next_available_stream_id()
            self.first_events[stream_id] = b""
            connection.send_headers(stream_id, [
                (b":method", b"GET"), (b":scheme", b"http"), (b":authority", f"127.0.0.1:{self.port}".encode()),
                (b":path", self.path.encode()), (b"accept", b"text/event-stream")], end_stream=True)
        self.writer.write(connection.data_to_send())
        await self.writer.drain()
        waiting = set(self.first_events)
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    raise RuntimeError("the proxy closed an HTTP/2 connection")
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.ResponseReceived):
                        status = dict(event.headers).get(b":status")
                        if status != b"200":
                            raise RuntimeError(f"{self.path} answered {status}")
                    elif isinstance(event, h2.events.DataReceived):
                        connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                        if event.stream_id in waiting:
                            self.first_events[event.stream_id] += event.data
                            if b"\n\n" in self.first_events[event.stream_id]:
                                waiting.discard(event.stream_id)
                                if not waiting and not self.opened.done():
                                    self.opened.set_result(None)
                    elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                        raise RuntimeError(f"{self.path} ended before it was closed")
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        raise RuntimeError("the proxy sent GOAWAY")
                self.writer.write(connection.data_to_send())
                await self.writer.drain()
        except Exception as failure:
            if not self.opened.done():
                self.opened.set_exception(failure)
            elif not closing:
                print(f"an HTTP/2 connection failed while open: {failure}", file=sys.stderr, flush=True)


closing = False


async def open_http2_streams(port, path, streams, concurrency, per_connection):
    """Opens the streams over HTTP/2, about CONCURRENCY streams (whole connections) being opened at a time."""
    counts = [min(per_connection, streams - start) for start in range(0, streams, per_connection)]
    connections = [Http2Connection(port, path, count) for count in counts]
    semaphore = asyncio.Semaphore(max(1, concurrency // per_connection))

    async def open_one(connection):
        async with semaphore:
            connection.reading = asyncio.create_task(connection.open())
            await connection.opened

    await asyncio.gather(*(open_one(c) for c in connections))
    return [c.writer for c in connections]


async def run_client(port, path, streams, concurrency, hold_limit, http2=False, per_connection=100):
    global closing
    semaphore = asyncio.Semaphore(concurrency)
    started = time.monotonic()
    opening = (open_http2_streams(port, path, streams, concurrency, per_connection) if http2
               else asyncio.gather(*(open_stream(port, path, semaphore) for _ in range(streams))))
    writers = await asyncio.wait_for(opening, timeout=300)
    print(f"open {streams} {time.monotonic() - started:.2f}", flush=True)

    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), timeout=hold_limit)
            if line in ("", "close\n"):
                break
    except asyncio.TimeoutError:
        pass
    closing = True
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
    parser.add_argument("--http2", action="store_true")
    parser.add_argument("--streams-per-connection", type=int, default=100)
    args = parser.parse_args()
    if args.role == "function":
        raise_fd_limit(args.streams + 64)
        asyncio.run(serve_function(args.port, args.key, args.interval))
    else:
        raise_fd_limit(args.streams + 64)
        asyncio.run(run_client(args.port, args.path, args.streams, args.concurrency, args.hold_limit, args.http2,
                               args.streams_per_connection))


if __name__ == "__main__":
    main()
