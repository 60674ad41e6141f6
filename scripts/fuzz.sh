#!/bin/sh
# fuzz.sh - run every libFuzzer target for a bounded time under ASan and
# UBSan, from seed corpora made from the project's own data.
#
#   sh scripts/fuzz.sh            (FUZZ_SECONDS per target, default 120)
#
# Prints, per target, the executions and crashes; exits 1 on any crash,
# after copying the crashing inputs into tests/fuzz-regress/<target>/ so
# that they become regression tests (tests/t0070-fuzz-replay.sh).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${FUZZ_SECONDS:-120}
PY=python3
[ -x configure ] || autoreconf -fi
[ -f Makefile ] || ./configure
make -j"$(nproc)" >/dev/null
make fuzz
W=$top/build/fuzz
rm -rf "$W"
mkdir -p "$W/seed/record" "$W/seed/example" "$W/seed/image" "$W/seed/source" "$W/crash"
for t in record example image source annot; do mkdir -p "$W/corpus/$t"; done
mkdir -p "$W/seed/annot"
$PY tests/gen-annot.py seeds "$W/seed/annot"

# Seeds: records in all compressions, Example payloads, small images.
$PY tests/gen-records.py examples "$W/seed/record/ex.tfrecord" 4
$PY tests/gen-records.py examples "$W/seed/record/ex.tfrecord.gz" 4
$PY tests/gen-records.py examples "$W/seed/record/ex.tfrecord.zlib" 4
$PY tests/gen-records.py raw "$W/seed/record/raw.tfrecord" 3
$PY tests/gen-images.py "$W/gen"
find "$W/gen" -type f \( -name '*.png' -o -name '*.jpg' \) -exec cp {} "$W/seed/image/" \;
# Every other format and layout, and small hostile headers (needs Pillow).
/usr/bin/python3 tests/gen-formats.py "$W/seed/image" 2>/dev/null || true
/usr/bin/python3 tests/gen-formats.py --hostile "$W/seed/image/hostile" 2>/dev/null &&
	mv "$W/seed/image/hostile/"* "$W/seed/image/" && rmdir "$W/seed/image/hostile" || true
"$top/tfrec" convert -q --no-fsync --resize 8x8 --shards 1 -o "$W/seed/record/conv" "$W/gen/png"
PYTHONPATH=scripts $PY - "$W/seed/record" "$W/seed/example" <<'PYEOF'
import glob, os, sys, tfrec_read as tr
n = 0
for f in sorted(glob.glob(sys.argv[1] + "/*")):
    try:
        for _, data in tr.read_records(f):
            open(os.path.join(sys.argv[2], "p%03d" % n), "wb").write(data)
            n += 1
    except Exception:
        pass
PYEOF
# Input sources: small archives, WebDataset, tables, a TFRecord.
$PY - "$W/seed/source" "$W/gen/png" <<'PYEOF'
import glob, io, json, os, sys, tarfile, zipfile
out, imgs = sys.argv[1], sorted(glob.glob(sys.argv[2] + "/*.png"))[:3]
def tar(name, members, mode="w"):
    with tarfile.open(os.path.join(out, name), mode) as t:
        for n, d in members:
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))
data = [open(f, "rb").read() for f in imgs]
tar("a.tar", [("c/%d.png" % i, d) for i, d in enumerate(data)])
tar("a.tgz", [("c/%d.png" % i, d) for i, d in enumerate(data)], "w:gz")
tar("w.tar", [m for i, d in enumerate(data) for m in (("%d.cls" % i, b"1"), ("%d.png" % i, d), ("%d.json" % i, b"{}"))])
inner = io.BytesIO()
with tarfile.open(fileobj=inner, mode="w") as t:
    ti = tarfile.TarInfo("x.png"); ti.size = len(data[0]); t.addfile(ti, io.BytesIO(data[0]))
tar("n.tar", [("n1.tar", inner.getvalue())])
with zipfile.ZipFile(os.path.join(out, "a.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("c/0.png", data[0])
open(os.path.join(out, "t.csv"), "w").write('path,label,tags,id,n,f,s\n"a.png",x,"p;q",1,2,0.5,"s,t"\n')
open(os.path.join(out, "t.jsonl"), "w").write(json.dumps({"path": "a", "label": ["x", 1], "n": 3}) + "\n")
PYEOF
cp "$W/seed/record/ex.tfrecord" "$W/seed/source/" 2>/dev/null || true
if [ -d "$top/../shared/testdata" ]; then
	td=$top/../shared/testdata
	find "$td/tfrecord" -type f -name '*.tfrecord*' -exec cp {} "$W/seed/record/" \; 2>/dev/null || true
	find "$td/images" "$td/images-bad" -type f -size -64k \
		-exec cp {} "$W/seed/image/" \; 2>/dev/null || true
fi

[ -f "$top/../shared/testdata/dataset/dali-coco/instances.json" ] &&
	cp "$top/../shared/testdata/dataset/dali-coco/instances.json" "$W/seed/annot/dali-coco.json"
for t in record example image source annot; do mkdir -p "tests/fuzz-regress/$t"; done
status=0
summary=
for t in record example image source annot; do
	log=$W/$t.log
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	"fuzz/fuzz-$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len=65536 -print_final_stats=1 -artifact_prefix="$W/crash/$t-" \
		"$W/corpus/$t" "$W/seed/$t" "tests/fuzz-regress/$t" >"$log" 2>&1 || true
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	crashes=$(ls "$W/crash" | grep -c "^$t-" || true)
	line="fuzz: $t: ${runs:-0} executions in ${secs}s, $crashes crashes"
	echo "$line"
	summary="$summary$line
"
	if [ "$crashes" -gt 0 ] || [ -z "$runs" ]; then
		status=1
		tail -40 "$log"
		mkdir -p "tests/fuzz-regress/$t"
		for c in "$W/crash/$t-"*; do
			[ -f "$c" ] && cp "$c" "tests/fuzz-regress/$t/$(basename "$c" | sed "s/^$t-//")"
		done
	fi
done
printf '%s' "$summary" >"$W/summary.txt"
exit $status
