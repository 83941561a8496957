# Any switch that implements the POWER-ETHERNET-MIB (RFC 3621) for
# pethPsePortAdminEnable over SNMP: the default of an SNMP switch with no
# profile.  Main PSE power in watts.
name standard
description POWER-ETHERNET-MIB (RFC 3621)
snmp.standard POWER-ETHERNET-MIB
snmp.max_varbinds 32
