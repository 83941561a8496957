#!/bin/sh
# Per-Pi roots through pirack(1) and the real pirackd: two images made by
# the test and imported; pirack reimage builds a generation of slot 1's
# root from its image (personalised: its own hostname and host keys), its
# boot directory with the image's files hardlinked and a cmdline.txt that
# mounts that root over NFSv3; a reimage to another image makes gen-2 and
# keeps gen-1 for --undo; one reimage per slot at a time (busy: slot 2's
# Pi is on, powered by the SSH switch simulator, and its reimage is held
# in flight by the switch's "hold" until the test has seen the 409); the
# clone method in pirack status.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"
. "$TOP/tests/lib/image.sh"

need_root image_reimage
make_pi_image "$TEST_TMP/a" image-a || { not_ok "the test's disk image a is made"; exit 1; }
make_pi_image "$TEST_TMP/b" image-b || { not_ok "the test's disk image b is made"; exit 1; }
command -v jq >/dev/null || { skip image_reimage "jq is not installed (make deps)"; exit 0; }
command -v sshd >/dev/null || { skip image_reimage "sshd is not installed (make deps)"; exit 0; }
_ns=$(ns_new image_reimage) || exit 1
SIM_NS=$_ns
. "$TOP/tests/lib/poe_sim.sh"
sim_state_new 2
ssh_sim_start procurve || { not_ok "the switch simulator (sshd) starts"; exit 1; }
rack_conf "$TEST_TMP/pirackd.conf" 2
cat >>"$TEST_TMP/pirackd.conf" <<EOF
[power]
hold = 1s
stagger = 0ms
profiles = $TOP/poe/profiles
[switch a]
driver = ssh
address = 127.0.0.1:$SSH_PORT
profile = procurve
slots = 2
port_base = 2
ssh_user = root
ssh_key = $SSH_KEY
hostkey = $SSH_HOSTKEY_FP
timeout = 30s
EOF
pirackd_start "$_ns" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts"; exit 1; }
ok "pirackd starts (2 slots, slot 2 on a switch) and answers pirack status"
R=$TEST_TMP/roots B=$TEST_TMP/boot

run status
check "status says how roots are made" has "^roots: *made by \(reflink\|btrfs-snapshot\|copy_file_range\|copy\)$"
run image import a "$TEST_TMP/a/disk.img"
run image import b "$TEST_TMP/b/disk.img"
check "two images imported" sh -c "test $rc -eq 0"

run reimage 1
check "reimage without an image is refused with the reason" \
    sh -c "test $rc -eq 1 && grep -q 'has no image' '$err'"
run set 1 image=a
run reimage 1
check "reimage 1 exits 0" test "$rc" -eq 0
check "reimage 1 says gen-1 is current" has "^slot 1 reimaged: gen-1 is current"
check "ROOTS/001 is the current generation" test "$(readlink "$R/001")" = gens/001/gen-1
check "the root has the pi's own hostname" grep -qx test-001 "$R/001/etc/hostname"
check "the root has a machine-id of its own" grep -qx '[0-9a-f]\{32\}' "$R/001/etc/machine-id"
check "the root has fresh host keys" test -s "$R/001/etc/ssh/ssh_host_ed25519_key"
check "BOOT/001 is the generation's boot directory" test "$(readlink "$B/001")" = .gens/001-gen-1
check "cmdline.txt mounts the root over NFSv3/TCP from the slot's .1" \
    grep -q "root=/dev/nfs nfsroot=10\.99\.0\.1:$R/gens/001/gen-1,vers=3,tcp rw ip=10\.99\.0\.2:10\.99\.0\.1::255\.255\.255\.252:test-001:eth0:off rootwait" "$B/001/cmdline.txt"
sha=$(cli --json image show a | jq -r .sha256)
check "the boot files are hardlinks to the image's, not copies" \
    test "$(stat -c %i "$B/001/kernel8.img")" = "$(stat -c %i "$TEST_TMP/images/$sha/boot/kernel8.img")"
check "the image's own cmdline.txt is untouched" sh -c "! grep -q nfsroot '$TEST_TMP/images/$sha/boot/cmdline.txt' 2>/dev/null"
check "no EEPROM firmware in the boot directory" test ! -e "$B/001/pieeprom.bin"
run events --slot 1 --json
check "the host keys' fingerprints are recorded" \
    jqt '[.events[] | select(.kind == "image.root-built") | .detail.ed25519] | length == 1 and (.[0] | startswith("SHA256:"))'

run reimage 1 --image b
check "reimage 1 --image b makes gen-2" sh -c "test $rc -eq 0 && test \"\$(readlink '$R/001')\" = gens/001/gen-2"
check "b becomes the pi's image" sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json show 1 | jq -e '.pi.image == \"b\"' >/dev/null"
check "gen-1 is kept for undo" test -d "$R/gens/001/gen-1"
run reimage 1 --undo
check "reimage --undo goes back to gen-1" sh -c "test $rc -eq 0 && test \"\$(readlink '$R/001')\" = gens/001/gen-1 && test \"\$(readlink '$B/001')\" = .gens/001-gen-1"

run power on 2
check "slot 2's Pi is on" wait_for 20 sh -c "test \"\$(cut -c 2 '$SIM_STATE')\" = 1 && $BUILD/pirack --socket $PIRACK_SOCK --json show 2 | jq -e '.. | objects | select(has(\"power\")) | .power == \"on\"' >/dev/null"
# The switch holds every power change: the reimage stays in flight (it
# must power the Pi off before it switches) until the line goes.
echo hold >>"$SIM_CTL"
run reimage 2 --image a --no-wait
check "a reimage starts (--no-wait)" test "$rc" -eq 0
run reimage 2 --image a
check "a second reimage while one runs is busy (409)" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: busy: slot 2 is already being reimaged' '$err'"
sed -i '/^hold$/d' "$SIM_CTL"
check "slot 2's reimage finishes once the switch lets go" wait_for 60 sh -c "test -L '$R/002'"
check "and its Pi is powered on again" wait_for 20 sh -c "test \"\$(cut -c 2 '$SIM_STATE')\" = 1"
run image remove a
check "an image a pi uses cannot be removed" sh -c "test $rc -eq 1 && grep -q in-use '$err'"

run reimage 1 --wipe
check "reimage --wipe wipes the root's generations" \
    sh -c "test $rc -eq 0 && test ! -e '$R/001' && test ! -e '$B/001'"
check "the generations' trees go in the background" wait_for 20 sh -c "test -z \"\$(ls -A '$R/gens' | grep 001)\" && test -z \"\$(ls -A '$B/.gens' | grep '^001-')\""
check "slot 2's root is untouched" test -f "$R/002/etc/hostname"

# A reimage that a stop interrupted is finished by the next start.
pirackd_stop
sqlite3 "$TEST_TMP/state/pirack.db" \
    "INSERT INTO reimage_ops (slot, image, actor, created_ms, updated_ms, phase) VALUES (2, 'a', 'ops', 1, 1, 'building')"
pirackd_start "$_ns" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts again"; exit 1; }
check "an interrupted reimage is finished after a restart" \
    wait_for 60 sh -c "$BUILD/pirack --socket $PIRACK_SOCK --json events --slot 2 | jq -e '[.events[] | select(.kind == \"image.reimaged\")] | length == 2' >/dev/null"
check "and its generation is current" test "$(readlink "$R/002")" = gens/002/gen-2
