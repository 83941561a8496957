# Ubiquiti EdgeSwitch (FASTPATH-based).  UniFi switches put SSH users in
# a shell, with this CLI behind "telnet localhost": not supported here.
# SNMP: the standard MIB.  CLI: "poe opmode shutdown|auto".
name edgeswitch
description Ubiquiti EdgeSwitch
snmp.standard POWER-ETHERNET-MIB
snmp.max_varbinds 24

# The prompt holds the system name, which defaults to the model
# ("(M4300-28G-PoE+) #"): hence the + in it.  "logout" after a change
# asks "Would you like to save them now? (y/n)": never for a power cycle.
cli.prompt ^\([A-Za-z0-9 ._+-]+\) ?(\([A-Za-z0-9 /-]+\))?[>#] ?$
cli.error ^% 
cli.error ^An invalid
cli.error ^Error
# A wrong enable password (FASTPATH gives one try, then ">" again).
cli.error ^Incorrect [Pp]assword
cli.confirm --More-- or \(q\)uit.*$ => <space>
# "enable" always asks; a switch with no enable password takes an empty
# answer, which is what is sent when enable_password is not configured.
cli.confirm ^Password: ?$ => {enable_password?}
cli.confirm Would you like to save them now\? \(y/n\) ?$ => n
cli.init enable
cli.init terminal length 0
cli.on.begin configure
cli.on.port interface 0/{port}
cli.on.port poe opmode auto
cli.on.port exit
cli.on.end exit
cli.off.begin configure
cli.off.port interface 0/{port}
cli.off.port poe opmode shutdown
cli.off.port exit
cli.off.end exit
cli.status show poe status all
cli.status.line ^([0-9]+/[0-9]+) +([A-Za-z]+)
cli.state.disabled Disabled Off
cli.state.searching Searching Open
cli.state.delivering Good On
cli.state.fault Fault Overload Short
cli.exit logout
