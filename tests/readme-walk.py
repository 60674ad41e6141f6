#!/usr/bin/env python3
"""readme-walk.py README: the README's shell examples, as t0195 runs them.

Prints one line per example: "run<TAB>COMMAND<TAB>EXPECTED" or
"skip<TAB>COMMAND<TAB>REASON".  Examples are
  - the indented "sh scripts/..." lines of "Two commands";
  - "$ " lines in unlabelled ``` blocks (the tour), with the output the
    README shows under them (up to the next "$ " or the block's end) as
    EXPECTED, lines joined by \\x1f;
  - every command of a ```sh block (backslash continuations joined,
    comments dropped).
Whatever cannot run on a fresh machine is listed with its reason in SKIPS
below, never dropped silently.
"""
import re
import sys

# (pattern in the command, reason): the examples the walk does not run.
SKIPS = [
    ("scripts/build.sh", "installs packages and rebuilds the tree under test (make check runs inside it)"),
    ("scripts/test.sh", "runs make check, which runs this walk: it would recurse"),
    ("SLURM_ARRAY_TASK_ID", "a Slurm job array: t0190 runs examples/slurm-convert.sbatch on a one-node cluster"),
    ("JOB_COMPLETION_INDEX", "a Kubernetes Indexed Job: no cluster here"),
    ("instances_val2017", "needs the COCO val2017 set (not shipped): t0155 runs these options on generated sets"),
    ("VOC2012", "needs the Pascal VOC 2012 set (not shipped): t0155 runs these options on generated sets"),
    ("out/voc-", "reads the VOC example's output, which needs VOC 2012"),
    ("torchrun", "torch DDP: t0105 runs examples/train_torch.py with gloo"),
    ("torch.distributed.run", "torch DDP: t0105 runs examples/train_torch.py with gloo"),
]


def reason(cmd):
    for pat, why in SKIPS:
        if pat in cmd:
            return why
    return None


def emit(cmd, expected=""):
    why = reason(cmd)
    if why:
        print("skip\t%s\t%s" % (cmd, why))
    else:
        print("run\t%s\t%s" % (cmd, expected))


def main():
    lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        m = re.match(r"^```(\w*)\s*$", line)
        if m:
            lang = m.group(1)
            j = i + 1
            body = []
            while j < n and not lines[j].startswith("```"):
                body.append(lines[j])
                j += 1
            if lang in ("sh", "shell", "bash"):
                cmd = ""
                for b in body:
                    s = b.strip()
                    if not cmd and (not s or s.startswith("#")):
                        continue
                    s = re.sub(r"\s+#[^'\"]*$", "", s) if not s.endswith("\\") else s
                    if s.endswith("\\"):
                        cmd += s[:-1].rstrip() + " "
                        continue
                    emit(cmd + s)
                    cmd = ""
            elif lang == "":
                k = 0
                while k < len(body):
                    if body[k].startswith("$ "):
                        cmd = body[k][2:]
                        out = []
                        k += 1
                        while k < len(body) and not body[k].startswith("$ "):
                            out.append(body[k])
                            k += 1
                        while out and not out[-1].strip():
                            out.pop()
                        emit(cmd, "\x1f".join(out))
                    else:
                        k += 1
            i = j + 1
            continue
        m = re.match(r"^    (sh scripts/\S+)", line)
        if m:
            emit(m.group(1))
        i += 1


if __name__ == "__main__":
    main()
