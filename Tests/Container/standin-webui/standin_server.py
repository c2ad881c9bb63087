"""Stand-in for Open WebUI's uvicorn server in the container tests (scripts/container-tests).

Behaves as the real server does where mai-entrypoint can tell: the port opens only after a start-up delay
(STANDIN_READY_DELAY seconds, like Open WebUI's migrations and lifespan), GET /health then answers 200
{"status":true}, every signal is recorded on stdout (and in STANDIN_SIGNAL_LOG when set), and TERM ends it
the way uvicorn ends: a clean shutdown, then the TERM re-raised with the default action (status 143).
INT ends it with status 0, as uvicorn does after Ctrl-C. Standard library only.
"""

import argparse
import http.server
import os
import signal
import sys
import time

STARTED = time.monotonic()
STATE = {"phase": "starting"}


def say(text):
    line = "standin: %s (t=%.2fs phase=%s)" % (text, time.monotonic() - STARTED, STATE["phase"])
    print(line, flush=True)
    path = os.environ.get("STANDIN_SIGNAL_LOG")
    if path and text.startswith("got signal"):
        with open(path, "a", encoding="utf-8") as log:
            log.write(line + "\n")


def on_signal(number, _frame):
    name = signal.Signals(number).name
    say("got signal %s" % name[3:] if name.startswith("SIG") else name)
    if number == signal.SIGTERM:
        say("shutting down; re-raising TERM")
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the default action ends the process before this returns
    elif number == signal.SIGINT:
        say("shutting down; exit 0")
        os._exit(0)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body, status = b'{"status":true}', 200
        elif self.path == "/":
            body, status = b'{"name":"standin-webui"}', 200
        else:
            body, status = b'{"detail":"Not Found"}', 404
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass  # health checks every second would drown the signal lines


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=os.environ.get("HOST", "0.0.0.0"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    args = parser.parse_args()
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
                   signal.SIGQUIT, signal.SIGWINCH):
        signal.signal(number, on_signal)
    delay = float(os.environ.get("STANDIN_READY_DELAY", "2"))
    say("starting pid=%d host=%s port=%d ready_delay=%.1fs" % (os.getpid(), args.host, args.port, delay))
    deadline = STARTED + delay
    while time.monotonic() < deadline:
        time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
    http.server.HTTPServer.allow_reuse_address = True
    server = http.server.HTTPServer((args.host, args.port), Handler)
    STATE["phase"] = "ready"
    say("ready on %s:%d" % (args.host, args.port))
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
