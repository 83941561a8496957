# HPE Aruba CX (6100, 6200, 6300...).
# SNMP: AOS-CX writes pethPsePortAdminEnable of the standard MIB.
# CLI: per interface "[no] power-over-ethernet".  The column of the power
# status in "show power-over-ethernet" is not pinned down (it should be
# checked on hardware): the status line takes the last status word after
# the interface, in any column, either case.
name aruba-cx
description HPE Aruba CX (AOS-CX)
snmp.standard POWER-ETHERNET-MIB
snmp.max_varbinds 32

cli.prompt ^[A-Za-z0-9._-]+(\([a-z0-9/-]+\))?# ?$
cli.error ^Invalid input
cli.error ^% 
cli.error ^Error
cli.confirm --MORE--.*$ => <space>
cli.init no page
cli.on.begin configure terminal
cli.on.port interface {group}/1/{port}
cli.on.port power-over-ethernet
cli.on.end end
cli.off.begin configure terminal
cli.off.port interface {group}/1/{port}
cli.off.port no power-over-ethernet
cli.off.end end
cli.status show power-over-ethernet
cli.status.line ^ *([0-9]+/[0-9]+/[0-9]+) .*\<([Ss]earching|[Dd]elivering|[Dd]isabled|[Ff]ault|[Dd]enied)\>
cli.state.disabled disabled
cli.state.searching searching
cli.state.delivering delivering
cli.state.fault fault denied
cli.exit exit
