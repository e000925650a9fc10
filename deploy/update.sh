#!/usr/bin/env bash
# Updates the deployed blog from its git remote, on the server.
#
# Usage: deploy/update.sh [--venv DIR] [-h|--help]
#   --venv DIR   the site's virtualenv (default: <project>/.venv, as setup.sh makes it)
#   -h, --help   show this help
#
# Run it as the project's owner (as root it switches to the owner). Steps:
#   1. fetch the branch's upstream; stop if the change is not a fast-forward,
#      the working tree has local edits, or an untracked file is where the
#      new version adds one;
#   2. install requirements.txt into the venv, only if it changed;
#   3. `flask --app website check` on the new version, in a temporary copy;
#   4. holding the build lock (no timer build in between), build the new
#      version's site from that copy with --strict into build/, beside the
#      live one, and pre-compress it: the build link then points at it in
#      one rename, and Apache answers every built URL from the new files;
#   5. fast-forward the working tree to exactly the checked commit (each new
#      or changed file put in place with one rename), then
#      `flask --app website images` (resized copies of new images), and
#   6. touch website.wsgi: mod_wsgi restarts the site's daemon processes
#      gracefully on the next request. Apache itself is not restarted.
# Each page is read whole from one build, old or new. Between steps 4 and 6
# (about a second) the built pages are new while what only the app answers
# (/search, ?page= listings, 404s) still comes from the old code.
# A failed fetch, check or build leaves the working tree, the build, and so
# the running site, as they were, and says why.
# From your own machine: make deploy HOST=user@server
set -euo pipefail

PROJECT_DIR=""
VENV_DIR=""
WORK_DIR=""

say() { printf 'update: %s\n' "$*"; }
err() { printf 'update: error: %s\n' "$*" >&2; exit 1; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || err "'$1' is needed but not installed"; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --venv) [ $# -ge 2 ] || err "--venv needs a folder"; VENV_DIR=$2; shift 2 ;;
            --venv=*) VENV_DIR=${1#--venv=}; shift ;;
            -h|--help) usage; exit 0 ;;
            *) err "unknown option '$1' (see --help)" ;;
        esac
    done
}

# As root, run again as the project's owner: git refuses repositories owned by
# someone else, and files written here must stay the owner's.
become_owner() {
    local owner
    owner=$(stat -c %U "$PROJECT_DIR")
    if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
        need_cmd runuser
        say "running as $owner, the project's owner"
        exec runuser -u "$owner" -- "$PROJECT_DIR/deploy/update.sh" "$@"
    fi
}

cleanup() { if [ -n "$WORK_DIR" ]; then rm -rf "$WORK_DIR"; fi; }

# The venv records the sha256 of the requirements.txt it was made from.
requirements_changed() {
    local target=$1
    [ "$(cat "$VENV_DIR/.requirements-sha256" 2>/dev/null)" != "$(git show "$target:requirements.txt" | sha256sum | cut -d' ' -f1)" ]
}

install_requirements() {
    local target=$1 file
    file="$WORK_DIR/requirements.txt"
    git show "$target:requirements.txt" >"$file"
    say "requirements.txt changed: installing it into $VENV_DIR"
    "$VENV_DIR/bin/pip" install --quiet --disable-pip-version-check -r "$file" \
        || err "pip install failed; the site still runs the old version"
    sha256sum "$file" | cut -d' ' -f1 >"$VENV_DIR/.requirements-sha256"
}

check_version() {
    local target=$1 copy="$WORK_DIR/check"
    mkdir -p "$copy"
    git archive "$target" | tar -x -C "$copy"
    if [ -d instance ]; then cp -R instance "$copy/"; fi
    say "checking the posts of $(git rev-parse --short "$target")"
    if ! (cd "$copy" && "$VENV_DIR/bin/flask" --app website check); then
        err "the check failed (above); nothing was changed and the site still runs $(git rev-parse --short HEAD)"
    fi
}

# The new version's site, built by its own code (the checked copy) into the
# live build/ folder, under the lock the timer's builds take too.
build_version() {
    local target=$1
    need_cmd flock
    mkdir -p "$PROJECT_DIR/.build-cache"
    exec 9>>"$PROJECT_DIR/.build-cache/deploy.lock"
    flock -w 300 9 || err "another build held the lock for 5 minutes; nothing was changed"
    say "building the site of $(git rev-parse --short "$target")"
    "$PROJECT_DIR/deploy/build.sh" --locked --strict --venv "$VENV_DIR" --code "$WORK_DIR/check" \
        || err "the build failed (above); nothing was changed and the site still runs $(git rev-parse --short HEAD)"
}

# The files that commit $2 adds (filter A), or adds and changes (AM), against
# the working tree's commit: NUL-separated, renames as a deletion and an addition.
files_in_diff() {
    git diff --name-only -z --no-renames --diff-filter="$1" HEAD "$2"
}

# An untracked file where the new version adds one: git would refuse to
# overwrite it, so stop before anything changes.
check_nothing_in_the_way() {
    local target=$1 path
    local -a added
    mapfile -d '' added < <(files_in_diff A "$target")
    for path in "${added[@]}"; do
        if [ -e "$path" ] || [ -L "$path" ]; then
            err "$path is in the way: not tracked, and $(git rev-parse --short "$target") adds it; move it and run the update again (nothing was changed)"
        fi
    done
}

# Fast-forward the working tree to the checked commit. Git replaces a file by
# removing it and writing it again, and the running site, which looks at its
# posts folder when the folder changes, could catch a post missing or empty
# (a 404 in the middle of a deploy). So each added or changed file is first
# written beside itself and renamed into place; git then finds those already
# right and only removes the deleted ones.
switch_tree() {
    local target=$1 mode path folder temporary
    local -a changed
    mapfile -d '' changed < <(files_in_diff AM "$target")
    for path in "${changed[@]}"; do
        mode=$(git ls-tree "$target" -- "$path" | cut -d' ' -f1)
        folder=$(dirname "$path")
        temporary="$folder/.$(basename "$path").update-$$"
        mkdir -p "$folder"
        rm -f "$temporary"
        case $mode in
            120000) ln -s "$(git cat-file blob "$target:$path")" "$temporary" ;;
            100644|100755)
                # With the smudge filters and line endings a checkout applies (LFS...).
                git cat-file --filters "$target:$path" >"$temporary"
                if [ "$mode" = 100755 ]; then chmod +x "$temporary"; fi ;;
            *) continue ;;      # a submodule: left to git
        esac
        mv -f -T "$temporary" "$path"
        # Staged as they are, so the reset below sees them right and leaves them.
        git update-index --add -- "$path"
    done
    git reset --quiet --hard "$target" || err "moving the working tree to $target failed"
}

main() {
    PROJECT_DIR=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
    parse_args "$@"
    become_owner "$@"
    need_cmd git
    cd "$PROJECT_DIR"
    VENV_DIR=${VENV_DIR:-$PROJECT_DIR/.venv}
    [ -x "$VENV_DIR/bin/flask" ] || err "no flask in $VENV_DIR: run setup.sh first, or pass --venv"

    local upstream target
    upstream=$(git rev-parse --abbrev-ref --symbolic-full-name '@{upstream}' 2>/dev/null) \
        || err "the current branch has no upstream to pull from"
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
        err "local changes in $PROJECT_DIR (git status); commit them elsewhere, nothing was changed"
    fi
    say "fetching ${upstream}"
    git fetch --quiet "${upstream%%/*}" || err "git fetch failed; nothing was changed"
    target=$(git rev-parse '@{upstream}')
    if [ "$target" = "$(git rev-parse HEAD)" ]; then
        say "already up to date at $(git rev-parse --short HEAD); nothing to do"
        return 0
    fi
    git merge-base --is-ancestor HEAD "$target" \
        || err "$upstream is not a fast-forward of the deployed commit (local commits or rewritten history); nothing was changed"

    check_nothing_in_the_way "$target"
    WORK_DIR=$(mktemp -d)
    trap cleanup EXIT
    if requirements_changed "$target"; then install_requirements "$target"; fi
    check_version "$target"

    build_version "$target"
    switch_tree "$target"
    # Resized copies of new images now, not on the first visitors' requests
    # (the site makes any that are missing itself, so a failure here is not fatal).
    "$VENV_DIR/bin/flask" --app website images || say "warning: flask --app website images failed; the site will make the image variants itself"
    touch website.wsgi
    say "now at $(git log -1 --format='%h %s'); the site reloads on its next request"
}

main "$@"
