"""python3 -m tfrec [--verify] [--json] SHARD...: a summary of each shard."""
import json
import sys

from .example import ExampleError, parse_example
from .records import RecordReader, TFRecordError, crc_backend

USAGE = """usage: python3 -m tfrec [--verify] [--json] SHARD...

Print each shard's record count, compression, and the shapes, dtypes and
labels of its Examples.  --verify checks every data CRC (CRC checks run
in %s); --json prints one JSON object a line."""


def summary(path, verify=False):
    n = other = 0
    shapes, dtypes, labels = {}, {}, {}
    with RecordReader(path, verify) as r:
        comp = r.compression
        for _, _, data in r:
            n += 1
            try:
                ex = parse_example(data)
            except ExampleError:
                other += 1
                continue
            if "image/shape" in ex:
                k = "x".join(str(int(x)) for x in ex["image/shape"])
                shapes[k] = shapes.get(k, 0) + 1
            if "image/dtype" in ex:
                d = ex["image/dtype"][0].decode()
                dtypes[d] = dtypes.get(d, 0) + 1
            if "image/class/label" in ex and len(ex["image/class/label"]):
                lab = str(int(ex["image/class/label"][0]))
                labels[lab] = labels.get(lab, 0) + 1
    return {"file": path, "compression": comp, "records": n, "not_examples": other,
            "shapes": dict(sorted(shapes.items())), "dtypes": dtypes,
            "labels": dict(sorted(labels.items(), key=lambda kv: int(kv[0])))}


def main(argv, prog="python3 -m tfrec"):
    opts = [a for a in argv if a.startswith("-")]
    files = [a for a in argv if not a.startswith("-")]
    if "--help" in opts or "-h" in opts:
        print(USAGE % crc_backend())
        return 0
    bad = [o for o in opts if o not in ("--verify", "--json")]
    if bad or not files:
        print("%s: %s" % (prog, "unknown option '%s'" % bad[0] if bad else "no shards given"), file=sys.stderr)
        print(USAGE.splitlines()[0], file=sys.stderr)
        return 2
    status = 0
    for path in files:
        try:
            s = summary(path, "--verify" in opts)
        except (OSError, TFRecordError) as e:
            print("%s: %s" % (prog, e), file=sys.stderr)
            status = 1
            continue
        if "--json" in opts:
            print(json.dumps(s, sort_keys=True))
        else:
            print("%s: %d records (%d not Examples), %s; shapes %s; dtypes %s; labels %s" % (
                path, s["records"], s["not_examples"], s["compression"],
                ", ".join("%s (%d)" % kv for kv in s["shapes"].items()) or "-",
                ", ".join("%s (%d)" % kv for kv in s["dtypes"].items()) or "-",
                ", ".join("%s: %d" % kv for kv in s["labels"].items()) or "-"))
    try:
        sys.stdout.flush()
    except OSError as e:
        print("%s: cannot write: %s" % (prog, e), file=sys.stderr)
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
