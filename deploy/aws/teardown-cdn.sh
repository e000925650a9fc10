#!/usr/bin/env bash
# Deletes the blog's CDN made by deploy/aws/provision-cdn.sh and waits until it
# is gone: first the site's objects (a bucket must be empty to be deleted), then
# the site's stack (bucket, distribution, URL function, DNS records), then the
# certificate's stack in us-east-1. It keeps what the stacks did not make: the
# Route 53 hosted zone, the domain registration and the build on your disk.
#
# Usage:
#   deploy/aws/teardown-cdn.sh [--stack-name NAME] [--region REGION] [--yes] [--dry-run]
#
# Options:
#   --stack-name NAME   the site's stack (default: website-cdn); its certificate's
#                       stack, NAME-certificate, in us-east-1 goes too
#   --region REGION     the site stack's region (default: the AWS CLI's own setting)
#   --yes               do not ask for confirmation (needed when not on a terminal)
#   --dry-run           print the aws commands instead of running them;
#                       needs neither the AWS CLI nor credentials
#   -h, --help          show this help
# Every flag also takes the form --flag=value.
set -euo pipefail

PROG=teardown-cdn
CERT_REGION=us-east-1
STACK_NAME=website-cdn
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
    CERT_STACK="$STACK_NAME-certificate"
    AWS=(aws)
    if [ -n "$REGION" ]; then
        AWS+=(--region "$REGION")
    fi
    CERT_AWS=(aws --region "$CERT_REGION")
    BUCKET_QUERY=("${AWS[@]}" cloudformation describe-stacks --stack-name "$STACK_NAME"
        --query "Stacks[0].Outputs[?OutputKey=='BucketName'].OutputValue" --output text)
    DELETE_SITE=("${AWS[@]}" cloudformation delete-stack --stack-name "$STACK_NAME")
    WAIT_SITE=("${AWS[@]}" cloudformation wait stack-delete-complete --stack-name "$STACK_NAME")
    DELETE_CERT=("${CERT_AWS[@]}" cloudformation delete-stack --stack-name "$CERT_STACK")
    WAIT_CERT=("${CERT_AWS[@]}" cloudformation wait stack-delete-complete --stack-name "$CERT_STACK")
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

# The plan as lines a shell can run; "$BUCKET" is for that shell to expand.
# shellcheck disable=SC2016
print_plan() {
    printf 'BUCKET=$(%s)\n' "$(print_command "${BUCKET_QUERY[@]}")"
    printf '%s "s3://$BUCKET/" --recursive --only-show-errors\n' "$(print_command "${AWS[@]}" s3 rm)"
    print_command "${DELETE_SITE[@]}"
    print_command "${WAIT_SITE[@]}"
    print_command "${DELETE_CERT[@]}"
    print_command "${WAIT_CERT[@]}"
}

check_aws() {
    local identity
    need_cmd aws "install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
    if ! identity=$("${AWS[@]}" sts get-caller-identity --query Arn --output text 2>&1); then
        say "aws sts get-caller-identity said: $identity"
        err "no usable AWS credentials; run 'aws configure' (or set AWS_PROFILE) and give a region with --region or AWS_REGION"
    fi
}

find_bucket() {
    if ! BUCKET=$("${BUCKET_QUERY[@]}" 2>&1); then
        say "$BUCKET"
        err "no stack '$STACK_NAME' found${REGION:+ in $REGION}; check --stack-name and --region"
    fi
    case $BUCKET in
        '' | None) err "stack '$STACK_NAME' has no BucketName output: is it a CDN stack (cdn.yaml)?" ;;
    esac
}

confirm() {
    local answer
    [ "$ASSUME_YES" -eq 0 ] || return 0
    [ -t 0 ] || err "not on a terminal: pass --yes to delete the CDN of stack '$STACK_NAME'"
    read -r -p "Delete every object in s3://$BUCKET, stack '$STACK_NAME' and its certificate? [y/N] " answer
    case $answer in
        y | Y | yes | YES) ;;
        *) err "cancelled; nothing was deleted" ;;
    esac
}

delete_all() {
    "${AWS[@]}" s3 rm "s3://$BUCKET/" --recursive --only-show-errors
    "${DELETE_SITE[@]}"
    say "deleting stack '$STACK_NAME'; a distribution takes a while (often 15 minutes or more)"
    "${WAIT_SITE[@]}" ||
        err "stack '$STACK_NAME' was not deleted cleanly; see why with: $(print_command "${AWS[@]}" cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20)"
    "${DELETE_CERT[@]}"
    say "deleting stack '$CERT_STACK' in $CERT_REGION"
    "${WAIT_CERT[@]}" ||
        err "stack '$CERT_STACK' was not deleted cleanly; see why with: $(print_command "${CERT_AWS[@]}" cloudformation describe-stack-events --stack-name "$CERT_STACK" --max-items 20)"
    say "deleted. The hosted zone and the domain are untouched."
}

main() {
    parse_args "$@"
    build_commands
    if [ "$DRY_RUN" -eq 1 ]; then
        print_plan
        return 0
    fi
    check_aws
    find_bucket
    confirm
    delete_all
}

main "$@"
