#!/bin/sh
. "${TOP_SRCDIR}/tests/lib.sh"
skip_all "todo"
