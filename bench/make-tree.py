#!/usr/bin/env python3
"""make-tree.py DIR N: the N-item ImageNet-shaped tree of the listing
benchmarks (bench/sources.sh, bench/duplicates.sh), cheaply: 1000 class
folders of hard links to 25 tiny JPEGs, and DIR/tree.list naming them
all with their classes."""
import os
import sys

from PIL import Image

d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d + "/tree", exist_ok=True)
per = -(-n // 1000)
with open(d + "/tree.list", "w") as lst:
    k = 0
    for c in range(1000):
        cls = "n%08d" % (1440764 + c)
        os.makedirs("%s/tree/%s" % (d, cls), exist_ok=True)
        if c % 40 == 0:  # a file takes at most ~65,000 links
            one = "%s/one-%d.jpg" % (d, c)
            Image.new("RGB", (16, 16), (120, 30, c % 256)).save(one, quality=80)
        for i in range(per):
            if k == n:
                break
            name = "%s/%s_%d.JPEG" % (cls, cls, 10026 + i)
            os.link(one, "%s/tree/%s" % (d, name))
            lst.write("tree/%s %s\n" % (name, cls))
            k += 1
