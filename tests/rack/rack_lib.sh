# Simulated rack building blocks (POSIX sh; source this file, run as root).
#
#   rack_create HOSTNS PISNS SLOTS MODE PATTERN
#       isolated: one veth pair per slot, both ends named by PATTERN
#       (printf, e.g. pi%03d): the host end in HOSTNS holds the slot's .1/30,
#       the Pi end in PISNS is left down for pisim (its MAC, its power).
#       flat: the host ends (h%03d) join one bridge "rackbr" in HOSTNS that
#       holds every slot's .1/30; the Pi ends are named by PATTERN.
#   rack_ip SLOT N          the slot's /30 address .N (1 = host, 2 = Pi)
#   rack_bootfiles DIR      a synthetic Pi 3 and Pi 4 boot set of real sizes
#   rack_cmdline SLOT       the slot's own cmdline.txt line
#
# The address plan is the pool 10.99.0.0/22 (tests/lib/pirackd.sh rack_conf;
# RACK_POOL_A.RACK_POOL_B to change it): slot N owns the
# Nth /30, as include/pirack/plan.h says.  Nothing here touches the
# machine's own interfaces: every link and address is inside HOSTNS/PISNS.

RACK_POOL_A=${RACK_POOL_A:-10}
RACK_POOL_B=${RACK_POOL_B:-99}

rack_ip() {
    _o=$(( ($1 - 1) * 4 + $2 ))
    echo "$RACK_POOL_A.$RACK_POOL_B.$(( _o / 256 )).$(( _o % 256 ))"
}

rack_ifname() { printf "$1" "$2"; }

# Kernel settings of the Pis' namespace: many Pis in one namespace must
# each answer ARP only for the address on the interface asked (a shared
# bridge in flat mode reaches them all), and a Pi's ROM sends no IPv6.
_rack_pis_sysctls() {
    ip netns exec "$1" sh -c '
        sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.default.arp_ignore=1
        sysctl -qw net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.default.arp_announce=2
        sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
        sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    '
}

rack_create() {
    _host=$1 _pis=$2 _n=$3 _mode=$4 _pat=$5
    _rack_pis_sysctls "$_pis" || return 1
    ip netns exec "$_host" sysctl -qw net.ipv6.conf.default.disable_ipv6=0 2>/dev/null
    _links=$(mktemp) _addrs=$(mktemp)
    if [ "$_mode" = flat ]; then
        echo "link add rackbr type bridge" >>"$_addrs"
        echo "link set rackbr type bridge forward_delay 0 stp_state 0" >>"$_addrs"
    fi
    _i=1
    while [ "$_i" -le "$_n" ]; do
        _pi=$(rack_ifname "$_pat" "$_i")
        if [ "$_mode" = flat ]; then
            _h=$(printf 'h%03d' "$_i")
            echo "link add $_h type veth peer name $_pi netns $_pis" >>"$_links"
            echo "link set $_h master rackbr up" >>"$_addrs"
            echo "addr add $(rack_ip "$_i" 1)/30 dev rackbr" >>"$_addrs"
        else
            echo "link add $_pi type veth peer name $_pi netns $_pis" >>"$_links"
            echo "addr add $(rack_ip "$_i" 1)/30 dev $_pi" >>"$_addrs"
            echo "link set $_pi up" >>"$_addrs"
        fi
        _i=$((_i + 1))
    done
    [ "$_mode" = flat ] && echo "link set rackbr up" >>"$_addrs"
    ip -n "$_host" -batch "$_links" && ip -n "$_host" -batch "$_addrs"
    _rc=$?
    rm -f "$_links" "$_addrs"
    return $_rc
}

# Deterministic filler of a given size (content differs per name).
_rack_fill() {
    _size=$2
    { printf '%s\n' "$1"; head -c "$_size" /dev/urandom; } | head -c "$_size" >"$1"
}

rack_bootfiles() {
    _d=$1
    mkdir -p "$_d/overlays" || return 1
    # Pi 3 set, sizes of Debian's raspi-firmware (docs/pi-boot.md section 13)
    _rack_fill "$_d/bootcode.bin" 52460
    _rack_fill "$_d/start.elf" 2973536
    _rack_fill "$_d/fixup.dat" 7262
    _rack_fill "$_d/kernel7.img" 5242880
    _rack_fill "$_d/bcm2710-rpi-3-b.dtb" 26463
    _rack_fill "$_d/bcm2710-rpi-3-b-plus.dtb" 27082
    # Pi 4 set
    _rack_fill "$_d/start4.elf" 2252800
    _rack_fill "$_d/fixup4.dat" 5446
    _rack_fill "$_d/kernel8.img" 9306112
    _rack_fill "$_d/bcm2711-rpi-4-b.dtb" 40000
    cat >"$_d/config.txt" <<'EOF'
# pirack test boot set
[pi4]
arm_64bit=1
[all]
enable_uart=1
dtparam=audio=off
EOF
    echo "console=serial0,115200 root=/dev/nfs rw ip=dhcp rootwait" >"$_d/cmdline.txt"
}

rack_cmdline() {
    echo "console=serial0,115200 root=/dev/nfs nfsroot=$(rack_ip "$1" 1):/srv/pirack/root/$(printf 'slot%03d' "$1"),vers=3 rw ip=dhcp rootwait pirack.slot=$1"
}

# A tftp-root laid out for dnsmasq: bootcode.bin at the root (the ROM asks
# it without a prefix), every other file in each board's SERIAL/ directory
# (hard links to SET), with the slot's own cmdline.txt.  Serials are
# pisim's defaults: 5ca1ab00 + slot.
rack_serial_tree() {
    _root=$1 _set=$2 _n=$3
    mkdir -p "$_root" && cp "$_set/bootcode.bin" "$_root/" || return 1
    _i=1
    while [ "$_i" -le "$_n" ]; do
        _d="$_root/$(printf '%08x' $((0x5ca1ab00 + _i)))"
        mkdir -p "$_d/overlays"
        for _f in "$_set"/*; do
            [ -f "$_f" ] && ln "$_f" "$_d/" 2>/dev/null
        done
        rm -f "$_d/cmdline.txt"
        rack_cmdline "$_i" >"$_d/cmdline.txt"
        _i=$((_i + 1))
    done
}

# dnsmasq as the official network-boot tutorial configures it, one
# dhcp-range per slot.  $4 is the menu text (the 3B needs three spaces).
rack_dnsmasq_conf() {
    _conf=$1 _root=$2 _n=$3 _menu=$4 _dir=$(dirname "$1")
    {
        echo "port=0"
        echo "user=root"
        echo "dhcp-leasefile=$_dir/dnsmasq.leases"
        echo "log-dhcp"
        echo "log-facility=$_dir/dnsmasq.log"
        echo "enable-tftp"
        echo "tftp-root=$_root"
        echo "pxe-service=0,\"$_menu\""
        _i=1
        while [ "$_i" -le "$_n" ]; do
            echo "dhcp-range=$(rack_ip "$_i" 2),$(rack_ip "$_i" 2),255.255.255.252,1h"
            _i=$((_i + 1))
        done
    } >"$_conf"
}

# The MAC pisim gives slot N's board (default serials 5ca1ab00 + N).
rack_pi_mac() {
    _s=$((0x5ca1ab00 + $2))
    case $1 in 4) _oui=dc:a6:32 ;; *) _oui=b8:27:eb ;; esac
    printf '%s:%02x:%02x:%02x\n' "$_oui" $(((_s >> 16) & 255)) $(((_s >> 8) & 255)) $((_s & 255))
}

# pirackd's boot tree: BOOT/default holds the set; slot N's own directory
# BOOT/NNN (what pirackd serves to slot N's address, default otherwise)
# holds hard links to it and the slot's own cmdline.txt.
rack_slot_files() {
    _boot=$1 _n=$2 _i=1
    while [ "$_i" -le "$_n" ]; do
        _d="$_boot/$(printf '%03d' "$_i")"
        mkdir -p "$_d/overlays" || return 1
        for _f in "$_boot/default"/*; do
            [ -f "$_f" ] && ln -f "$_f" "$_d/"
        done
        rm -f "$_d/cmdline.txt"
        rack_cmdline "$_i" >"$_d/cmdline.txt"
        _i=$((_i + 1))
    done
}

# health_rack NAME N: the rack of the health tests.  Namespaces HOST and
# PIS with N isolated slots (links pi001...), the Pis' IPv6 on for their
# own addresses (their OS speaks it; their ROMs do not), a simulated SNMP
# switch for every slot (poe_sim.sh, SIM_STATE), and CONF holding the
# rack with [power] and, last, [switch a]: the caller may add lines to
# that switch, then appends its [health].  On a failure prints
# "not ok NAME: what" and returns 1.
health_rack() {
    _hr_name=$1 _hr_n=$2
    HOST=$(ns_new host) && PIS=$(ns_new pis) || { not_ok "$_hr_name: namespaces"; return 1; }
    rack_create "$HOST" "$PIS" "$_hr_n" isolated 'pi%03d' || { not_ok "$_hr_name: rack"; return 1; }
    for _hr_i in $(seq 1 "$_hr_n"); do
        _hr_l=$(printf 'pi%03d' "$_hr_i")
        ip netns exec "$PIS" sysctl -qw "net.ipv6.conf.$_hr_l.disable_ipv6=0" \
            "net.ipv6.conf.$_hr_l.accept_ra=0"
    done
    SIM_NS=$HOST
    . "$TOP/tests/lib/poe_sim.sh"
    sim_state_new "$_hr_n"
    snmp_sim_start || { not_ok "$_hr_name: snmpd starts"; return 1; }
    CONF=$TEST_TMP/pirackd.conf
    rack_conf "$CONF" "$_hr_n" isolated 'pi%03d'
    cat >>"$CONF" <<CONF
[power]
hold = 500ms
stagger = 0ms
profiles = $TOP/poe/profiles
[switch a]
driver = snmp
address = 127.0.0.1:$SNMP_PORT
profile = procurve
slots = 1-$_hr_n
port_base = 1
community = private
CONF
}
