# bash completion for rstscope(1)
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/rstscope.
# Completes the command, each command's options (asked from `rstscope CMD
# --help`, so new options complete without a change here), the values of
# the options that take a fixed set, lab scenarios, capture files and
# interfaces.

_rstscope_options()
{
    # long and short options of `rstscope $1 --help`, cached per command
    local cmd=$1 var="_rstscope_opts_${1//-/_}"
    if [[ -z ${!var-} ]]; then
        local text
        text=$("${COMP_WORDS[0]}" "$cmd" --help 2>/dev/null) || return
        printf -v "$var" '%s' "$(grep -oE '(^|[ ,])--?[a-zA-Z0-9][a-zA-Z0-9-]*=?' <<<"$text" |
            sed -E 's/^[ ,]//' | sort -u | tr '\n' ' ')"
    fi
    printf '%s' "${!var}"
}

_rstscope()
{
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -s -n : || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local commands="analyze summary report live explain lab send-rst serve-rst"
    local cmd="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        -*) ;;
        *) cmd=${words[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi

    # --opt=value: complete the value
    local opt=$prev val=$cur
    if [[ $cur == --*=* ]]; then
        opt=${cur%%=*}
        val=${cur#*=}
    elif [[ $cur == = ]]; then
        opt=$prev
        val=""
    elif [[ $prev == = && $cword -ge 2 ]]; then
        # bash splits "--format=j" into "--format" "=" "j" (COMP_WORDBREAKS)
        opt=${words[cword - 2]}
    fi
    local values=""
    case $opt in
    --format)
        case $cmd in
        summary) values="text json" ;;
        lab) values="table jsonl" ;;
        explain) values="table jsonl csv" ;;
        live) values="table jsonl csv zeek" ;;
        analyze) values="table jsonl csv zeek panos" ;;
        esac
        ;;
    --profile) values="panos zeek" ;;
    --checksums) values="ignore verify" ;;
    --only) [[ $cmd == explain ]] && values="all disagree" || values="all resets failed" ;;
    --ipfix-transport) values="udp tcp" ;;
    --mode) values="immediate after-request unread partial-response" ;;
    --log-tz) values="auto UTC" ;;
    --timeouts)
        values="tcp= tcp-init= tcp-handshake= tcp-half-closed= tcp-time-wait= udp= icmp= other="
        ;;
    -i | --interface)
        values=$(ls /sys/class/net 2>/dev/null; echo any)
        ;;
    -o | --output | -w | --write | --policy | --log)
        COMPREPLY=($(compgen -f -- "$val"))
        compopt -o filenames 2>/dev/null
        return
        ;;
    esac
    if [[ -n $values ]]; then
        COMPREPLY=($(compgen -W "$values" -- "$val"))
        [[ $opt == --timeouts ]] && compopt -o nospace 2>/dev/null
        return
    fi
    case $opt in
    --filter | --title | --top | --width | --max-rows | --max-sessions | --threads | --ipfix | \
        --ipfix-domain | --ipfix-refresh | --tolerance | --payload | --after-ms | \
        --connect-timeout-ms | --listen | --count | --wait-ms)
        return # free text or a number
        ;;
    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_rstscope_options "$cmd")" -- "$cur"))
        [[ ${COMPREPLY[0]-} == *= ]] && compopt -o nospace 2>/dev/null
        return
    fi
    case $cmd in
    lab)
        COMPREPLY=($(compgen -W "$("${words[0]}" lab --list 2>/dev/null | grep -oE '^[a-z0-9-]+')" -- "$cur"))
        ;;
    send-rst | serve-rst | live) ;;
    *)
        # capture files
        COMPREPLY=($(compgen -f -X '!*.@(pcap|pcapng|cap|pcap.gz|dmp|erf)' -- "$cur") $(compgen -d -- "$cur"))
        compopt -o filenames 2>/dev/null
        ;;
    esac
}
shopt -s extglob 2>/dev/null
complete -F _rstscope rstscope
