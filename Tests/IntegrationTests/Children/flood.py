#!/usr/bin/env python3
"""Writes numbered lines to stdout or stderr (first argument: out or err) without end, in batches of whole
lines, and ignores TERM and INT: a child that a stalled log reader blocks and only the stop deadline ends.
Writes "<second argument>" (a path) once TERM is ignored, so a test knows a signal will not kill it."""
import os
import signal
import sys

signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
fd = 1 if sys.argv[1] == "out" else 2
with open(sys.argv[2], "w") as ready:
    ready.write(str(os.getpid()))
n = 0
while True:
    batch = []
    for _ in range(64):
        batch.append(f"line {n} {'x' * 50}\n")
        n += 1
    os.write(fd, "".join(batch).encode())
