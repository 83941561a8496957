# Netgear managed switches (M4100/M4300, GS7xxTP: the FASTPATH CLI).
# SNMP: the standard MIB; main PSE power is reported in milliwatts.
# CLI: interface 0/N, "poe" / "no poe" in interface config mode.
name netgear
description Netgear managed (FASTPATH CLI)
snmp.standard POWER-ETHERNET-MIB
snmp.main.unit mW
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
cli.on.port poe
cli.on.port exit
cli.on.end exit
cli.off.begin configure
cli.off.port interface 0/{port}
cli.off.port no poe
cli.off.port exit
cli.off.end exit
cli.status show poe port all
cli.status.line ^([0-9]+/[0-9]+) +(Enable|Disable) .* (Searching|Delivering Power|Disabled|Fault|Other Fault|Test) *$
cli.state.disabled Disabled
cli.state.searching Searching Test
cli.state.delivering Delivering:Power
cli.state.fault Fault Other:Fault
cli.exit logout
