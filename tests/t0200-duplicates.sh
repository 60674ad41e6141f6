#!/bin/sh
# t0200-duplicates: tfrec duplicates and convert --dedupe (issue 23).
#   - a planted set made with Pillow from sample-data/photos: copies
#     resized 0.5x, recompressed at q30, cropped 5%, PNG to JPEG, a byte
#     copy under another class (a class conflict) and one in another
#     split (leakage); each planted group is found with its kind, and the
#     distinct photos stay apart;
#   - --json fields, exit statuses 0 (none), 3 (groups), 1 (bad image),
#     2 (usage); the same output for -j 1 and -j 3; --export sheets;
#   - tfrec's tensor shards as inputs (pictures read back);
#   - convert --dedupe: -j and --part byte identity, skips with reasons;
#     --fingerprints and --against;
#   - every file in ../shared/testdata/images-bad gives exit 0 or a clear
#     error naming it, and --on-error skip warns and goes on.
. "${TOP_SRCDIR}/tests/lib.sh"
need_numpy_python
"$PY" -c 'import PIL.Image' 2>/dev/null || skip_all "python3 PIL is not installed"
PHOTOS=$TOP_SRCDIR/sample-data/photos
D=$TMP/set
"$PY" - "$PHOTOS" "$D" <<'PYEOF'
import os, sys
from PIL import Image
src, out = sys.argv[1], sys.argv[2]
for d in ("train/cat", "train/goat", "val/cat", "val/goat", "alone"):
    os.makedirs(os.path.join(out, d), exist_ok=True)
def small(p):
    im = Image.open(p).convert("RGB")
    w, h = im.size
    s = 320 / max(w, h)
    return im.resize((round(w * s), round(h * s)), Image.LANCZOS)
cat1 = small(os.path.join(src, "cat/cat-800x600-2.jpg"))
goat1 = small(os.path.join(src, "goat/goat-640x427-3.jpg"))
cat3 = small(os.path.join(src, "cat/cat-800x600-3.jpg"))
goat2 = small(os.path.join(src, "goat/goat-640x640-1.jpg"))
cat2 = small(os.path.join(src, "cat/cat-640x853-1.jpg"))
# originals
cat1.save(f"{out}/train/cat/a-orig.jpg", quality=92)
goat1.save(f"{out}/train/goat/b-orig.png")
cat3.save(f"{out}/train/cat/c-orig.jpg", quality=92)
goat2.save(f"{out}/train/goat/d-orig.jpg", quality=92)
# near copies of a: half size, q30, 5% crop (2.5% off each side)
w, h = cat1.size
cat1.resize((w // 2, h // 2), Image.LANCZOS).save(f"{out}/train/cat/a-half.jpg", quality=90)
cat1.save(f"{out}/train/cat/a-q30.jpg", quality=30)
cat1.crop((w // 40, h // 40, w - w // 40, h - h // 40)).save(f"{out}/train/cat/a-crop5.jpg", quality=90)
# b: PNG to JPEG, in the val split (leakage)
goat1.save(f"{out}/val/goat/b-jpeg.jpg", quality=85)
# c: a byte copy under another class (exact, class conflict)
with open(f"{out}/train/cat/c-orig.jpg", "rb") as f:
    data = f.read()
with open(f"{out}/train/goat/c-copy.jpg", "wb") as f:
    f.write(data)
# distinct photos: no group among them
cat2.save(f"{out}/alone/e.jpg", quality=90)
goat2.transpose(Image.FLIP_LEFT_RIGHT).save(f"{out}/alone/f-mirror.jpg", quality=90)
PYEOF
[ -f "$D/train/cat/a-orig.jpg" ] || { not_ok "planted set made"; done_testing; exit 1; }

check_exit 3 "groups found: exit 3" "$TFREC" duplicates --json -j 1 -s train="$D/train" -s val="$D/val"
cp "$TMP/.out" "$TMP/j1.jsonl"
"$TFREC" duplicates --json -j 3 -s train="$D/train" -s val="$D/val" >"$TMP/j3.jsonl"
cmp -s "$TMP/j1.jsonl" "$TMP/j3.jsonl" && ok "-j 1 and -j 3 print the same bytes" || not_ok "-j 1 and -j 3 print the same bytes"
check "planted groups, kinds, leak, conflict and --json fields" "$PY" - "$TMP/j1.jsonl" <<'PYEOF'
import json, sys
groups = [json.loads(l) for l in open(sys.argv[1])]
def names(g):
    return sorted(m["path"] for m in g["members"])
byset = {tuple(names(g)): g for g in groups}
for g in groups:
    assert set(g) >= {"kind", "leak", "conflict", "members"}, g
    for m in g["members"]:
        assert set(m) >= {"input", "path", "label", "split"}, m
want = {
    ("cat/a-crop5.jpg", "cat/a-half.jpg", "cat/a-orig.jpg", "cat/a-q30.jpg"): ("near", False, False),
    ("goat/b-jpeg.jpg", "goat/b-orig.png"): ("near", True, False),
    ("cat/c-orig.jpg", "goat/c-copy.jpg"): ("exact", False, True),
}
assert len(groups) == len(want), [names(g) for g in groups]
for k, (kind, leak, conflict) in want.items():
    g = byset.get(k)
    assert g, ("missing", k, list(byset))
    assert (g["kind"], g["leak"], g["conflict"]) == (kind, leak, conflict), g
b = byset[("goat/b-jpeg.jpg", "goat/b-orig.png")]
assert [m["split"] for m in b["members"]] == ["train", "val"], b
assert [m["label"] for m in byset[("cat/c-orig.jpg", "goat/c-copy.jpg")]["members"]] == ["cat", "goat"]
# input order (names in byte order): the a- group first, a-crop5 first
assert groups[0]["members"][0]["path"] == "cat/a-crop5.jpg", groups[0]
PYEOF
check_exit 0 "distinct photos (one mirrored): no group, exit 0" "$TFREC" duplicates "$D/alone" "$D/train/cat/a-orig.jpg"
check_exit 3 "--exact: the byte copy only" "$TFREC" duplicates --exact "$D/train"
[ "$(grep -c '^group' "$TMP/.out")" = 1 ] && out_has "--exact: kind exact in the text" "group 1: exact, 2 images, CLASS CONFLICT" ||
	not_ok "--exact: one group"
check_exit 3 "--distance 0 still finds the exact group" "$TFREC" duplicates -d 0 "$D/train"
check_exit 2 "--distance 17 is a usage error" "$TFREC" duplicates -d 17 "$D/train"
check_exit 2 "--split without = is a usage error" "$TFREC" duplicates -s train "$D/train"
check_exit 2 "no INPUT is a usage error" "$TFREC" duplicates
check_exit 0 "--help" "$TFREC" duplicates --help
out_has "--help tells the exit status" "3 groups found"
mkdir -p "$TMP/sheets"
check_exit 3 "--export DIR" "$TFREC" duplicates -e "$TMP/sheets" -s train="$D/train" -s val="$D/val"
n=$(ls "$TMP/sheets" | grep -c '^group-0000[0-9][0-9]\.png$')
[ "$n" = 3 ] && ok "--export: a contact sheet per group" || not_ok "--export: a contact sheet per group ($n)"
check "--export sheets are PNG images" "$PY" -c 'import sys; from PIL import Image; [Image.open(p).verify() for p in sys.argv[1:]]' "$TMP"/sheets/*.png

# a bad image: exit 1 naming it; --on-error skip warns and goes on
printf 'not a jpeg' >"$D/train/cat/zz-bad.jpg"
check_exit 1 "an undecodable image: exit 1" "$TFREC" duplicates "$D/train"
err_has "the error names the file" "zz-bad.jpg"
check_exit 3 "--on-error skip: goes on" "$TFREC" duplicates --on-error skip "$D/train"
err_has "--on-error skip: a warning names the file" "zz-bad.jpg': not an image"
rm -f "$D/train/cat/zz-bad.jpg"

if have_testdata images-bad "images-bad: clear errors"; then
	bad=0
	for f in $(find "$TESTDATA/images-bad" -type f | sort); do
		"$TFREC" duplicates "$f" >"$TMP/.out" 2>"$TMP/.err"
		rc=$?
		case $rc in
		0) ;;
		1) grep -qF "$(basename "$f")" "$TMP/.err" || { bad=$((bad + 1)); echo "# no name: $f"; sed 's/^/# /' "$TMP/.err"; } ;;
		*) bad=$((bad + 1)); echo "# exit $rc: $f" ;;
		esac
	done
	[ $bad = 0 ] && ok "images-bad: every file exits 0 or 1 with its name" || not_ok "images-bad: $bad files without a clear error"
	"$TFREC" duplicates --on-error skip "$TESTDATA/images-bad" >"$TMP/.out" 2>"$TMP/.err"
	rc=$?
	{ [ $rc = 0 ] || [ $rc = 3 ]; } && grep -q "warning: skipped" "$TMP/.err" &&
		ok "images-bad with --on-error skip: warnings, no failure" ||
		not_ok "images-bad with --on-error skip (exit $rc)"
fi

# tfrec's tensor shards as INPUTs: the pictures read back (float16 here)
"$TFREC" convert -q --no-fsync --resize 64x64 --shards 1 -o "$TMP/ts/o" "$D/train" 2>/dev/null
check_exit 3 "a tensor shard and a folder: groups found" "$TFREC" duplicates --json -s train="$TMP/ts/o-00000-of-00001.tfrecord" -s val="$D/val"
cp "$TMP/.out" "$TMP/ts.jsonl"
check "tensor shard members: image/filename and class text as path and label" "$PY" - "$TMP/ts.jsonl" <<'PYEOF'
import json, sys
gs = [json.loads(l) for l in open(sys.argv[1])]
paths = sorted(sorted(m["path"] for m in g["members"]) for g in gs)
assert ["cat/c-orig.jpg", "goat/c-copy.jpg"] in paths, paths
assert ["cat/a-crop5.jpg", "cat/a-half.jpg", "cat/a-orig.jpg", "cat/a-q30.jpg"] in paths, paths
assert ["goat/b-jpeg.jpg", "goat/b-orig.png"] in paths, paths
m = [m for g in gs for m in g["members"] if m["path"] == "cat/a-orig.jpg"][0]
assert m["input"].endswith("o-00000-of-00001.tfrecord") and m["label"] == "cat", m
assert [g["leak"] for g in gs if any(m["split"] == "val" for m in g["members"])] == [True], gs
PYEOF

# convert --dedupe: the first of each group kept, the others skips with a
# reason; the same bytes for -j 1, -j 3 and two --part runs merged
C="$TFREC convert -q --no-fsync --resize 32x32 --shards 3"
check "convert --dedupe near -j 1" $C --dedupe near -j 1 -o "$TMP/c1/o" "$D/train" "$D/val"
$C --dedupe near -j 3 -o "$TMP/c3/o" "$D/train" "$D/val" 2>/dev/null
$C --dedupe near -j 2 --part 1/2 -o "$TMP/cp/o" "$D/train" "$D/val" 2>/dev/null
$C --dedupe near -j 1 --part 2/2 -o "$TMP/cp/o" "$D/train" "$D/val" 2>/dev/null
"$TFREC" manifest merge -q --no-fsync "$TMP/cp/o"
same=1
for f in "$TMP"/c1/o-0*.tfrecord "$TMP/c1/o.json" "$TMP/c1/o.fingerprints"; do
	b=$(basename "$f")
	cmp -s "$f" "$TMP/c3/$b" || { same=0; echo "# -j differs: $b"; }
	cmp -s "$f" "$TMP/cp/$b" || { same=0; echo "# --part differs: $b"; }
done
[ $same = 1 ] && ok "--dedupe: -j 1, -j 3 and --part 1/2 + 2/2 give the same shards, manifest and fingerprints" ||
	not_ok "--dedupe: -j and --part byte identity"
check "--dedupe: 5 duplicates dropped, listed with reasons, 4 records kept" "$PY" - "$TMP/c1/o.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
sk = {s["file"].split("/set/")[1]: s["reason"] for s in m["skipped"]}
want = {"train/cat/a-half.jpg", "train/cat/a-orig.jpg", "train/cat/a-q30.jpg",
        "train/goat/c-copy.jpg", "val/goat/b-jpeg.jpg"}
assert set(sk) == want, sk
assert sk["train/goat/c-copy.jpg"].startswith("exact duplicate of '"), sk
assert sk["train/cat/a-q30.jpg"].startswith("near duplicate of '") and sk["train/cat/a-q30.jpg"].endswith("a-crop5.jpg'"), sk
assert m["records"] == 4, m["records"]
assert m["options"]["dedupe"] == "near", m["options"]
PYEOF
check_exit 0 "convert without -q reports the count" "$TFREC" convert --no-fsync --resize 32x32 --dedupe exact -o "$TMP/c5/o" "$D/train"
err_has "the summary counts the dropped duplicates" "1 duplicates dropped"
check_exit 2 "--dedupe maybe is a usage error" $C --dedupe maybe -o "$TMP/c6/o" "$D/train"
# --against: val checked against train's fingerprints, no decode of train
check "convert --fingerprints (train)" $C --fingerprints -o "$TMP/tr/o" "$D/train"
[ -s "$TMP/tr/o.fingerprints" ] && [ "$(( $(wc -c <"$TMP/tr/o.fingerprints") ))" = $((8 + 16 * 8)) ] &&
	ok "PREFIX.fingerprints: a header and 16 bytes for each of the 8 images" ||
	not_ok "PREFIX.fingerprints size ($(wc -c <"$TMP/tr/o.fingerprints"))"
check "convert --against train (val)" $C --against "$TMP/tr/o" -o "$TMP/va/o" "$D/val"
check "--against: b-jpeg.jpg (a copy of train's b-orig.png) dropped, nothing else" "$PY" - "$TMP/va/o.json" <<'PYEOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert [s["file"].split("/set/")[1] for s in m["skipped"]] == ["val/goat/b-jpeg.jpg"], m["skipped"]
assert "earlier run" in m["skipped"][0]["reason"], m["skipped"]
assert m["records"] == 0 and m["options"]["against"] == 1
PYEOF
printf 'junk' >"$TMP/bad.fingerprints"
check_exit 1 "--against a foreign file: exit 1" $C --against "$TMP/bad" -o "$TMP/vb/o" "$D/val"
err_has "the error names the file" "bad.fingerprints': not a tfrec fingerprints file"
done_testing
