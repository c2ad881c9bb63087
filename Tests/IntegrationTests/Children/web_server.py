#!/usr/bin/env python3
"""A stand-in web server: starts listening on 127.0.0.1:PORT after DELAY seconds (as Open WebUI does once its
migrations are done) and answers GET /health with 200 {"status": true} (with WEB_SERVER_CHUNKED=1, in two
chunks of Transfer-Encoding: chunked split inside the body; RECORD.listening appears once it listens). Each TERM, INT or HUP it gets is
recorded in RECORD as "NAME ready=True|False" (RECORD.started appears once it listens for them); TERM and INT end it by re-raising, as uvicorn does (143)."""
import http.server
import os
import signal
import socketserver
import sys
import time

port, delay, record_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
serving = False


def record(number, _frame):
    with open(record_path, "a") as out:
        out.write(f"{signal.Signals(number).name[3:]} ready={serving}\n")
    if number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)


for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(number, record)
open(record_path + ".started", "w").close()


chunked = os.environ.get("WEB_SERVER_CHUNKED") == "1"


class Health(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1" if chunked else "HTTP/1.0"

    def do_GET(self):
        body = b'{"status": true}' if self.path == "/health" else b'{"detail": "Not Found"}'
        self.send_response(200 if self.path == "/health" else 404)
        self.send_header("Content-Type", "application/json")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            for part in (body[:9], body[9:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


end = time.monotonic() + delay
while time.monotonic() < end:
    time.sleep(0.02)
socketserver.TCPServer.allow_reuse_address = True
with socketserver.TCPServer(("127.0.0.1", port), Health) as server:
    serving = True
    open(record_path + ".listening", "w").close()
    server.serve_forever(poll_interval=0.05)
