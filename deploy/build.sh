#!/usr/bin/env bash
# Builds the deployed site into <project>/build for Apache, and pre-compresses it.
#
# Usage: deploy/build.sh [--strict] [--wait SECONDS] [--quiet] [--venv DIR] [--code DIR]
#   --strict        any bad post fails the build (the live build stays as it was)
#   --wait SECONDS  wait that long for another build or update to finish
#                   (default: 0, skip this run and say so)
#   --quiet         print only errors (the timer's runs)
#   --venv DIR      the site's virtualenv (default: <project>/.venv)
#   --code DIR      build with the code and posts in DIR, into this project's
#                   build/ (deploy/update.sh builds a new version before it
#                   goes live this way)
#   --locked        the caller already holds the lock (deploy/update.sh)
#   --if-changed    skip the build when nothing it reads changed since the
#                   last one and no post is dated from yesterday on (the
#                   timer's runs: a minute with nothing new costs a find and
#                   a grep, not a start of the app); it still builds at least
#                   once an hour
#
# The timer installed by setup.sh runs it every minute as the project's owner:
# an incremental build that writes only what changed (nothing, most minutes),
# so a scheduled post appears within a minute of its date and an edit made on
# the server within a minute of saving it. Builds never overlap: they hold
# <project>/.build-cache/deploy.lock, as deploy/update.sh does while it
# switches versions.
set -euo pipefail
# The build is public: readable by Apache whatever the login umask.
umask 022

PROJECT_DIR=""
VENV_DIR=""
CODE_DIR=""
STRICT=()
WAIT=0
QUIET=false
LOCKED=false
IF_CHANGED=false

say() { $QUIET || printf 'build: %s\n' "$*"; }
err() { printf 'build: error: %s\n' "$*" >&2; exit 1; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || err "'$1' is needed but not installed"; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --strict) STRICT=(--strict); shift ;;
            --quiet) QUIET=true; shift ;;
            --locked) LOCKED=true; shift ;;
            --if-changed) IF_CHANGED=true; shift ;;
            --wait) [ $# -ge 2 ] || err "--wait needs seconds"; WAIT=$2; shift 2 ;;
            --venv) [ $# -ge 2 ] || err "--venv needs a folder"; VENV_DIR=$2; shift 2 ;;
            --code) [ $# -ge 2 ] || err "--code needs a folder"; CODE_DIR=$2; shift 2 ;;
            -h|--help) usage; exit 0 ;;
            *) err "unknown option '$1' (see --help)" ;;
        esac
    done
    [[ $WAIT =~ ^[0-9]+$ ]] || err "--wait takes whole seconds, not '$WAIT'"
}

# The build and its pre-compressed copies, with the lock already held.
build() {
    local out="$PROJECT_DIR/build" output status=0
    output=$(cd "$CODE_DIR" && "$VENV_DIR/bin/flask" --app website build --out "$out" "${STRICT[@]}" 2>&1) || status=$?
    if [ "$status" -ne 0 ]; then
        printf '%s\n' "$output" >&2
        err "the build failed (above); the site keeps its previous build"
    fi
    # Warnings and skipped posts are worth a line even from the timer.
    if $QUIET; then
        grep -E '(error|warning):' <<<"$output" >&2 || true
        grep -qE '^[0-9]+ files: 0 written, [0-9]+ unchanged, 0 removed' <<<"$output" && return 0
    else
        printf '%s\n' "$output"
    fi
    if $QUIET; then
        "$VENV_DIR/bin/python" "$CODE_DIR/deploy/precompress.py" "$out" >/dev/null
    else
        "$VENV_DIR/bin/python" "$CODE_DIR/deploy/precompress.py" "$out"
    fi
}

# Whether the last build may be out of date: a file it reads is newer than
# its stamp, the stamp is an hour old, or a post is dated yesterday or later
# (a scheduled post comes due on its own, without any file changing).
needs_build() {
    local stamp="$PROJECT_DIR/.build-cache/deploy.stamp" since dates
    [ -f "$stamp" ] && [ -L "$PROJECT_DIR/build" ] || return 0
    [ -n "$(find "$stamp" -mmin +60)" ] && return 0
    [ -n "$(cd "$PROJECT_DIR" && find posts templates static website site.yaml instance \
        -name __pycache__ -prune -o -newer "$stamp" -print -quit 2>/dev/null)" ] && return 0
    since=$(date -u -d yesterday +%Y-%m-%d)
    dates=$(grep -h -m1 -E '^[[:space:]]*date[[:space:]]*:' "$PROJECT_DIR"/posts/*.md 2>/dev/null \
        | grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' || true)
    [ -n "$dates" ] && [ "$(printf '%s\n' "$dates" | sort | tail -n1)" \> "$since" ] && return 0
    [ -n "$dates" ] && [ "$(printf '%s\n' "$dates" | sort | tail -n1)" = "$since" ] && return 0
    return 1
}

main() {
    PROJECT_DIR=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
    parse_args "$@"
    need_cmd flock
    VENV_DIR=${VENV_DIR:-$PROJECT_DIR/.venv}
    CODE_DIR=${CODE_DIR:-$PROJECT_DIR}
    [ -x "$VENV_DIR/bin/flask" ] || err "no flask in $VENV_DIR: run setup.sh first, or pass --venv"
    if ! $LOCKED; then
        mkdir -p "$PROJECT_DIR/.build-cache"
        exec 9>>"$PROJECT_DIR/.build-cache/deploy.lock"
        if ! flock -w "$WAIT" 9; then
            [ "$WAIT" -eq 0 ] || err "another build or update held the lock for ${WAIT}s; nothing was built"
            say "another build or update is running; skipped"
            return 0
        fi
    fi
    if $IF_CHANGED && [ "$CODE_DIR" = "$PROJECT_DIR" ] && ! needs_build; then
        return 0
    fi
    touch "$PROJECT_DIR/.build-cache/deploy.stamp.next"
    build
    mv -f "$PROJECT_DIR/.build-cache/deploy.stamp.next" "$PROJECT_DIR/.build-cache/deploy.stamp"
}

main "$@"
