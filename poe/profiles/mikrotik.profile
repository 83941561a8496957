# MikroTik RouterOS (CRS, hEX PoE, netPower).  Log in as "USER+ct" to turn
# off colours and the terminal probe.  Status is read one port at a time.
# SNMP: RouterOS's PoE MIB is read-only, so this profile is CLI only.
# poe-out-status: RouterOS 7 documents "off" for a port set poe-out=off
# (older releases said "disabled"), and spells some states with "_"
# (voltage_too_high, power_reset, controller_error).
name mikrotik
description MikroTik RouterOS
cli.prompt ^\[[A-Za-z0-9._@-]+\] (/[a-z /-]*)?> ?$
cli.error ^failure:
cli.error ^syntax error
cli.error ^expected end of command
cli.error ^bad command name
cli.error ^no such item
cli.confirm -- \[Q quit\|D dump\|down\].*$ => <space>
cli.on.port /interface ethernet poe set ether{port} poe-out=auto-on
cli.off.port /interface ethernet poe set ether{port} poe-out=off
cli.status /interface ethernet poe monitor ether{port} once
cli.status.line poe-out-status: ([a-z_-]+)
cli.state.disabled off disabled
cli.state.searching waiting-for-load
cli.state.delivering powered-on
cli.state.fault short-circuit overload voltage-too-low voltage_too_high current-too-low power-reset power_reset controller_error
cli.exit /quit
