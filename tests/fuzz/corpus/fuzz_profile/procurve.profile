# HPE ProCurve / ArubaOS-Switch (2530, 2540, 2920, 2930...).
# SNMP: the standard POWER-ETHERNET-MIB.
# CLI: "[no] interface N power-over-ethernet"; the "save?" question on
# logout is answered n: a power cycle never saves the configuration.
name procurve
description HPE ProCurve / ArubaOS-Switch
snmp.standard POWER-ETHERNET-MIB
snmp.max_varbinds 32

cli.prompt ^[A-Za-z0-9._-]+(\([a-z0-9-]+\))?# ?$
cli.error ^Invalid input
cli.error ^Module not present
cli.error ^Ambiguous input
cli.confirm Press any key to continue ?$ => <space>
cli.confirm -- MORE --.*$ => <space>
cli.confirm [Ss]ave current configuration.*\? ?$ => n
cli.confirm Do you want to log out.*\? ?$ => y
cli.init no page
cli.on.begin configure
cli.on.port interface {port} power-over-ethernet
cli.on.end exit
cli.off.begin configure
cli.off.port no interface {port} power-over-ethernet
cli.off.end exit
cli.status show power-over-ethernet brief
# Port, Power Enable, ..., Detection Status (the last column we read).
cli.status.line ^ *([0-9]+) +(Yes|No) .* (Searching|Delivering|Disabled|Fault|Other Fault|Deny) *
cli.state.disabled Disabled
cli.state.searching Searching
cli.state.delivering Delivering
cli.state.fault Fault Other:Fault Deny
cli.exit logout
