#!/usr/bin/env python3
"""A stand-in for Open WebUI's start-up on PostgreSQL: it runs "migrations" the way alembic does, with no lock
of its own (read alembic_version, and when it is not HEAD, spend MIGRATION_SECONDS migrating, then write HEAD),
then serves GET /health on 127.0.0.1:PORT. Every step is appended to JOURNAL as "<name> <step> <time>" (steps:
start, migrate-begin, migrate-end, serving) so that a test can see who migrated, and when.

Usage: migrating_server.py NAME PORT DATABASE_URL HEAD JOURNAL MIGRATION_SECONDS"""
import http.server
import os
import socketserver
import subprocess
import sys
import time

name, port, url, head, journal, seconds = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], float(sys.argv[6])


def note(step):
    # One write of one line with O_APPEND: lines of concurrent servers never interleave.
    fd = os.open(journal, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(fd, f"{name} {step} {time.time():.6f}\n".encode())
    os.close(fd)


def psql(sql):
    return subprocess.run(["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


note("start")
exists = psql("SELECT to_regclass('alembic_version') IS NOT NULL") == "t"
current = psql("SELECT coalesce(max(version_num), '') FROM alembic_version") if exists else ""
if current != head:
    note("migrate-begin")
    psql("CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
    time.sleep(seconds)
    psql(f"DELETE FROM alembic_version; INSERT INTO alembic_version VALUES ('{head}')")
    note("migrate-end")


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        healthy = self.path == "/health"
        body = b'{"status": true}' if healthy else b'{"detail": "Not Found"}'
        self.send_response(200 if healthy else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


socketserver.TCPServer.allow_reuse_address = True
with socketserver.TCPServer(("127.0.0.1", port), Health) as server:
    note("serving")
    server.serve_forever()
