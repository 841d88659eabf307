#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its prompts, for the hsmsync tests of
`transport create --show` and of shares typed at the hidden prompt.

Usage: pty_driver.py STEPS_JSON -- COMMAND [ARGUMENTS...]

STEPS_JSON is a list of {"expect": TEXT, "send": TEXT, "hidden": BOOL}: wait until TEXT has
appeared on the terminal (after the previous step's), and, for a hidden prompt, until the command
has turned echo off (so its TCSAFLUSH cannot discard the answer), then type SEND. Everything the
command wrote to the terminal is printed on stdout; the exit status is the command's (128 + signal
when killed). A step whose text never appears ends the run with status 124.
"""
import json
import os
import pty
import select
import sys
import termios
import time

TIMEOUT = 120


def main():
    steps = json.loads(sys.argv[1])
    assert sys.argv[2] == "--"
    command = sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    output = bytearray()
    deadline = time.time() + TIMEOUT

    def read(timeout):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        output.extend(data)
        return True

    position = 0
    alive = True
    for step in steps:
        needle = step["expect"].encode()
        while output.find(needle, position) < 0 and alive and time.time() < deadline:
            alive = read(0.1)
        found = output.find(needle, position)
        if found < 0:
            sys.stdout.write(output.decode(errors="replace"))
            sys.stdout.write(f"\n[pty_driver: never saw {step['expect']!r}]\n")
            if alive:
                os.kill(pid, 9)
            os.waitpid(pid, 0)
            sys.exit(124)
        position = found + len(needle)
        if step.get("hidden"):
            while termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
                time.sleep(0.02)
        os.write(fd, step["send"].encode())
    while alive and time.time() < deadline:
        alive = read(0.1)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(output.decode(errors="replace"))
    if os.WIFSIGNALED(status):
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


if __name__ == "__main__":
    main()
