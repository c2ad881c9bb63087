#!/usr/bin/env python3
"""Prints the descriptors this process was started with (one per line), then its pid, pgid and
whether its group is the terminal's foreground group."""
import os

fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
# listdir's own descriptor is closed again by the time the list is read; check each is still open.
open_fds = []
for fd in fds:
    try:
        os.fstat(fd)
        open_fds.append(fd)
    except OSError:
        pass
print("fds", " ".join(map(str, open_fds)))
print("pid", os.getpid(), "pgid", os.getpgrp())
try:
    print("foreground", os.tcgetpgrp(0) == os.getpgrp())
except OSError:
    print("foreground", "no-terminal")
