#!/usr/bin/env python3
"""Leaves N orphans that exit at once (double fork), waits, then counts zombies whose parent is our
parent (the supervisor). Prints "zombies K" and exits 0 when K is 0, else 1."""
import os
import sys
import time

count = int(sys.argv[1]) if len(sys.argv) > 1 else 5
for _ in range(count):
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            time.sleep(0.05)
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)

supervisor = os.getppid()
deadline = time.monotonic() + 2.0
while True:
    zombies = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == "Z" and int(fields[1]) == supervisor:
            zombies += 1
    if zombies == 0 or time.monotonic() > deadline:
        break
    time.sleep(0.05)
print("zombies", zombies)
sys.exit(0 if zombies == 0 else 1)
