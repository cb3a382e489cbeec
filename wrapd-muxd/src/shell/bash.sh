# wrapd shell integration for bash. wrapd-muxd starts bash as `bash --posix`
# with ENV pointing here, so this file runs first; it ends POSIX mode, reads
# the user's own startup files as bash would have, then adds the marks wrapd
# finds commands by: OSC 133 A/B (prompt, input) and D;status (end) in PS1,
# A;k=s/B around PS2 (so a multi-line command's continuation prompts are not
# part of it), C (output) in PS0, and OSC 7 (the working directory) when it
# changes. The daemon reads the command line off the screen, between B and C.
#
# Everything rides on the prompt strings bash prints anyway: no fork, no
# DEBUG trap, no file, one short function per prompt. (A fork of an
# interactive bash costs ~1 ms, twenty times a whole `true` command; the
# DEBUG trap and `history 1` into a file this replaced cost ~190 us per
# command, four times bash's own prompt cycle.) The user's DEBUG trap,
# history and `$?`/`$_` are left alone.

builtin set +o posix
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

# The marks. PS1's `$?` is expanded when the prompt is printed: the status
# of the last command (bash keeps it across PROMPT_COMMAND). A `D` with no
# command running (the first prompt, Ctrl-C at an empty one) is ignored.
__wrapd_ps1_head='\[\e]133;D;$?\a\e]133;A\a\]'
__wrapd_ps2_head='\[\e]133;A;k=s\a\]'
__wrapd_input='\[\e]133;B\a\]'
__wrapd_output='\e]133;C\a'
# PS1 as we last marked it, PS2's and PS0's lengths then, and the directory
# last sent.
__wrapd_ps1='' __wrapd_ps2_len='' __wrapd_ps0_len='' __wrapd_dir=''

# Mark the prompt strings that lack our marks (a theme may rebuild PS1 at
# every prompt).
__wrapd_mark() {
    [[ "$PS1" == *"$__wrapd_input" ]] || PS1="$__wrapd_ps1_head$PS1$__wrapd_input"
    [[ "${PS2-}" == *"$__wrapd_input" ]] || PS2="$__wrapd_ps2_head${PS2-}$__wrapd_input"
    [[ "${PS0-}" == *"$__wrapd_output" ]] || PS0="${PS0-}$__wrapd_output"
    __wrapd_ps1="$PS1" __wrapd_ps2_len=${#PS2} __wrapd_ps0_len=${#PS0}
}

# OSC 7 with `%`, `;` and spaces escaped.
__wrapd_cwd() {
    __wrapd_dir="$PWD"
    local dir="${PWD//%/%25}"
    dir="${dir//;/%3B}"
    builtin printf '\e]7;file://%s%s\a' "${HOSTNAME-}" "${dir// /%20}"
}

# The last of PROMPT_COMMAND: after the user's own, which may rebuild PS1.
# A few microseconds when nothing changed (PS1 compared whole; PS2 and PS0,
# which themes set once, by length: comparing strings is the dear part).
# It is called with `$_` and ends with it, so `$_` is what it was.
__wrapd_prompt() {
    [[ "$PS1" == "$__wrapd_ps1" && ${#PS2} == "$__wrapd_ps2_len" && ${#PS0} == "$__wrapd_ps0_len" ]] || __wrapd_mark
    [[ "$PWD" == "$__wrapd_dir" ]] || __wrapd_cwd
    : "$1"
}

if [[ "$(builtin declare -p PROMPT_COMMAND 2>/dev/null)" == "declare -a"* ]]; then
    PROMPT_COMMAND+=('__wrapd_prompt "$_"')
elif [[ -n "${PROMPT_COMMAND-}" ]]; then
    PROMPT_COMMAND="${PROMPT_COMMAND}"$'\n''__wrapd_prompt "$_"'
else
    PROMPT_COMMAND='__wrapd_prompt "$_"'
fi
