#!/usr/bin/env python3
"""peak-rss.py CMD... - run CMD, then print on stderr its peak RSS in MiB
("peak_rss_mib N"), its CPU time, user + system, in seconds
("cpu_seconds N") and its wall time ("wall_seconds N"), and exit with its
status.  (getrusage of the child, like time -v.)"""
import resource
import subprocess
import sys
import time

t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:])
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("peak_rss_mib %.1f" % (ru.ru_maxrss / 1024.0), file=sys.stderr)
print("cpu_seconds %.4f" % (ru.ru_utime + ru.ru_stime), file=sys.stderr)
print("wall_seconds %.4f" % wall, file=sys.stderr)
sys.exit(rc)
