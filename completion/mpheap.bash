# bash completion for mpheap: commands and options come from the binary's own --help (so they
# follow it), --port from the serial ports present (`mpheap devs`) and the port words.
# Installed as PREFIX/share/bash-completion/completions/mpheap.

# The words of a command's --help that are options: "-x" and "--long".
_mpheap_options() {
    "$1" "$2" --help 2>/dev/null |
        grep -oE '(^|[ ,])--?[a-zA-Z][-a-zA-Z0-9]*' | sed -E 's/^[ ,]//' | sort -u
}

_mpheap() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion -n =: || return
    else
        cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
        words=("${COMP_WORDS[@]}") cword=$COMP_CWORD
    fi
    local bin=${words[0]} cmd="" i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in -*) ;; *) cmd=${words[i]}; break ;; esac
    done
    if [ -z "$cmd" ]; then
        local commands
        commands=$("$bin" --help 2>/dev/null |
            awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 } f && /^$/ { exit }')
        COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
        return
    fi
    case $prev in
        -p | --port)
            # The serial ports present, then mpremote's short names and the virtual board.
            local ports
            ports=$("$bin" devs 2>/dev/null | awk '{ print $1 }')
            COMPREPLY=($(compgen -W "$ports auto sim sim:64K sim:64K,fixed a0 a1 u0 u1" -- "$cur"))
            # "sim:64K": bash splits words at ':'; bash-completion puts them together again.
            if declare -F __ltrim_colon_completions >/dev/null; then
                __ltrim_colon_completions "$cur"
            fi
            return ;;
        --palette)
            COMPREPLY=($(compgen -W "safe notebook type rainbow mono" -- "$cur")); return ;;
        --color)
            COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --color-depth)
            COMPREPLY=($(compgen -W "256 24bit 16" -- "$cur")); return ;;
        -c | --columns | --scale)
            COMPREPLY=($(compgen -W "auto" -- "$cur")); return ;;
        -r | --run)
            COMPREPLY=($(compgen -f -X '!*.py' -- "$cur") $(compgen -d -- "$cur")); return ;;
        -o | --output)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        -s | --snapshot | -n | --count | --every | -l | --label | -e | --exec | --need | \
            --block-size | --timeout | --run-timeout | --heap | --dest | --fit | --max-* | --min-*)
            return ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_mpheap_options "$bin" "$cmd")" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _mpheap mpheap
