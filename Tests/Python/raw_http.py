#!/usr/bin/env python3
"""Sends one request line exactly as given (no normalisation of the path: `..`, `%2e`, …) to
host:port and prints the response's status code and body as JSON."""
import json
import socket
import sys

host, port, method, target = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with socket.create_connection((host, port), timeout=30) as connection:
    connection.sendall(f"{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
head, _, body = data.partition(b"\r\n\r\n")
status = int(head.split()[1]) if len(head.split()) > 1 else 0
print(json.dumps({"status": status, "body": body.decode("utf-8", "replace")}))
