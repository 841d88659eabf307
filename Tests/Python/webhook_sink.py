#!/usr/bin/env python3
"""A webhook receiver for the service tests: prints its port, then appends each POSTed body as
one line to the file named by argv[1]. With argv[2] = N it answers 500 to the first N requests
(to see the service retry)."""
import http.server
import sys
import threading

out_path = sys.argv[1]
fail_first = int(sys.argv[2]) if len(sys.argv) > 2 else 0
lock = threading.Lock()
seen = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            seen += 1
            failing = seen <= fail_first
            if not failing:
                with open(out_path, "ab") as out:
                    out.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(500 if failing else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
