"""`make`'s Python install with a word of progress: which package is being fetched, then how many were
installed, instead of pip's noise (or of nothing for a minute, with --quiet).

Usage: python tools/pip_progress.py <python of the venv> <requirements file>
Stdlib only: it runs before anything is installed. On failure pip's whole output is printed, so an
error is never hidden; the exit status is pip's.
"""

from __future__ import annotations

import re
import subprocess
import sys

COLLECTING = re.compile(r"^Collecting (\S+)")
INSTALLING = re.compile(r"^Installing collected packages: (.*)$")


def main(python: str, requirements: str) -> int:
    steps = [
        ("pip itself", [python, "-m", "pip", "install", "--upgrade", "pip"]),
        (f"packages of {requirements}", [python, "-m", "pip", "install", "--progress-bar", "off", "-r", requirements]),
    ]
    for what, command in steps:
        print(f"  updating {what}", flush=True)
        if (status := run(command)) != 0:
            return status
    return 0


def run(command: list[str]) -> int:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
    output: list[str] = []
    fetched = 0
    for line in process.stdout:
        output.append(line)
        if match := COLLECTING.match(line):
            fetched += 1
            print(f"    [{fetched}] fetching {match.group(1)}", flush=True)
        elif match := INSTALLING.match(line):
            count = len(match.group(1).split(","))
            print(f"    installing {count} package(s) into the virtual environment", flush=True)
    status = process.wait()
    if status != 0:
        sys.stdout.write("".join(output))
        print(f"  pip failed (exit {status}): its output is above", flush=True)
    elif fetched == 0:
        print("    already up to date", flush=True)
    return status


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
