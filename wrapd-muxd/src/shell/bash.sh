# wrapd shell integration for bash. wrapd-muxd starts bash as `bash --posix`
# with ENV pointing here, so this file runs first; it ends POSIX mode, reads
# the user's own startup files as bash would have, then adds the marks wrapd
# finds commands by, all in the prompt strings bash prints anyway:
# - PS1: OSC 133 `D;$?` at its start (the last command's status, and where
#   this prompt begins) and `B` at its end (where the command line begins);
# - PS2: `A;k=s` / `B` around it (a continuation prompt is no part of a
#   multi-line command);
# - PS0: `C;cwd=$PWD` (the command runs now, in this directory).
# The daemon reads the command line off the screen, between B and where
# readline turned bracketed paste off (or C).
#
# Nothing runs at a prompt: no fork, no DEBUG trap, no function, no
# PROMPT_COMMAND of ours unless the user has one (a theme that rebuilds PS1
# there gets one test after it, to mark the new PS1). Each byte of PS1 costs
# readline work at every keystroke, so the marks are short. (Measured: a
# function at every prompt cost 20 us a command, four times bash's own
# prompt cycle for a `true`.) A PS1 set later at the prompt or by sourcing a
# startup file loses its marks: the daemon sees a command start (PS0) with no
# prompt mark before it and sends the signal trapped below (only when bash
# catches it), and the handler marks the prompt strings again. The user's
# DEBUG trap, history and `$?`/`$_` are left alone.

builtin set +o posix
if [[ -n "${WRAPD_ORIG_ENV+x}" ]]; then
    builtin export ENV="$WRAPD_ORIG_ENV"
else
    builtin unset ENV
fi
builtin unset WRAPD_ORIG_ENV

# What starting in POSIX mode set differently from a bash started as usual,
# put back before the user's files run (they may set them again): the
# history file (`~/.sh_history` instead of `~/.bash_history`), the mail
# check interval (600 s instead of 60) and `inherit_errexit` (`set +o posix`
# leaves it on). Values that came from the environment (exported) stay.
# bash reads the history file only after this script, from the HISTFILE
# the user's files leave, and writes it there at exit.
[[ ${HISTFILE@a} == *x* ]] || HISTFILE=~/.bash_history
[[ ${MAILCHECK@a} == *x* ]] || MAILCHECK=60
builtin shopt -u inherit_errexit

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

# The marks. PS1's `$?` is expanded when the prompt is printed: the status
# of the last command. A `D` with no command running (the first prompt,
# Ctrl-C at an empty one) only marks where the prompt begins. PS0 names the
# directory last and raw (the daemon takes the rest of the OSC), with control
# characters made `?` (one in a directory's name would end the OSC early
# and reach the terminal as a sequence of its own).
__wrapd_ctl=$'[\001-\037\177]'
__wrapd_ps1_head='\[\e]133;D;$?\a\]'
__wrapd_ps2_head='\[\e]133;A;k=s\a\]'
__wrapd_input='\[\e]133;B\a\]'
__wrapd_output='\e]133;C;cwd=${PWD//$__wrapd_ctl/?}\a'
# PS1 as we last marked it.
__wrapd_ps1=''

# Everything below works under the user's `set -u` too.

# Mark the prompt strings that lack our marks. Called with `$_` and ends
# with it, so `$_` is what it was.
__wrapd_mark() {
    [[ "$PS1" == *"$__wrapd_input" ]] || PS1="$__wrapd_ps1_head$PS1$__wrapd_input"
    [[ "${PS2-}" == *"$__wrapd_input" ]] || PS2="$__wrapd_ps2_head${PS2-}$__wrapd_input"
    [[ "${PS0-}" == *"$__wrapd_output" ]] || PS0="${PS0-}$__wrapd_output"
    __wrapd_ps1="$PS1"
    : "${1-}"
}

# Last in the user's own PROMPT_COMMAND (which may rebuild PS1), if there is
# one: a test, and a mark only when PS1 changed.
__wrapd_check='[[ $PS1 == "$__wrapd_ps1" ]] || __wrapd_mark "$_"'
__wrapd_hook() {
    [[ -n "${PROMPT_COMMAND+set}" ]] || return 0
    if [[ ${PROMPT_COMMAND@a} == *a* ]]; then
        local -a kept=()
        local entry
        for entry in ${PROMPT_COMMAND[@]+"${PROMPT_COMMAND[@]}"}; do
            [[ "$entry" == "$__wrapd_check" ]] || kept+=("$entry")
        done
        if ((${#kept[@]})); then
            PROMPT_COMMAND=("${kept[@]}" "$__wrapd_check")
        fi
    elif [[ -n "$PROMPT_COMMAND" && "$PROMPT_COMMAND" != *$'\n'"$__wrapd_check" ]]; then
        PROMPT_COMMAND="${PROMPT_COMMAND//$'\n'"$__wrapd_check"/}"$'\n'"$__wrapd_check"
    fi
}

# What the daemon's signal runs (see the top): hook again (the user's
# PROMPT_COMMAND may have been set anew too), mark again.
__wrapd_remark() {
    __wrapd_hook
    __wrapd_mark "${1-}"
}

__wrapd_mark
__wrapd_hook
[[ -n "$(builtin trap -p RTMAX-3)" ]] || builtin trap '__wrapd_remark "$_"' RTMAX-3
