# bash completion for pirack(1).  Installed as
# $(PREFIX)/share/bash-completion/completions/pirack.
_pirack()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi

    local globals="--socket --json -q --quiet -h --help --version"
    local commands="status slots show events routes trace assign unassign set power bringup release"

    if [[ $prev == --socket ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
        return
    fi

    # The command is the first word that is not an option (or --socket's path).
    local i cmd="" nargs=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        --socket) ((i++)) ;;
        -*) ;;
        *)
            if [[ -z $cmd ]]; then cmd=${words[i]}; else ((nargs++)); fi
            ;;
        esac
    done

    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands $globals" -- "$cur"))
        return
    fi
    case $cmd in
    slots) COMPREPLY=($(compgen -W "--shrink $globals" -- "$cur")) ;;
    events) COMPREPLY=($(compgen -W "--slot --since -f $globals" -- "$cur")) ;;
    assign) COMPREPLY=($(compgen -W "--serial --model --move $globals" -- "$cur")) ;;
    set)
        if ((nargs >= 1)); then
            compopt -o nospace 2>/dev/null
            COMPREPLY=($(compgen -W "name= owner= image= policy= remediation=" -- "$cur"))
        fi
        ;;
    power)
        if ((nargs == 0)); then
            COMPREPLY=($(compgen -W "on off cycle status" -- "$cur"))
        elif ((nargs == 1)) && [[ $cur != -* ]]; then
            COMPREPLY=($(compgen -W "all" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "--stagger --max-booting --no-wait --yes $globals" -- "$cur"))
        fi
        ;;
    bringup) COMPREPLY=($(compgen -W "--switch --slots --no-wait --status $globals" -- "$cur")) ;;
    *) COMPREPLY=($(compgen -W "$globals" -- "$cur")) ;;
    esac
}
complete -F _pirack pirack
