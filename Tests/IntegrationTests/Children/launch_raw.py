#!/usr/bin/env python3
"""Starts mai-entrypoint the way a test needs that Foundation's Process cannot:

  launch_raw.py bytes PROGRAM OUT_DIR
      execs PROGRAM with an argument and an environment variable (name and value) holding every byte value
      0x01-0xFF ('=' left out of the name), and a child that writes its argv and environment as it got them
      (/proc/self/cmdline and /proc/self/environ) to OUT_DIR/cmdline and OUT_DIR/environ.
  launch_raw.py pending SIGNAL PROGRAM ARGS...
      blocks SIGNAL, sends it to itself, then execs PROGRAM: the signal is pending (and blocked) from the
      program's first instruction, as a signal that arrives before it has set anything up.
"""
import os
import signal
import sys


def every_byte(skip=b""):
    return bytes(b for b in range(1, 256) if bytes([b]) not in skip)


if sys.argv[1] == "bytes":
    program, out = sys.argv[2], sys.argv[3]
    dump = ("import sys\n"
            "out = sys.argv[1]\n"
            "open(out + '/cmdline', 'wb').write(open('/proc/self/cmdline', 'rb').read())\n"
            "open(out + '/environ', 'wb').write(open('/proc/self/environ', 'rb').read())\n")
    environment = {os.fsencode(k): os.fsencode(v) for k, v in os.environ.items()}
    environment[b"RAW_" + every_byte(skip=b"=")] = every_byte()
    environment[b"RAW_VALUE"] = every_byte()
    arguments = [program, "--", sys.executable, "-c", dump, out, every_byte()]
    os.execve(program, [os.fsencode(a) if isinstance(a, str) else a for a in arguments], environment)
elif sys.argv[1] == "pending":
    number = getattr(signal, "SIG" + sys.argv[2])
    signal.pthread_sigmask(signal.SIG_BLOCK, {number})
    os.kill(os.getpid(), number)
    os.execv(sys.argv[3], sys.argv[3:])
