# TP-Link JetStream / Omada managed PoE switches.
# SNMP: private tpPoePortStatus (0 off, 1 on), indexed by port alone; the
# standard MIB's detection status where the switch has it (a switch that
# lacks it gives "unknown" and the admin read-back alone verifies).
# CLI: enable, enable-admin (newer firmware), configure.
name tp-link
description TP-Link JetStream
snmp.admin 1.3.6.1.4.1.11863.6.56.1.1.2.1.1.2.{port}
snmp.admin.on 1
snmp.admin.off 0
snmp.detect 1.3.6.1.2.1.105.1.1.1.6.{group}.{port}
snmp.max_varbinds 16

cli.prompt ^[A-Za-z0-9._-]+(\(config[a-z-]*\))?[>#] ?$
cli.error ^Error:
cli.error ^ *\^
cli.error ^Bad command
cli.confirm Press any key to continue.*$ => <space>
# "enable" asks for a password only when the switch has one set.
cli.confirm ^Password: ?$ => {enable_password}
cli.init enable
cli.on.begin configure
cli.on.port interface gigabitEthernet {group}/0/{port}
cli.on.port power inline supply enable
cli.on.end end
cli.off.begin configure
cli.off.port interface gigabitEthernet {group}/0/{port}
cli.off.port power inline supply disable
cli.off.end end
cli.status show power inline information interface
cli.status.line ^(Gi[0-9]+/[0-9]+/[0-9]+) +([A-Za-z]+ +[A-Za-z-]+)
cli.state.disabled Disable:OFF
cli.state.searching Enable:OFF Enable:Searching
cli.state.delivering Enable:ON
cli.state.fault Enable:Overload Enable:Short Enable:Fault
cli.exit exit
