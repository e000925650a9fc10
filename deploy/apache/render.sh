#!/usr/bin/env bash
# Renders one Apache template from deploy/apache/ to standard output.
#
# Usage: deploy/apache/render.sh TEMPLATE NAME=VALUE...
#   TEMPLATE    a *.conf.in file; each @NAME@ in it is replaced by VALUE
#   NAME=VALUE  one per placeholder (see the header of website.conf.in)
#
# Fails, printing nothing, when a placeholder (@NAME@ in the template) is left without a value, when a
# NAME is not in the template, or when a value could break the Apache syntax
# (whitespace, quotes, backslashes, "$" or "%", or empty).
# setup.sh renders the site with this script, and so do the tests.
set -euo pipefail

say() { printf 'render: %s\n' "$*" >&2; }
err() { say "error: $*"; exit 1; }

render() {
    local template=$1
    shift
    [ -f "$template" ] || err "no template $template"
    local text pair name value
    text=$(<"$template")
    for pair in "$@"; do
        [[ $pair == *=* ]] || err "expected NAME=VALUE, got '$pair'"
        name=${pair%%=*}
        value=${pair#*=}
        [[ $name =~ ^[A-Z][A-Z0-9_]*$ ]] || err "bad placeholder name '$name'"
        [ -n "$value" ] || err "empty value for $name"
        [[ $value =~ [[:space:]\"\'\\\$%] ]] && err "$name has a character Apache would misread: '$value'"
        [[ $text == *"@$name@"* ]] || err "$template has no @$name@"
        text=${text//"@$name@"/"$value"}
    done
    local left
    left=$(grep -o '@[A-Z][A-Z0-9_]*@' <<<"$text" | sort -u | tr '\n' ' ' || true)
    [ -z "$left" ] || err "$template: no value given for ${left% }"
    printf '%s\n' "$text"
}

main() {
    [ $# -ge 1 ] || err "usage: render.sh TEMPLATE NAME=VALUE..."
    render "$@"
}

main "$@"
