#!/usr/bin/env bash
# Deletes the blog's AWS stack made by deploy/aws/provision.sh and waits until
# it is gone: the server and its disk, the Elastic IP, the firewall, the www and
# apex DNS records and the recovery alarm. It keeps what the stack did not make:
# the Route 53 hosted zone, the domain registration and the EC2 key pair.
#
# Usage:
#   deploy/aws/teardown.sh [--stack-name NAME] [--region REGION] [--yes] [--dry-run]
#
# Options:
#   --stack-name NAME   the CloudFormation stack to delete (default: website)
#   --region REGION     the AWS region (default: the AWS CLI's own setting)
#   --yes               do not ask for confirmation (needed when not on a terminal)
#   --dry-run           print the aws commands instead of running them;
#                       needs neither the AWS CLI nor credentials
#   -h, --help          show this help
# Every flag also takes the form --flag=value.
set -euo pipefail

PROG=teardown
STACK_NAME=website
REGION=
ASSUME_YES=0
DRY_RUN=0

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
err() { say "error: $*"; exit 1; }
usage_err() { say "error: $*"; say "see: $0 --help"; exit 2; }

# need_cmd NAME [HINT]: fail clearly when a command is not on PATH.
need_cmd() {
    command -v "$1" >/dev/null 2>&1 || err "'$1' was not found on PATH${2:+; $2}"
}

usage() {
    local line
    while IFS= read -r line; do
        case $line in
            '#!'*) ;;
            '#'*) line=${line#\#}; printf '%s\n' "${line# }" ;;
            *) break ;;
        esac
    done <"${BASH_SOURCE[0]}"
}

set_option() {
    case $1 in
        --stack-name) STACK_NAME=$2 ;;
        --region) REGION=$2 ;;
        *) usage_err "unknown option: $1" ;;
    esac
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case $1 in
            -h | --help) usage; exit 0 ;;
            --yes) ASSUME_YES=1; shift ;;
            --dry-run) DRY_RUN=1; shift ;;
            --*=*) set_option "${1%%=*}" "${1#*=}"; shift ;;
            --*)
                [ "$#" -ge 2 ] || usage_err "$1 needs a value"
                set_option "$1" "$2"
                shift 2
                ;;
            *) usage_err "unexpected argument: $1" ;;
        esac
    done
    [ -n "$STACK_NAME" ] || usage_err "--stack-name must not be empty"
}

build_commands() {
    AWS=(aws)
    if [ -n "$REGION" ]; then
        AWS+=(--region "$REGION")
    fi
    DESCRIBE=("${AWS[@]}" cloudformation describe-stacks --stack-name "$STACK_NAME"
        --query "Stacks[0].StackStatus" --output text)
    DELETE=("${AWS[@]}" cloudformation delete-stack --stack-name "$STACK_NAME")
    WAIT=("${AWS[@]}" cloudformation wait stack-delete-complete --stack-name "$STACK_NAME")
}

# print_command ARG...: one line a shell would read back as the same words.
print_command() {
    local arg line='' quote="'\\''"
    for arg in "$@"; do
        if [[ $arg =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then
            line+=" $arg"
        else
            line+=" '${arg//\'/$quote}'"
        fi
    done
    printf '%s\n' "${line# }"
}

check_aws() {
    local identity
    need_cmd aws "install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
    if ! identity=$("${AWS[@]}" sts get-caller-identity --query Arn --output text 2>&1); then
        say "aws sts get-caller-identity said: $identity"
        err "no usable AWS credentials; run 'aws configure' (or set AWS_PROFILE) and give a region with --region or AWS_REGION"
    fi
}

check_stack() {
    local status
    if ! status=$("${DESCRIBE[@]}" 2>&1); then
        say "$status"
        err "no stack '$STACK_NAME' found${REGION:+ in $REGION}; check --stack-name and --region"
    fi
    say "stack '$STACK_NAME' is $status"
}

confirm() {
    local answer
    [ "$ASSUME_YES" -eq 0 ] || return 0
    [ -t 0 ] || err "not on a terminal: pass --yes to delete stack '$STACK_NAME'"
    read -r -p "Delete stack '$STACK_NAME': the server, its disk, the Elastic IP and the DNS records? [y/N] " answer
    case $answer in
        y | Y | yes | YES) ;;
        *) err "cancelled; nothing was deleted" ;;
    esac
}

main() {
    parse_args "$@"
    build_commands
    if [ "$DRY_RUN" -eq 1 ]; then
        print_command "${DELETE[@]}"
        print_command "${WAIT[@]}"
        return 0
    fi
    check_aws
    check_stack
    confirm
    "${DELETE[@]}"
    say "deleting stack '$STACK_NAME'; this takes a few minutes"
    if ! "${WAIT[@]}"; then
        err "the stack was not deleted cleanly; see why with: $(print_command "${AWS[@]}" cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20)"
    fi
    say "deleted. The hosted zone, domain and key pair are untouched."
}

main "$@"
