#!/usr/bin/env python3
"""Records every signal it receives, one name per line, in the file given as first argument.

Signals are blocked and taken with sigwaitinfo, so none is lost or merged while the record is written
(real-time signals queue). Writes "<file>.ready" once it listens. Options:
  --ignore-term   TERM and INT are recorded but do not end the program
  --exit-code N   on TERM/INT exit with status N instead of dying of the signal
  --ignore-int    INT is recorded but does not end the program (a Ctrl-C the child survives)
"""
import os
import signal
import sys

path = sys.argv[1]
ignore_term = "--ignore-term" in sys.argv
ignore_int = "--ignore-int" in sys.argv
exit_code = int(sys.argv[sys.argv.index("--exit-code") + 1]) if "--exit-code" in sys.argv else None

catchable = set(range(1, signal.SIGRTMAX + 1)) - {signal.SIGKILL, signal.SIGSTOP, 32, 33}
signal.pthread_sigmask(signal.SIG_BLOCK, catchable)


def name(number):
    if number == signal.SIGRTMAX:
        return "RTMAX"
    if signal.SIGRTMIN <= number <= signal.SIGRTMAX:
        return "RTMIN" if number == signal.SIGRTMIN else f"RTMIN+{number - signal.SIGRTMIN}"
    return signal.Signals(number).name[3:]


with open(path, "a", buffering=1) as record:
    with open(path + ".ready", "w") as ready:
        ready.write(f"{os.getpid()} {os.getpgrp()}\n")
    while True:
        info = signal.sigwaitinfo(catchable)
        record.write(name(info.si_signo) + "\n")
        if info.si_signo == signal.SIGINT and ignore_int:
            continue
        if info.si_signo in (signal.SIGTERM, signal.SIGINT) and not ignore_term:
            if exit_code is not None:
                sys.exit(exit_code)
            signal.signal(info.si_signo, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {info.si_signo})
            os.kill(os.getpid(), info.si_signo)
