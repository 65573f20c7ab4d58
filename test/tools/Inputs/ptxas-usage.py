#!/usr/bin/env python3
"""ptxas -v's resource report for each kernel of `retnet-compile --emit=ptx`.

Usage: ptxas-usage.py FILE.ptx CHIP. Each module of the file (after its
`// gpu.binary @NAME ...` line) is assembled for CHIP; one line per kernel:
`MODULE/KERNEL: registers=R stack=S spill_stores=T spill_loads=U`.
"""
import os
import re
import subprocess
import sys
import tempfile


def main():
    path, chip = sys.argv[1], sys.argv[2]
    with open(path) as f:
        parts = re.split(r"^// gpu\.binary @(\S+) .*$", f.read(), flags=re.M)
    modules = list(zip(parts[1::2], parts[2::2]))
    if not modules:
        sys.exit("ptxas-usage.py: no kernel module in " + path)
    with tempfile.TemporaryDirectory() as scratch:
        for index, (name, module) in enumerate(modules):
            source = os.path.join(scratch, "module%d.ptx" % index)
            with open(source, "w") as f:
                f.write(module)
            report = subprocess.run(
                ["ptxas", "-arch=" + chip, "-v", source, "-o", os.devnull],
                capture_output=True, text=True, check=True).stderr
            kernel = None
            for line in report.splitlines():
                entry = re.search(r"Compiling entry function '(\S+)'", line)
                if entry:
                    kernel, stack, stores, loads = entry.group(1), 0, 0, 0
                frame = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill "
                                  r"stores, (\d+) bytes spill loads", line)
                if frame:
                    stack, stores, loads = frame.groups()
                used = re.search(r"Used (\d+) registers", line)
                if used and kernel:
                    print("%s/%s: registers=%s stack=%s spill_stores=%s "
                          "spill_loads=%s" % (name, kernel, used.group(1),
                                              stack, stores, loads))
                    kernel = None


if __name__ == "__main__":
    main()
