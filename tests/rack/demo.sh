#!/bin/sh
# make demo: start pirackd on an example rack in a namespace of its own and
# show what it knows.  (The simulated Pis join when the boot path lands.)
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"

need_root demo
ns=$(ns_new demo) || exit 1
rack_conf "$TEST_TMP/pirackd.conf" 108
pirackd_start "$ns" "$TEST_TMP/pirackd.conf" || exit 1
echo "== pirack status"; cli status
echo "== pirack slots (first 10)"; cli slots | head -n 11
echo "== pirack show 1"; cli show 1
pirackd_stop
