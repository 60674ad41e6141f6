# pipeline.mk - convert -> verify -> index with pattern rules.
#
# Every folder under $(DATA) (say data/train, data/val, each holding
# class folders) becomes shards $(OUT)/<split>-NNNNN-of-NNNNN.tfrecord with
# DALI indexes.  Works under make -j, rebuilds nothing when nothing
# changed, and a failed step never leaves a target that looks up to date:
#
#   - the convert target is the manifest <split>.json, which tfrec writes
#     last, atomically, after every shard is in place;
#   - the verify and index steps touch their stamp only on success;
#   - .DELETE_ON_ERROR removes a stamp a failed recipe may have begun.
#
# Usage: make -f examples/pipeline.mk -j4 DATA=data OUT=out
# (Paths under $(DATA) must not contain spaces: make cannot list them.)

TFREC ?= tfrec
DATA ?= data
OUT ?= out
OPTS ?= --resize-short 256 --crop 224x224 --shards 4 --shuffle --seed 1

SPLITS := $(notdir $(wildcard $(DATA)/*))

.DELETE_ON_ERROR:
.SECONDEXPANSION:

all: $(SPLITS:%=$(OUT)/%.indexed)

# Rebuild a split when any file under its folder changes.
$(OUT)/%.json: $$(shell find $(DATA)/% -type f) | $(OUT)
	$(TFREC) convert -q $(OPTS) -o $(OUT)/$* $(DATA)/$*

$(OUT)/%.verified: $(OUT)/%.json
	$(TFREC) verify -q $(OUT)/$*-*-of-*.tfrecord
	touch $@

$(OUT)/%.indexed: $(OUT)/%.verified
	$(TFREC) index $(OUT)/$*-*-of-*.tfrecord
	touch $@

$(OUT):
	mkdir -p $@

clean:
	rm -rf $(OUT)

.PHONY: all clean
