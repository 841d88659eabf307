#!/usr/bin/env python3
"""Opens N connections to host:port at once and sends a request on each: half a well-formed GET
of argv[3], a quarter a request with a bad request line, a quarter an oversized header. Prints
{"statuses": {status: count}, "errors": count} as JSON; a status is the HTTP status line's code,
"closed" when the server closed the connection without answering."""
import asyncio
import json
import sys

host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])


async def one(index):
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 30)
    except Exception:
        return "connect-failed"
    if index % 4 == 0:
        request = b"BLAH /\x00\x01 HTTP/9.9\r\n\r\n"
    elif index % 4 == 1:
        request = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    else:
        request = b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    try:
        writer.write(request)
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 30)
    except Exception:
        line = b""
    writer.close()
    parts = line.split()
    return parts[1].decode() if len(parts) > 1 else "closed"


async def main():
    results = await asyncio.gather(*(one(i) for i in range(count)))
    statuses = {}
    for result in results:
        statuses[result] = statuses.get(result, 0) + 1
    print(json.dumps({"statuses": statuses}))


asyncio.run(main())
