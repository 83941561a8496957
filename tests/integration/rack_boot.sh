#!/bin/sh
# A simulated rack netboots from pirackd: 108 Pi 3Bs powered at the same
# moment, in isolated mode (a veth per slot) and in flat mode (one bridge,
# boards known by MAC), each played by pisim as docs/pi-boot.md (sections
# 2 to 8) describes the ROM, bootcode.bin and start.elf.  Every Pi must
# get its own slot's address and read its own slot's cmdline.txt, and
# every ROM quirk must be served: the constant xid, no REQUEST, no
# broadcast flag, the three spaces, the reused client port, the Early
# terminate probes, the 3B ROM that needs a second packet after its OFFER.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/pirackd.sh"
. "$TOP/tests/rack/rack_lib.sh"
. "$TOP/tests/rack/report.sh"
need_root rack_boot
command -v jq >/dev/null || { skip rack_boot "jq not installed"; exit 0; }
[ -x "$BIN/pisim" ] && [ -x "$BUILD/pirackd" ] || { not_ok "rack_boot: pirackd or pisim not built"; exit 1; }

SLOTS=${RACK_BOOT_SLOTS:-108}
jqt() { jq -e "$@" >/dev/null 2>&1; }

# A fresh rack and pirackd for one run: $1 = mode, $2 = slots.
start_rack() {
    mode=$1 n=$2
    [ -n "${HOST:-}" ] && { pirackd_stop; ip netns del "$HOST"; ip netns del "$PIS"; }
    HOST=$(ns_new "host$RUN") && PIS=$(ns_new "pis$RUN") || return 1
    rack_create "$HOST" "$PIS" "$n" "$mode" 'pi%03d' || return 1
    rm -rf "$TEST_TMP/boot" "$TEST_TMP/state" "$TEST_TMP/run"
    if [ "$mode" = flat ]; then
        rack_conf "$TEST_TMP/pirackd.conf" "$n" flat rackbr
    else
        rack_conf "$TEST_TMP/pirackd.conf" "$n" isolated 'pi%03d'
    fi
    rack_bootfiles "$TEST_TMP/boot/default"
    rack_slot_files "$TEST_TMP/boot" "$n"
    pirackd_start "$HOST" "$TEST_TMP/pirackd.conf"
}

# Flat mode: the board's MAC says the slot.  `pirack assign` when the CLI
# has it, else the store's boards table (what bring-up fills in).
assign_boards() {   # $1 = model, $2 = slots
    if cli --help 2>&1 | grep -q assign; then
        i=1
        while [ $i -le "$2" ]; do cli assign $i "$(rack_pi_mac "$1" $i)" >/dev/null || return 1; i=$((i + 1)); done
        return 0
    fi
    i=1
    { echo "BEGIN;"
      while [ $i -le "$2" ]; do
          echo "INSERT INTO boards (mac, slot, first_seen_ms) VALUES ('$(rack_pi_mac "$1" $i)', $i, 0);"
          i=$((i + 1))
      done
      echo "COMMIT;"; } | sqlite3 "$TEST_TMP/state/pirack.db"
}

boot_pis() {   # $1 = json, rest: pisim arguments
    _j=$1; shift
    timeout 150 ip netns exec "$PIS" "$BIN/pisim" --until-booted --timeout 120 \
        --kernel-ms 1000 --json "$_j" "$@" 2>"$_j.err"
    rack_summary "$_j"    # into the log
}

dhcp_served() { ip netns exec "$HOST" ss -Hlun 'sport = :67' | grep -q .; }
tftp_served() { ip netns exec "$HOST" ss -Hlun 'sport = :69' | grep -q .; }

RUN=1
start_rack isolated 2 || { not_ok "rack_boot: rack and pirackd"; exit 1; }
if ! dhcp_served || ! tftp_served; then
    skip rack_boot "this pirackd does not serve both DHCP and TFTP yet"
    exit 0
fi

# Checks on a 108-Pi run; $1 = json, $2 = mode.
check_rack() {
    J=$1 m=$2
    check "rack_boot $m: all $SLOTS Pi 3Bs booted" jqt ".summary.booted == $SLOTS" "$J"
    bad=0 i=1
    while [ $i -le "$SLOTS" ]; do
        jqt ".pis[$((i - 1))] | .address == \"$(rack_ip $i 2)\" and (.cmdline // \"\" | endswith(\"pirack.slot=$i\"))" "$J" ||
            { bad=$((bad + 1)); [ $bad -le 3 ] && jq -c ".pis[$((i - 1))] | {iface, state, address, cmdline, reason}" "$J"; }
        i=$((i + 1))
    done
    check "rack_boot $m: every Pi has its own slot's address and read its own cmdline.txt" test $bad -eq 0
    check "rack_boot $m: one xid (0x26f30339) from every ROM, yet $SLOTS distinct addresses" \
        jqt "([.pis[].events[] | select(.what == \"dhcp_discover\" and .client != \"os\" and .client != \"eeprom-pi4\") | .xid] | unique == [\"0x26f30339\"])
             and ([.pis[].address] | unique | length == $SLOTS)" "$J"
    check "rack_boot $m: the ROM and bootcode.bin never sent a REQUEST" \
        jqt '[.pis[].events[] | select(.what == "dhcp_request" and .client != "os")] | length == 0' "$J"
    check "rack_boot $m: OFFERs reached clients without the broadcast flag (unicast)" \
        jqt '[.pis[].events[] | select(.what == "dhcp_offer" and .client == "rom-3b") | .flags] | unique == ["0x0000"]' "$J"
    check "rack_boot $m: every OFFER satisfied the 3B ROM (three spaces)" \
        jqt '[.pis[].events[] | select(.what == "dhcp_offer_ignored")] | length == 0' "$J"
    check "rack_boot $m: bootcode.bin and bootsig.bin served to port 49152" \
        jqt '[.pis[] | [.events[] | select(.what == "tftp")][0:2] |
              (.[0].file == "bootcode.bin" and .[0].result == "ok" and .[0].port == 49152 and .[0].blksize == 512 and
               .[1].file == "bootsig.bin" and .[1].result == "absent" and .[1].port == 49152)] | all' "$J"
    # start.elf probes each file it may use: it reads the OACK and block 1
    # and ends with ERROR 0 "Early terminate" (docs/pi-boot.md section 8).
    # A Pi 3B asks SERIAL/start.elf twice, the dtb and the kernel that way,
    # then reads the kernel in full.  pisim judges every answer by when it
    # reached the Pi's interface, so nothing here may time out: a probe
    # answered late makes the real firmware fall back to other files (a
    # misbehaving server), and an error means a mishandled transfer.
    if jqt '[.pis[] | .serial as $s | [.events[] | select(.what == "tftp")] |
             ([.[] | select(.kind == "probe" and .result == "probed") | .file] ==
              ["\($s)/start.elf", "\($s)/start.elf", "\($s)/bcm2710-rpi-3-b.dtb", "\($s)/kernel7.img"]) and
             ([.[] | select(.file == "\($s)/kernel7.img" and .kind == "read" and .result == "ok")] | length == 1) and
             ([.[] | select(.result == "timeout" or .result == "error")] | length == 0)] | all' "$J"; then
        ok "rack_boot $m: Early terminate probes of start.elf, the dtb and the kernel, then full reads"
    else
        not_ok "rack_boot $m: Early terminate probes of start.elf, the dtb and the kernel, then full reads"
        jq -c '[.pis[] | .iface as $i | .events[] | select(.what == "tftp" and
                 (.result == "timeout" or .result == "error")) | {pi: $i, file, kind, result, dur_ms, answer_ms, error}] | .[:5][]' "$J"
        cp "$J" "$BUILD/test-logs/rack_boot-$m.json"
    fi
}

RUN=2
start_rack isolated "$SLOTS" || { not_ok "rack_boot: isolated rack"; exit 1; }
J=$TEST_TMP/isolated.json
boot_pis "$J" --pattern 'pi%03d' --count "$SLOTS" --model 3b
check_rack "$J" isolated

RUN=3
start_rack flat "$SLOTS" || { not_ok "rack_boot: flat rack"; exit 1; }
assign_boards 3b "$SLOTS" || not_ok "rack_boot flat: assign boards"
J=$TEST_TMP/flat.json
boot_pis "$J" --pattern 'pi%03d' --count "$SLOTS" --model 3b
check_rack "$J" flat

# The other models, and the 3B ROM that sits on its OFFER until a second
# packet comes about a second later (pirackd repeats the OFFER for it).
RUN=4
start_rack isolated 6 || { not_ok "rack_boot: small rack"; exit 1; }
J=$TEST_TMP/models.json
boot_pis "$J" --pi3b-stall pi001:3b+ pi002:3b+ pi003:4 pi004:4 pi005:3b pi006:3b
check "rack_boot: 3B+ and Pi 4 boot with the full handshake" \
    jqt '[.pis[0:4][] | .state == "booted" and ([.events[] | select(.what == "dhcp_ack" and .client != "os")] | length == 1)] | all' "$J"
check "rack_boot: the Pi 4 read start4.elf from its serial directory in 1468-byte blocks" \
    jqt '[.pis[2:4][] | [.events[] | select(.what == "tftp" and (.file | endswith("/start4.elf")) and .result == "ok")][0].blksize == 1468] | all' "$J"
check "rack_boot: a stalling 3B ROM is woken by the second OFFER at its first DISCOVER and boots" \
    jqt '[.pis[4:6][] | .state == "booted" and ([.events[] | select(.what == "dhcp_rom_stalled")] | length == 0) and
                          ([.events[] | select(.what == "dhcp_rom_woken" and .ethertype == "0x0800")] | length == 1)] | all' "$J"
[ "$PR_FAILED" -eq 0 ] || cp "$J" "$BUILD/test-logs/rack_boot-models.json"   # for the next look

# Without the second OFFER that ROM never wakes: the workaround is needed.
RUN=5
start_rack isolated 1 || { not_ok "rack_boot: one-slot rack"; exit 1; }
pirackd_stop
printf '[dhcp]\npi3_second_offer = no\n' >>"$TEST_TMP/pirackd.conf"
pirackd_start "$HOST" "$TEST_TMP/pirackd.conf" || { not_ok "rack_boot: pirackd without the second OFFER"; exit 1; }
J=$TEST_TMP/nosecond.json
boot_pis "$J" --pi3b-stall --fast 5 pi001:3b
check "rack_boot: without pi3_second_offer a stalling 3B ROM sleeps" \
    jqt '.pis[0].state == "failed" and (.pis[0].reason | test("stalled"))' "$J"
pirackd_stop
