"""corrupt.py SHARDDIR TMPDIR: a shard with a bad data CRC, one with a
bad length CRC and one cut inside a record raise errors naming the shard,
the record and its byte offset: from ShardDataset (no workers, and
through 2 DataLoader workers), IndexedDataset and tfrec.numpy; a missing
feature names the shard and record.  Prints ok/FAIL lines."""
import os
import shutil
import sys

import torch.utils.data

from tfrec.numpy import Batches
from tfrec.records import TFRecordError, read_index
from tfrec.torch import IndexedDataset, ShardDataset

src, tmp = sys.argv[1], sys.argv[2]
base = src + "/t-00003-of-00016.tfrecord"
offs, sizes = read_index(base + ".idx")
fails = 0


def report(ok, what):
    global fails
    print(("ok " if ok else "FAIL ") + what)
    fails += not ok


def variant(name, mutate):
    p = os.path.join(tmp, name + "-00000-of-00001.tfrecord")
    shutil.copy(base, p)
    shutil.copy(base + ".idx", p + ".idx")
    with open(p, "r+b") as f:
        mutate(f)
    return p


def flip(at):
    def m(f):
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x40]))
    return m


o1, o2 = int(offs[1]), int(offs[2])
cases = [
    (variant("datacrc", flip(o1 + 40)), "record 1 at offset %d: data CRC mismatch" % o1),
    (variant("lencrc", flip(o2 + 9)), "record 2 at offset %d: length CRC mismatch" % o2),
    (variant("cut", lambda f: f.truncate(o2 + 30)), "record 2 at offset %d: truncated record" % o2),
]
for path, want in cases:
    what = want.split(": ")[1]
    tries = {
        "ShardDataset": lambda: list(ShardDataset(path, shuffle=False)),
        "ShardDataset, 2 workers": lambda: list(torch.utils.data.DataLoader(
            ShardDataset(path, shuffle=False), batch_size=None, num_workers=2)),
        "IndexedDataset": lambda: [x for x in IndexedDataset(path, shuffle=False)],
        "numpy.Batches": lambda: list(Batches(path, 2, shuffle=False)),
    }
    for who, fn in tries.items():
        msg = None
        try:
            fn()
        except (TFRecordError, RuntimeError) as e:
            msg = str(e)
        ok = msg is not None and path + ": " + want in msg
        if who.endswith("workers") and "truncated" in want and msg:
            # The second worker starts past the cut, at record 3 (from
            # the .idx), and may report first.
            ok = ok or "%s: record 3 at offset %d: shard ends early" % (path, offs[3]) in msg
        report(ok,
               "%s, %s: error names the shard, record and offset" % (who, what)
               + ("" if msg and path in msg else " (got %r)" % msg))
try:
    list(ShardDataset(base, keys=["no/such"], shuffle=False))
    msg = None
except TFRecordError as e:
    msg = str(e)
report(msg == "%s: record 0 at offset 0: no feature 'no/such'" % base,
       "a missing key names the shard and record: %s" % msg)
sys.exit(1 if fails else 0)
