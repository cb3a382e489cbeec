# wrapd shell integration for bash. wrapd-muxd starts bash as `bash --posix`
# with ENV pointing here, so this file runs first; it ends POSIX mode, reads
# the user's own startup files as bash would have, then adds the marks wrapd
# finds commands by: OSC 133 A/B (prompt, input), C (output), D;status (end),
# OSC 633 E (the command line, escaped) and OSC 7 (the working directory).

builtin set +o posix
# Our private directory (0700, from ENV, which points at this file): the
# preexec hook reads the history line through a file there, not a fork.
__wrapd_histfile="${ENV%/*}/history.$$"
if [[ -n "${WRAPD_ORIG_ENV+x}" ]]; then
    builtin export ENV="$WRAPD_ORIG_ENV"
else
    builtin unset ENV
fi
builtin unset WRAPD_ORIG_ENV

if builtin shopt -q login_shell; then
    [[ -r /etc/profile ]] && builtin source /etc/profile
    for __wrapd_file in ~/.bash_profile ~/.bash_login ~/.profile; do
        if [[ -r "$__wrapd_file" ]]; then
            builtin source "$__wrapd_file"
            break
        fi
    done
    builtin unset __wrapd_file
else
    [[ -r /etc/bash.bashrc ]] && builtin source /etc/bash.bashrc
    [[ -r ~/.bashrc ]] && builtin source ~/.bashrc
fi

# The command line for OSC 633 E: `\` and `;` and control characters
# escaped, into __wrapd_escaped (no command substitution: each one forks).
__wrapd_escape() {
    local s="$1" bs='\'
    s="${s//"$bs"/"$bs$bs"}"
    s="${s//;/"${bs}x3b"}"
    s="${s//$'\n'/"${bs}x0a"}"
    s="${s//$'\r'/"${bs}x0d"}"
    s="${s//$'\t'/"${bs}x09"}"
    s="${s//$'\e'/"${bs}x1b"}"
    s="${s//$'\a'/"${bs}x07"}"
    __wrapd_escaped="$s"
}

# Runs first at each prompt: the end of the last command (none before the
# first prompt), and the directory.
__wrapd_precmd() {
    local status=$? dir="${PWD//%/%25}"
    dir="${dir//;/%3B}"
    [[ -n "${__wrapd_histcmd-}" ]] && builtin printf '\e]133;D;%s\a' "$status"
    builtin printf '\e]7;file://%s%s\a' "${HOSTNAME-}" "${dir// /%20}"
    __wrapd_histcmd=$HISTCMD
    return $status
}

# Runs last at each prompt: make sure the prompt carries its marks (a theme
# may have rebuilt PS1 meanwhile), and PS0 the start of the output.
__wrapd_prompt() {
    local status=$?
    if [[ "$PS1" != *'\[\e]133;B\a\]' ]]; then
        PS1='\[\e]133;A\a\]'"$PS1"'\[\e]133;B\a\]'
    fi
    if [[ "$PS0" != *'$(__wrapd_preexec "$HISTCMD")'* ]]; then
        PS0="$PS0"'$(__wrapd_preexec "$HISTCMD")'
    fi
    return $status
}

# Expanded in PS0 (in a subshell) when a command is about to run. The line is
# in the history unless HISTCONTROL/HISTIGNORE left it out (then HISTCMD did
# not move and the command line is not known). Every command substitution is
# a fork, ~1 ms each and most of what integration costs a command: PS0's own
# is the only one — the history line comes through a file in our private
# directory (a builtin's redirection does not fork).
__wrapd_preexec() {
    local line=""
    if [[ "$1" != "$__wrapd_histcmd" ]] &&
        HISTTIMEFORMAT= builtin history 1 >"$__wrapd_histfile" 2>/dev/null; then
        IFS= builtin read -r -d '' line <"$__wrapd_histfile"
        line="${line%$'\n'}"
        # "  123  cmd" (or "  123* cmd" when edited): drop the number.
        line="${line#"${line%%[![:space:]]*}"}"
        line="${line#"${line%%[![:digit:]]*}"}"
        line="${line#\*}"
        line="${line#"${line%%[![:space:]]*}"}"
    fi
    __wrapd_escape "$line"
    builtin printf '\e]633;E;%s\a\e]133;C\a' "$__wrapd_escaped"
}

if [[ "$(builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND=(__wrapd_precmd "${PROMPT_COMMAND[@]}" __wrapd_prompt)
else
    PROMPT_COMMAND="__wrapd_precmd"$'\n'"${PROMPT_COMMAND-}"$'\n'"__wrapd_prompt"
fi
