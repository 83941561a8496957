# Prints pisim's JSON report as a table and a summary (source; needs jq).
#
#   rack_report JSON     one line per Pi, then the summary
#   rack_summary JSON    the summary only
# Times are milliseconds since that Pi's power-on.

rack_report() {
    echo "times in ms from each Pi's power-on: disc = first DISCOVER, offer = OFFER taken,"
    echo "bootc = bootcode.bin read, kernel = kernel read, booted = the OS's DHCP ACK"
    printf '%-4s %-7s %-7s %-13s %6s %6s %6s %6s %6s %5s %6s  %s\n' \
        slot iface state address disc offer bootc kernel booted files MB reason
    jq -r '
      def at(f): (first(.events[] | select(f)) | .ms) as $t | if $t == null then "-" else ($t - .power_on_ms) end;
      .pis[] | [.index, .iface, .state, (.address // "-"),
        at(.what == "dhcp_discover"), at(.what == "dhcp_offer"),
        at(.what == "tftp" and .file == "bootcode.bin" and .result == "ok"),
        at(.what == "kernel_done"), at(.what == "booted"),
        .tftp_files, ((.tftp_bytes / 104857.6 | floor) / 10), (.reason // "")] | @tsv' "$1" |
    while IFS="$(printf '\t')" read -r slot ifc st addr d o b k bt f mb why; do
        printf '%-4s %-7s %-7s %-13s %6s %6s %6s %6s %6s %5s %6s  %.70s\n' \
            "$slot" "$ifc" "$st" "$addr" "$d" "$o" "$b" "$k" "$bt" "$f" "$mb" "$why"
    done
    rack_summary "$1"
}

rack_summary() {
    jq -r '
      [.pis[] | select(.state == "booted")] as $ok |
      [.pis[] | select(.state == "failed")] as $bad |
      ([.pis[].power_on_ms | select(. >= 0)] | min) as $t0 |
      "\(.summary.pis) Pis: \($ok | length) booted, \($bad | length) failed, \(.summary.booting) still booting, \(.summary.off) off",
      (if ($ok | length) == .summary.pis and ($ok | length) > 0
       then "all booted \(([$ok[].booted_ms] | max) - $t0) ms after the first power-on"
       else "not all booted" end),
      (if ($ok | length) > 0 then
         ([$ok[].boot_ms] | sort) as $b |
         "boot time per Pi: min \($b[0]) ms, median \($b[($b | length) / 2 | floor]) ms, max \($b[-1]) ms" else empty end),
      "TFTP: \([.pis[].tftp_files] | add) files, \(([.pis[].tftp_bytes] | add) / 1048576 | floor) MB",
      ([.pis[].events[] | select(.what == "tftp") | .answer_ms | select(. != null)] | sort) as $a |
      (if ($a | length) > 0 then
         "TFTP first answers, as the Pis saw them: median \($a[($a | length) / 2 | floor]) ms, max \($a[-1]) ms" else empty end),
      ($bad | group_by(.reason | sub("[0-9a-f]{8}/"; "SERIAL/")) | .[] |
         "failed x\(length): \(.[0].reason)")' "$1"
}
