#!/usr/bin/env bash
# Installs the system tools the test suite drives for real, only those missing:
# Apache + mod_wsgi (and openssl, for the HTTPS test), Debian's chromium, a
# linter for the scripts (shellcheck), python3-venv, git, wrk and curl (make
# bench-serve, the HTTP/2 test), brotli (pre-compressed pages), acl (setfacl, for
# the image variants' inherited permissions), Node.js and npm
# (unless a node is already on PATH; Node runs Lighthouse and the CloudFront
# Function's test), and the pinned npm packages from
# package.json (Lighthouse).
# Usage: tests/system-deps.sh        (run by `make test`)
set -euo pipefail

APT_PACKAGES=(apache2 libapache2-mod-wsgi-py3 python3-venv git shellcheck chromium openssl wrk curl brotli acl)
# A node installed another way (nvm, NodeSource) is used as it is.
if ! command -v npm >/dev/null 2>&1; then APT_PACKAGES+=(nodejs npm); fi

say() { printf 'system-deps: %s\n' "$*"; }

missing_packages() {
    local pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "$pkg"
    done
}

install_apt() {
    local missing
    mapfile -t missing < <(missing_packages)
    [ "${#missing[@]}" -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { say "missing ${missing[*]}; run as root or install them"; exit 1; }
        sudo=(sudo)
    fi
    say "installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_npm() {
    [ -f package.json ] || return 0
    if [ ! -f node_modules/.installed ] || [ package.json -nt node_modules/.installed ]; then
        say "installing npm packages"
        npm install --no-audit --no-fund --loglevel=error
        touch node_modules/.installed
    fi
}

main() {
    cd "$(dirname "$0")/.."
    command -v dpkg-query >/dev/null 2>&1 && install_apt
    install_npm
}

main "$@"
