# Cisco IOS / IOS-XE Catalyst.
# SNMP: CISCO-POWER-ETHERNET-EXT-MIB cpeExtPsePortEnable (1 auto, 4 disable)
# for the switch, the standard POWER-ETHERNET-MIB for status.
# CLI: "power inline never|auto" under the interface; never "write memory".
name cisco-ios
description Cisco IOS / IOS-XE Catalyst
snmp.standard POWER-ETHERNET-MIB
snmp.admin 1.3.6.1.4.1.9.9.402.1.2.1.1.{group}.{port}
snmp.admin.on 1
snmp.admin.off 4
snmp.max_varbinds 32

cli.prompt ^[A-Za-z0-9._-]+(\([a-z-]+\))?[>#] ?$
cli.error ^% 
cli.error ^Command rejected
cli.confirm --More-- ?$ => <space>
# A user that lands in user exec (">") needs "enable"; a privilege-15
# user is at "#" already, where "enable" asks nothing.  IOS asks for the
# password up to three times: pirackd answers once and fails on the
# second ask, and "% Bad secrets" / "% Access denied" match "^% ".
cli.confirm ^Password: ?$ => {enable_password}
cli.init enable
cli.init terminal length 0
cli.init terminal width 0
cli.on.begin configure terminal
cli.on.port interface GigabitEthernet{group}/0/{port}
cli.on.port power inline auto
cli.on.end end
cli.off.begin configure terminal
cli.off.port interface GigabitEthernet{group}/0/{port}
cli.off.port power inline never
cli.off.end end
cli.status show power inline
# Interface Admin Oper ...: the state is read from both columns.
cli.status.line ^(Gi[0-9]+/[0-9]+/[0-9]+) +([a-z]+ +[a-z-]+)
cli.state.disabled never:off off:off
cli.state.searching auto:off
cli.state.delivering auto:on static:on
cli.state.fault auto:faulty auto:power-deny auto:err-disable
cli.exit exit
