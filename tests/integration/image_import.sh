#!/bin/sh
# Images through pirack(1) and the real pirackd: a disk image made by the
# test imported without mounting, listed and shown; the firmware a Pi must
# not fetch left out; a name is immutable; an image a pi names cannot be
# removed; removal of the last name removes the directory; a bad source
# fails with the reason; images outlive a restart.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/lib/cli_rack.sh"
. "$TOP/tests/lib/image.sh"

need_root image_import
make_pi_image "$TEST_TMP/img" bookworm-test || { not_ok "the test's disk image is made"; exit 1; }
cli_rack image_import 2

run image import bookworm "$TEST_TMP/img/disk.img"
check "image import exits 0 when the image is ready" test "$rc" -eq 0
check "image import says ready, with the models" has "^image bookworm ready: .*models 3b, sha256 [0-9a-f]\{64\}$"
run --json image show bookworm
check "image show --json: ready, disk, sha256, in use by none" \
    jqt '.state == "ready" and .kind == "disk" and (.sha256 | length) == 64 and .in_use == 0'
sha=$(jq -r .sha256 "$out")
check "the image is at images/SHA/boot and root" \
    test -f "$TEST_TMP/images/$sha/boot/kernel8.img" -a -f "$TEST_TMP/images/$sha/root/etc/hostname"
check "the root's hostname came out of the ext4 partition" \
    grep -qx bookworm-test "$TEST_TMP/images/$sha/root/etc/hostname"
check "pieeprom.bin and recovery.bin are not in boot/" \
    test ! -e "$TEST_TMP/images/$sha/boot/pieeprom.bin" -a ! -e "$TEST_TMP/images/$sha/boot/recovery.bin"

run image import bookworm "$TEST_TMP/img/disk.img"
check "a second import of a name is refused (name-taken)" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: name-taken: image bookworm already exists' '$err'"
run image import same "$TEST_TMP/img/disk.img"
check "the same bytes under another name share the directory" \
    sh -c "test $rc -eq 0 && test \$(ls '$TEST_TMP/images' | grep -c .) -eq 1"

head -c 70000 /dev/urandom >"$TEST_TMP/junk.bin"
run image import junk "$TEST_TMP/junk.bin"
check "a source that is no image fails, with the reason" \
    sh -c "test $rc -eq 1 && grep -q 'import of junk failed: .*is not a disk image' '$err'"
run --json image list
check "image list shows the images and the failed import" \
    jqt '[.images[] | {name, state}] == [{"name":"bookworm","state":"ready"},{"name":"same","state":"ready"},{"name":"junk","state":"failed"}]'
run image list
check "image list prints a table" has "^bookworm  *ready  *.*3b  *0  *${sha%"${sha#????????????}"}"

run set 1 image=bookworm
run image remove bookworm
check "an image a pi names is not removed (in-use)" \
    sh -c "test $rc -eq 1 && grep -q '^pirack: in-use: image bookworm is in use by 1 pi' '$err'"
run set 1 image=
run image remove bookworm
check "an unused image is removed" sh -c "test $rc -eq 0 && grep -q 'image bookworm removed' '$out'"
check "its directory stays while another name shares it" test -d "$TEST_TMP/images/$sha"
run image remove same
check "removing the last name removes the directory" wait_for 10 test ! -e "$TEST_TMP/images/$sha"
check "and leaves no trash behind" wait_for 10 sh -c "test -z \"\$(ls -A '$TEST_TMP/images')\""

run image import again "$TEST_TMP/img/disk.img"
pirackd_stop
pirackd_start "$_ns" "$TEST_TMP/pirackd.conf" || { not_ok "pirackd starts again"; exit 1; }
run --json image show again
check "images outlive a restart" jqt '.state == "ready" and .sha256 == "'"$sha"'"'
run image show nosuch
check "an unknown image is no-such-image" sh -c "test $rc -eq 1 && grep -q '^pirack: no-such-image' '$err'"
run events --slot 0
check "imports and removals are events" sh -c "grep -q image.imported '$out' && grep -q image.removed '$out' && grep -q image.import-failed '$out'"
