#!/bin/sh
# A simulated rack, for as long as a command runs.
#
#   sh tests/rack/rack.sh [-n SLOTS] [-m isolated|flat] [-p PATTERN] [-- COMMAND...]
#
# Makes a rack-host namespace (pirackd runs there), a Pis' namespace and
# SLOTS veth pairs (isolated: both ends named by PATTERN, default pi%03d;
# flat: host ends on one bridge "rackbr"), a synthetic boot set under
# $RACK_DIR/boot/default and a pirackd.conf for it, then runs COMMAND (an
# interactive shell without one) with these in its environment:
#   RACK_HOST_NS RACK_PIS_NS RACK_DIR RACK_CONF RACK_SLOTS RACK_MODE
#   RACK_PATTERN RACK_BOOT BUILD BIN TOP
# and tears everything down when COMMAND ends, fails, or a signal comes.
# Start pirackd:  ip netns exec "$RACK_HOST_NS" "$BUILD/pirackd" -c "$RACK_CONF"
# Boot the Pis:   ip netns exec "$RACK_PIS_NS" "$BIN/pisim" --pattern "$RACK_PATTERN" \
#                     --count "$RACK_SLOTS" --until-booted
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/rack/rack_lib.sh"

RACK_SLOTS=108 RACK_MODE=isolated RACK_PATTERN='pi%03d'
while getopts n:m:p: opt; do
    case $opt in
    n) RACK_SLOTS=$OPTARG ;;
    m) RACK_MODE=$OPTARG ;;
    p) RACK_PATTERN=$OPTARG ;;
    *) echo "usage: rack.sh [-n SLOTS] [-m isolated|flat] [-p PATTERN] [-- COMMAND...]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
case $RACK_MODE in isolated|flat) ;; *) echo "rack.sh: mode is isolated or flat" >&2; exit 2 ;; esac
need_root rack

RACK_HOST_NS=$(ns_new host) && RACK_PIS_NS=$(ns_new pis) || exit 1
rack_create "$RACK_HOST_NS" "$RACK_PIS_NS" "$RACK_SLOTS" "$RACK_MODE" "$RACK_PATTERN" || exit 1
RACK_DIR=$TEST_TMP
RACK_CONF=$RACK_DIR/pirackd.conf
if [ "$RACK_MODE" = flat ]; then
    rack_conf "$RACK_CONF" "$RACK_SLOTS" flat rackbr
else
    rack_conf "$RACK_CONF" "$RACK_SLOTS" isolated "$RACK_PATTERN"
fi
RACK_BOOT=$RACK_DIR/boot
rack_bootfiles "$RACK_BOOT/default"
export RACK_HOST_NS RACK_PIS_NS RACK_DIR RACK_CONF RACK_SLOTS RACK_MODE RACK_PATTERN RACK_BOOT BUILD BIN TOP
echo "rack.sh: $RACK_SLOTS slots ($RACK_MODE), host netns $RACK_HOST_NS, Pis netns $RACK_PIS_NS, dir $RACK_DIR" >&2
if [ $# -gt 0 ]; then
    "$@"
else
    ${SHELL:-sh}
fi
