# wrapd shell integration for zsh. wrapd-muxd points ZDOTDIR at the directory
# of this file, so zsh reads it first; it puts the user's ZDOTDIR back (zsh
# then reads the user's own .zprofile, .zshrc and .zlogin from there), reads
# the user's .zshenv, and in an interactive shell loads the marks wrapd finds
# commands by: OSC 133 A/B (prompt, input), C (output), D;status (end), OSC
# 633 E (the command line, escaped) and OSC 7 (the working directory).

if [[ -n "${WRAPD_ORIG_ZDOTDIR+x}" ]]; then
    ZDOTDIR="$WRAPD_ORIG_ZDOTDIR"
    unset WRAPD_ORIG_ZDOTDIR
else
    unset ZDOTDIR
fi
typeset -g __wrapd_dir="${${(%):-%x}:A:h}"
[[ -r "${ZDOTDIR:-$HOME}/.zshenv" ]] && builtin source "${ZDOTDIR:-$HOME}/.zshenv"
if [[ -o interactive && -r "$__wrapd_dir/wrapd.zsh" ]]; then
    builtin source "$__wrapd_dir/wrapd.zsh"
fi
unset __wrapd_dir
