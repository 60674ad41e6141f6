#!/usr/bin/env python3
"""same-records.py A_PREFIX B_PREFIX [--ordered] [--ids-only]: the Examples written
under two convert prefixes hold the same tensors with the same labels.

Each record is reduced to (tensor bytes, shape, class ids, class texts);
image/filename is left out, since a member of an archive and a file in
a folder are named differently.  Without --ordered the two runs may list
items in different orders (a table's row order against a folder's sorted
order); the records are compared as sorted lists.  Exit 0 when equal,
1 with the first difference otherwise.
"""
import glob
import sys

import tfrec_read as tr


def records(prefix):
    out = []
    for f in sorted(glob.glob(glob.escape(prefix) + "-*-of-*.tfrecord*")):
        if f.endswith(".idx"):
            continue
        for ex in tr.read_examples(f, verify=True):
            key = ex.get("image/raw", ex.get("image/encoded"))[0]
            out.append((key, tuple(ex.get("image/shape", [])),
                        tuple(ex.get("image/class/label", [])),
                        tuple(ex.get("image/class/text", []))))
    return out


def main(argv):
    a, b = records(argv[1]), records(argv[2])
    if "--ids-only" in argv:  # class texts differ (WebDataset .cls holds ids)
        a = [r[:3] for r in a]
        b = [r[:3] for r in b]
    if "--ordered" not in argv:
        a.sort()
        b.sort()
    if not a:
        print("no records under %s" % argv[1], file=sys.stderr)
        return 1
    if len(a) != len(b):
        print("%d records against %d" % (len(a), len(b)), file=sys.stderr)
        return 1
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            print("record %d differs: labels %r against %r, tensors %s" %
                  (i, x[2:], y[2:], "equal" if x[0] == y[0] else "differ"),
                  file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
