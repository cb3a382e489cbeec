# wrapd shell integration for bash. wrapd-muxd starts bash as `bash --posix`
# with ENV pointing here, so this file runs first; it ends POSIX mode, reads
# the user's own startup files as bash would have, then adds the marks wrapd
# finds commands by: OSC 133 A/B (prompt, input), C (output), D;status (end),
# OSC 633 E (the command line, escaped) and OSC 7 (the working directory).
#
# Nothing here forks once the shell runs (a fork of an interactive bash costs
# ~1 ms, twenty times a whole `true` command): PS0 is a plain string, and the
# command line is sent from a DEBUG trap armed at each prompt that disarms
# itself the first time it runs, chaining the user's own DEBUG trap.

builtin set +o posix
# Our private directory (0700, from ENV, which points at this file): builtins
# whose output we need write it to a file there (a redirection does not fork,
# a command substitution does). The file is rewritten in place, ended by a NUL
# that `read -d ''` stops at, not truncated: on ext4 a file truncated and
# rewritten is flushed to disk when it is closed (auto_da_alloc), ~30 ms.
__wrapd_tmp="${ENV%/*}/out.$$"
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

# The output mark. `wrapd_cmdline=later` tells the daemon that the command
# line (E) follows from the DEBUG trap, so it holds the block's "started"
# event until it has it.
__wrapd_ps0='\e]133;C;wrapd_cmdline=later\a'
# Our DEBUG trap. Its last word is `$_`, so after it runs `$_` is what the
# user's command line had (bash sets `$_` from a trap's commands too).
__wrapd_trap='__wrapd_preexec "$_"'
# The user's own DEBUG trap ('' when none), run by ours while ours is armed.
__wrapd_user_trap=''
# HISTCMD at the last prompt: the number the next history entry gets.
__wrapd_histcmd=''
# Set once the first prompt is out: later prompts end a command (D).
__wrapd_prompted=''
# The escaped OSC 7 of the working directory, recomputed when it changes.
__wrapd_dir='' __wrapd_osc7=''

# The command line for OSC 633 E: `\` and `;` and control characters
# escaped, into __wrapd_escaped.
__wrapd_escape() {
    local s="$1" bs='\'
    if [[ "$s" == *[\\\;[:cntrl:]]* ]]; then
        s="${s//"$bs"/"$bs$bs"}"
        s="${s//;/"${bs}x3b"}"
        s="${s//$'\n'/"${bs}x0a"}"
        s="${s//$'\r'/"${bs}x0d"}"
        s="${s//$'\t'/"${bs}x09"}"
        s="${s//$'\e'/"${bs}x1b"}"
        s="${s//$'\a'/"${bs}x07"}"
    fi
    __wrapd_escaped="$s"
}

# Runs first at each prompt: the end of the last command (none before the
# first prompt), and the directory.
__wrapd_precmd() {
    local status=$?
    if [[ "$PWD" != "$__wrapd_dir" ]]; then
        local dir="${PWD//%/%25}"
        dir="${dir//;/%3B}"
        __wrapd_dir="$PWD"
        __wrapd_osc7=$'\e]7;file://'"${HOSTNAME-}${dir// /%20}"$'\a'
    fi
    if [[ -n "$__wrapd_prompted" ]]; then
        builtin printf '\e]133;D;%s\a%s' "$status" "$__wrapd_osc7"
    else
        builtin printf '%s' "$__wrapd_osc7"
        __wrapd_prompted=1
    fi
    return $status
}

# Runs last at each prompt (with the two commands after it, see the end):
# make sure the prompt carries its marks (a theme may have rebuilt PS1 or PS0
# meanwhile), and note where the history is.
__wrapd_prompt() {
    if [[ "$PS1" != *'\[\e]133;B\a\]' ]]; then
        PS1='\[\e]133;A\a\]'"$PS1"'\[\e]133;B\a\]'
    fi
    if [[ "$PS0" != *"$__wrapd_ps0"* ]]; then
        PS0="$PS0$__wrapd_ps0"
    fi
    # After the user's PROMPT_COMMAND, which may renumber the history
    # (`history -c; history -r`).
    __wrapd_histcmd=$HISTCMD
}

# Arms our DEBUG trap, after `trap -p DEBUG` wrote the user's to our file
# (outside a function: inside one, bash hides the DEBUG trap).
__wrapd_arm() {
    local line
    IFS= builtin read -r -d '' line <"$__wrapd_tmp"
    # `trap -- 'cmd' DEBUG`, quoted for eval, or nothing; mostly the '' that
    # our trap left when the user has none.
    __wrapd_user_trap=''
    if [[ -n "$line" && "$line" != "trap -- '' DEBUG"$'\n' ]]; then
        builtin eval "__wrapd_note_trap ${line#trap }"
    fi
    # The very last command: the trap fires for any command after it, even
    # in this function. (bash keeps `$?` across PROMPT_COMMAND.)
    builtin trap -- "$__wrapd_trap" DEBUG
}

__wrapd_note_trap() {
    if [[ "$2" != "$__wrapd_trap" ]]; then
        __wrapd_user_trap="$2"
    fi
}

__wrapd_status() {
    return "$1"
}

# Our DEBUG trap: runs before the first simple command of a command line, or
# (when the line ran none in this shell: `( cmd )`, an empty line, a
# comment) before the first command of PROMPT_COMMAND. It puts the user's
# trap back (`trap - DEBUG` is refused inside a DEBUG trap; '' means none),
# sends the command line if the line went into the history, and runs the
# user's trap with `$?` and `$_` as they were. Its status is the user's trap's
# (extdebug skips the command when it is not 0).
__wrapd_preexec() {
    local status=$? last="$1" line number
    builtin trap -- "$__wrapd_user_trap" DEBUG
    if { HISTTIMEFORMAT= builtin history 1 && builtin printf '\0'; } 1<>"$__wrapd_tmp"; then
        IFS= builtin read -r -d '' line <"$__wrapd_tmp"
        line="${line%$'\n'}"
        # "  123  cmd" (or "  123* cmd" when edited): the number is the one
        # the prompt expected unless HISTCONTROL/HISTIGNORE left the line out.
        # A line left out as a duplicate (ignoredups) is still known when it
        # is one simple command: the last entry, and the trap's command.
        line="${line#"${line%%[![:space:]]*}"}"
        number="${line%%[![:digit:]]*}"
        line="${line#"$number"}"
        line="${line#\*}"
        line="${line#"${line%%[![:space:]]*}"}"
        if [[ "$number" == "$__wrapd_histcmd" ]] || {
            [[ "$((number + 1))" == "$__wrapd_histcmd" && "$line" == "$BASH_COMMAND" ]]
        }; then
            __wrapd_escape "$line"
            builtin printf '\e]633;E;%s\a' "$__wrapd_escaped"
        fi
    fi
    [[ -z "$__wrapd_user_trap" ]] && return 0
    __wrapd_status "$status" "$last"
    builtin eval -- "$__wrapd_user_trap"
}

__wrapd_last='__wrapd_prompt; { builtin trap -p DEBUG; builtin printf "\0"; } 1<>"$__wrapd_tmp"; __wrapd_arm'
if [[ "$(builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND=(__wrapd_precmd "${PROMPT_COMMAND[@]}" "$__wrapd_last")
else
    PROMPT_COMMAND="__wrapd_precmd"$'\n'"${PROMPT_COMMAND-}"$'\n'"$__wrapd_last"
fi
builtin unset __wrapd_last
