#!/usr/bin/env python3
"""Writes COUNT numbered lines to stdout and to stderr in bursts of random size, often splitting a line
across two writes with a pause between, and ends each stream with a line that has no newline."""
import os
import random
import sys
import time

count = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)


def emit(fd, label):
    pending = b""
    for n in range(count):
        pending += f"{label} {n} {'x' * rng.randint(0, 60)}\n".encode()
        if len(pending) > rng.randint(1, 8192):
            cut = rng.randint(0, len(pending))
            os.write(fd, pending[:cut])
            if rng.random() < 0.01:
                time.sleep(0.001)
            os.write(fd, pending[cut:])
            pending = b""
    os.write(fd, pending + f"{label} last-without-newline".encode())


if os.fork() == 0:
    emit(2, "err")
    os._exit(0)
emit(1, "out")
os.wait()
