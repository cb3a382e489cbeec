# wrapd shell integration for fish. wrapd-muxd adds the directory above this
# file's to XDG_DATA_DIRS, so fish loads it from vendor_conf.d; it puts the
# user's XDG_DATA_DIRS back and, in an interactive fish, adds the marks wrapd
# finds commands by: OSC 133 A/B (prompt, input), C (output), D;status (end),
# OSC 633 E (the command line, escaped) and OSC 7 (the working directory).

if set -q WRAPD_ORIG_XDG_DATA_DIRS
    set -gx XDG_DATA_DIRS "$WRAPD_ORIG_XDG_DATA_DIRS"
    set -e WRAPD_ORIG_XDG_DATA_DIRS
else
    set -e XDG_DATA_DIRS
end
# fish made its function, completion and vendor paths from XDG_DATA_DIRS
# before it read this file: take our directory out of them again (it holds
# nothing but this file).
set -l __wrapd_dir (string replace -r '/vendor_conf\.d$' '' -- (status dirname))
for __wrapd_var in fish_function_path fish_complete_path __fish_vendor_functionsdirs \
        __fish_vendor_completionsdirs __fish_vendor_confdirs
    # (Only when it is there: one may be a universal variable, not to rewrite.)
    if string match -q -- "$__wrapd_dir/*" $$__wrapd_var
        set $__wrapd_var (string match -v -- "$__wrapd_dir/*" $$__wrapd_var)
    end
end
set -e __wrapd_var

if status is-interactive
    # The command line for OSC 633 E: `\`, `;` and control characters escaped.
    function __wrapd_escape
        set -l s (string replace -a -- '\\' '\\\\' "$argv[1]" | string collect)
        set s (string replace -a -- \n '\\x0a' "$s" | string collect)
        set s (string replace -a -- \r '\\x0d' "$s" | string collect)
        set s (string replace -a -- \t '\\x09' "$s" | string collect)
        set s (string replace -a -- \e '\\x1b' "$s" | string collect)
        set s (string replace -a -- \a '\\x07' "$s" | string collect)
        string replace -a -- ';' '\\x3b' "$s"
    end

    function __wrapd_preexec --on-event fish_preexec
        printf '\e]633;E;%s\a\e]133;C\a' (__wrapd_escape "$argv[1]")
    end

    function __wrapd_postexec --on-event fish_postexec
        printf '\e]133;D;%s\a' $status
    end

    function __wrapd_prompt_start --on-event fish_prompt
        printf '\e]7;file://%s%s\a\e]133;A\a' "$hostname" (string escape --style=url -- "$PWD")
        # The user's prompt is known by now: wrap it once to mark its end.
        if not functions -q __wrapd_user_prompt; and functions -q fish_prompt
            functions -c fish_prompt __wrapd_user_prompt
            function fish_prompt
                __wrapd_user_prompt
                printf '\e]133;B\a'
            end
        end
    end
end
