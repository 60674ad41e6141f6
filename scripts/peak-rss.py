#!/usr/bin/env python3
"""peak-rss.py CMD... - run CMD, then print its peak RSS in MiB on stderr
and exit with its status.  (getrusage of the child, like time -v.)"""
import resource
import subprocess
import sys

rc = subprocess.call(sys.argv[1:])
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("peak_rss_mib %.1f" % (kib / 1024.0), file=sys.stderr)
sys.exit(rc)
