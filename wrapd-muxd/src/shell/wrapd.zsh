# wrapd's marks for an interactive zsh (loaded by wrapd's .zshenv).

# REPLY = the command line for OSC 633 E: `\`, `;` and control characters escaped.
__wrapd_escape() {
    local s="$1" bs='\'
    s="${s//"$bs"/$bs$bs}"
    s="${s//;/${bs}x3b}"
    s="${s//$'\n'/${bs}x0a}"
    s="${s//$'\r'/${bs}x0d}"
    s="${s//$'\t'/${bs}x09}"
    s="${s//$'\e'/${bs}x1b}"
    s="${s//$'\a'/${bs}x07}"
    REPLY="$s"
}

# First at each prompt: the end of the last command (none before the first
# prompt: `$1` is `first`), and the directory.
__wrapd_precmd() {
    local st=$? dir="${PWD//\%/%25}"
    dir="${dir//;/%3B}"
    [[ "$1" != first ]] && builtin printf '\e]133;D;%s\a' "$st"
    builtin printf '\e]7;file://%s%s\a' "${HOST-}" "${dir// /%20}"
    return $st
}

# Last at each prompt: make sure the prompt carries its marks (a theme may
# have rebuilt PS1 meanwhile).
__wrapd_prompt() {
    if [[ "$PS1" != *$'%{\e]133;B\a%}' ]]; then
        PS1=$'%{\e]133;A\a%}'"$PS1"$'%{\e]133;B\a%}'
    fi
}

__wrapd_preexec() {
    local REPLY
    __wrapd_escape "$1"
    builtin printf '\e]633;E;%s\a\e]133;C\a' "$REPLY"
}

# Once, at the first prompt (after the user's .zshrc): put our hooks first
# and last, so the status we report is the command's and the prompt we mark
# is the final one. The end mark also goes first into the mark zsh prints
# after output without a final newline (PROMPT_SP), which comes before precmd:
# so the output ends where the command's did (a second end mark is ignored).
__wrapd_install() {
    PROMPT_EOL_MARK=$'%{\e]133;D;%?\a%}'"${PROMPT_EOL_MARK-%B%S%#%s%b}"
    precmd_functions=(__wrapd_precmd ${precmd_functions:#(__wrapd_install|__wrapd_precmd|__wrapd_prompt)} __wrapd_prompt)
    preexec_functions=(${preexec_functions:#__wrapd_preexec} __wrapd_preexec)
    __wrapd_precmd first
    __wrapd_prompt
}
typeset -ga precmd_functions preexec_functions
precmd_functions+=(__wrapd_install)
