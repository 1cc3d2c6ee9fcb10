# native-lib.sh — the laptop person of the native-mode tests: a throwaway
# user whose ~/.ssh libssh reads (from the passwd entry, as OpenSSH does),
# and vmconsole run as them with no terminal. Source it after lib.sh (bash).
#
# The test sets: D (its temp dir), VMC (vmconsole), LAPTOP (the X display),
# LAPTOP_USER, LHOME (their home), LRUN (their XDG_RUNTIME_DIR); optional
# EXTRA_ENV (more NAME=VALUE words, e.g. SSH_AUTH_SOCK), VMC_T_WRAP (a
# command to run vmconsole under: valgrind, gdb --args).
#
#   native_add_person              the user, ~/.ssh (0700) and LRUN (0700)
#   launch TAG ARGS...             vmconsole ARGS in the background (setsid,
#                                  stdin /dev/null, output in $D/TAG.{out,err});
#                                  sets LPID, adds it to BG_PIDS
#   reap TAG [TENTHS]              wait for LPID (default 30 s, then SIGKILL);
#                                  its exit status in RC and $D/TAG.rc
#   has TAG TEXT                   vmconsole said TEXT (fixed string)
#   wait_until TENTHS COMMAND...   TRUE once COMMAND succeeds
#   no_viewer, no_socket_dir       the laptop person runs no remote-viewer;
#                                  LRUN holds no socket dir

native_add_person() {
    useradd --create-home --home-dir "$LHOME" --shell /bin/sh "$LAPTOP_USER" || return 1
    VMC_T_USERS="$VMC_T_USERS $LAPTOP_USER"
    install -d -m 0700 -o "$LAPTOP_USER" "$LHOME/.ssh" "$LRUN"
}

launch() { # launch TAG ARGS...
    local tag=$1; shift
    rm -f "$D/$tag.rc"
    # shellcheck disable=SC2086 # EXTRA_ENV's and VMC_T_WRAP's words are split on purpose
    setsid runuser -u "$LAPTOP_USER" -- env -i PATH="$PATH" HOME="$LHOME" USER="$LAPTOP_USER" \
        LANG=C.UTF-8 DISPLAY="$LAPTOP" XDG_RUNTIME_DIR="$LRUN" ${EXTRA_ENV:-} \
        ${VMC_T_WRAP:-} "$VMC" "$@" </dev/null >"$D/$tag.out" 2>"$D/$tag.err" &
    LPID=$!
    BG_PIDS="${BG_PIDS:-} $LPID"
}

wait_until() { # wait_until TENTHS COMMAND...
    local n=$1; shift
    for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
    "$@"
}

reap() { # reap TAG [TENTHS]
    local st
    RC=""
    wait_until "${2:-300}" eval '! pid_alive "$LPID"'
    if pid_alive "$LPID"; then RC=timeout; kill -KILL "$LPID" 2>/dev/null; fi
    wait "$LPID" 2>/dev/null
    st=$?
    [ "$RC" = timeout ] || RC=$st
    echo "$RC" > "$D/$1.rc"
    BG_PIDS=$(vmc_words_without "$LPID" "$BG_PIDS")
}

has() { grep -qF -- "$2" "$D/$1.err"; } # has TAG TEXT
no_viewer() { [ -z "$(pgrep -u "$LAPTOP_USER" -x remote-viewer)" ]; }
no_socket_dir() { [ -z "$(ls -A "$LRUN")" ]; }
