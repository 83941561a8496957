# Juniper EX (Junos).  A change is a commit; "commit and-quit" leaves
# configuration mode.  ge-0/0/N counts ports from 0: set port_base.
# "configure private": with plain "configure" the candidate is shared, and
# a session that dies between "set" and "commit" leaves its change there
# for whoever commits next; a private candidate is dropped on exit, and
# Junos refuses it while someone else has uncommitted shared changes.
# SNMP: the standard MIB.
name juniper
description Juniper EX (Junos)
snmp.standard POWER-ETHERNET-MIB
snmp.max_varbinds 32

cli.prompt ^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+[>#] ?$
cli.error ^error:
cli.error ^syntax error
cli.error ^unknown command
cli.confirm ---\(more.*\)---.*$ => <space>
cli.confirm Exit with uncommitted changes\? .*$ => no
cli.init set cli screen-length 0
cli.on.begin configure private
cli.on.port delete poe interface ge-0/0/{port} disable
cli.on.end commit and-quit
cli.off.begin configure private
cli.off.port set poe interface ge-0/0/{port} disable
cli.off.end commit and-quit
cli.status show poe interface
cli.status.line ^(ge-[0-9]+/[0-9]+/[0-9]+) +([A-Za-z]+ +[A-Za-z-]+)
cli.state.disabled Disabled:OFF Disabled:Disabled
cli.state.searching Enabled:OFF Enabled:Searching
cli.state.delivering Enabled:ON
cli.state.fault Enabled:Fault Enabled:Faulty Enabled:Overload
cli.exit exit
