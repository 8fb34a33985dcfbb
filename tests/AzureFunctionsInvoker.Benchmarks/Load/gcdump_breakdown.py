#!/usr/bin/env python3
"""What each open stream keeps alive in a proxy's managed heap, by owner: the difference between two
`dotnet-gcdump report` listings (before the streams and with them open, as idle-streams.sh writes them with
GCDUMP set), divided by the number of streams.

  gcdump_breakdown.py STREAMS BEFORE.txt AFTER.txt
"""

import collections
import re
import sys

# First match wins; a type's async state machines count with the type.
OWNERS = [
    ("the proxy's own (forwarder, copier, timeout, request message, branch or endpoint)",
     r"AzureFunctionsInvoker|Yarp\.|MapMiddleware|DirectForwarding"),
    ("byte[] over 10 KiB: a copy buffer held while the stream is idle", r"^System\.Byte\[\] \(Bytes > 10K\)"),
    ("byte[] of 1 to 10 KiB: SocketsHttpHandler's 4 KiB read and write buffers per connection", r"^System\.Byte\[\] \(Bytes > 1K\)"),
    ("HttpClient: request and response messages, headers, connection", r"System\.Net\.Http|HeaderEntry"),
    ("Kestrel and ASP.NET Core: connection, pipes, request and response, HttpContext",
     r"Microsoft\.AspNetCore|System\.IO\.Pipelines|BufferSegment|SegmentAsValueType"),
    ("sockets: two per stream (caller and function)", r"Socket|IPEndPoint|IPAddress|BufferMemoryReceiveOperation"),
    ("other: strings, cancellation sources and registrations, tasks, locks, activities", r""),
]


def read(path):
    sizes = collections.Counter()
    for line in open(path, encoding="utf-8"):
        match = re.match(r"\s*([\d,]+)\s+([\d,]+)\s+(.*?)\s+\[", line)
        if match:
            size, count, name = match.groups()
            sizes[name] += int(size.replace(",", "")) * int(count.replace(",", ""))
    return sizes


def main():
    streams, before, after = int(sys.argv[1]), read(sys.argv[2]), read(sys.argv[3])
    owners = collections.Counter()
    for name in set(before) | set(after):
        owner = next(label for label, pattern in OWNERS if re.search(pattern, name))
        owners[owner] += after[name] - before[name]
    print("| Held per stream by | KiB |")
    print("| --- | ---: |")
    for label, _ in OWNERS:
        print(f"| {label} | {owners[label] / 1024 / streams:.2f} |")
    print(f"| total | {sum(owners.values()) / 1024 / streams:.2f} |")


if __name__ == "__main__":
    main()
