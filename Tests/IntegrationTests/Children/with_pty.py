#!/usr/bin/env python3
"""Runs a command with a new pseudo-terminal as its controlling terminal and stdin/stdout/stderr, as
`docker run -it` does. With `--type TEXT` it types TEXT and Enter after half a second. Prints what the
command wrote, then "exit N" (N as a shell reports it)."""
import os
import pty
import select
import signal
import sys
import time

args = sys.argv[1:]
typed = None
if args[0] == "--type":
    typed = args[1].encode() + b"\n"
    args = args[2:]

pid, master = pty.fork()
if pid == 0:
    os.execvp(args[0], args)

output = b""
status = None
start = time.monotonic()
sent = False
while True:
    if typed and not sent and time.monotonic() - start >= 0.5:
        os.write(master, typed)
        sent = True
    ready, _, _ = select.select([master], [], [], 0.05)
    if ready:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        output += chunk
    done, waited = os.waitpid(pid, os.WNOHANG)
    if done:
        status = waited
        try:
            while True:
                r, _, _ = select.select([master], [], [], 0.1)
                if not r:
                    break
                chunk = os.read(master, 65536)
                if not chunk:
                    break
                output += chunk
        except OSError:
            pass
        break
    if time.monotonic() - start > 30:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        print("timeout")
        sys.exit(3)
if status is None:
    _, status = os.waitpid(pid, 0)

sys.stdout.write(output.decode(errors="replace").replace("\r\n", "\n"))
code = os.waitstatus_to_exitcode(status)
print("exit", code if code >= 0 else 128 - code)
