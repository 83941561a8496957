#compdef pirack
# zsh completion for pirack(1).  Installed as _pirack in a directory of
# $fpath: $(PREFIX)/share/zsh/site-functions (make install) or
# /usr/share/zsh/vendor-completions (Debian).

local -a commands globals
commands=(
  'status:the rack: name, mode, version, uptime, slots by state'
  'slots:every slot (--shrink N confirms a smaller rack)'
  'show:one slot in full'
  'events:the event log, oldest first'
  'routes:the front proxy'"'"'s routes'
  'trace:a slot'"'"'s recent boot packets as a pcap file'
  'assign:put a board (by its MAC) in a slot'
  'unassign:take the board out of a slot'
  'set:set the pi'"'"'s name, owner, image, policy'
  'power:power slots through their PoE switch ports'
  'bringup:learn the board in every slot, powering them on one by one'
  'release:end a slot'"'"'s quarantine (state off, remediation starts over)'
)
globals=(
  '--socket[the API socket]:socket:_files'
  '--json[print the API'"'"'s JSON]'
  '(-q --quiet)'{-q,--quiet}'[print nothing on standard output]'
  '(-h --help)'{-h,--help}'[usage; after a command, its options]'
  '--version[pirack'"'"'s version]'
)

local curcontext=$curcontext state line
_arguments -C $globals '1:command:->command' '*::arg:->args'
case $state in
command)
  _describe -t commands 'pirack command' commands
  ;;
args)
  case $words[1] in
  slots) _arguments $globals '--shrink[confirm cutting the rack to N slots]:slots:' ;;
  show|trace|unassign) _arguments $globals '1:slot:' ;;
  events)
    _arguments $globals '--slot[one slot'"'"'s timeline]:slot:' \
      '--since[events after ID]:id:' '-f[follow new events]'
    ;;
  assign)
    _arguments $globals '1:slot:' '2:MAC address:' '--serial[board serial]:serial:' \
      '--model[board model]:model:' '--move[take it out of its slot]'
    ;;
  set) _arguments $globals '1:slot:' '*:key=value:(name= owner= image= policy=)' ;;
  power)
    _arguments $globals '1:action:(on off cycle status)' '2:slots:(all)' \
      '--stagger[seconds between power-ons]:seconds:' \
      '--max-booting[slots booting at once]:count:' \
      '--no-wait[return once queued]' '(-y --yes)'{-y,--yes}'[off or cycle of all without asking]'
    ;;
  bringup)
    _arguments $globals '--switch[only the slots this switch serves]:switch:' \
      '--slots[the slots]:slots:(all)' '--no-wait[start or join the run, print where it is]' \
      '--status[the last run, without starting one]'
    ;;
  esac
  ;;
esac
