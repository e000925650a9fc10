#!/usr/bin/env bash
# Creates, or updates, the blog's AWS stack from deploy/aws/website.yaml: one
# Ubuntu 24.04 EC2 server that clones the repository and runs setup.sh on first
# boot, its firewall, an Elastic IP, Route 53 A records for the domain and www,
# and an alarm that recovers the server when its host fails. Prints the stack
# outputs (site URL, IP, ssh command) when done. Rerun it to change the stack.
#
# Usage:
#   deploy/aws/provision.sh --domain example.com --zone-id Z0123456789ABCDEFGHIJ \
#       --key-name my-key --ssh-cidr 203.0.113.7/32 \
#       --repo https://github.com/you/website.git [options]
#
# Required:
#   --domain NAME          the site's domain, without www (DomainName); www.NAME
#                          is served too and redirects to NAME
#   --zone-id ID           the Route 53 hosted zone of that domain (HostedZoneId)
#   --key-name NAME        an existing EC2 key pair in the region, for ssh (KeyName)
#   --ssh-cidr CIDR        the only IPv4 addresses allowed to ssh in, usually
#                          your own address with /32 (SshCidr)
#   --repo URL             https URL of the blog's git repository (RepoUrl)
# Optional:
#   --branch NAME          the branch to deploy (RepoBranch; template default main)
#   --email ADDRESS        also set up HTTPS with Let's Encrypt; certificate
#                          notices go to this address (TlsEmail)
#   --instance-type TYPE   the server size (InstanceType; template default t3.micro)
#   --stack-name NAME      the CloudFormation stack name (default: website)
#   --region REGION        the AWS region (default: the AWS CLI's own setting)
#   --dry-run              print the aws commands instead of running them;
#                          needs neither the AWS CLI nor credentials
#   -h, --help             show this help
# Every flag also takes the form --flag=value. An optional value left out keeps
# the template default when the stack is created and its current value when it
# is updated. Every value is checked against what the template accepts before
# AWS is called (with --dry-run too); a bad one stops it with exit status 2.
set -euo pipefail

PROG=provision
STACK_NAME=website
REGION=
DOMAIN=
ZONE_ID=
KEY_NAME=
SSH_CIDR=
REPO_URL=
BRANCH=
EMAIL=
INSTANCE_TYPE=
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

script_dir() {
    local dir=${BASH_SOURCE[0]}
    case $dir in
        */*) dir=${dir%/*} ;;
        *) dir=. ;;
    esac
    (cd "$dir" && pwd)
}

set_option() {
    case $1 in
        --domain) DOMAIN=$2 ;;
        --zone-id) ZONE_ID=$2 ;;
        --key-name) KEY_NAME=$2 ;;
        --ssh-cidr) SSH_CIDR=$2 ;;
        --repo) REPO_URL=$2 ;;
        --branch) BRANCH=$2 ;;
        --email) EMAIL=$2 ;;
        --instance-type) INSTANCE_TYPE=$2 ;;
        --stack-name) STACK_NAME=$2 ;;
        --region) REGION=$2 ;;
        *) usage_err "unknown option: $1" ;;
    esac
}

parse_args() {
    while [ "$#" -gt 0 ]; do
        case $1 in
            -h | --help) usage; exit 0 ;;
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
}

# What the template accepts, checked here first so a typo fails in a second,
# in --dry-run too, instead of in a half-created stack. Kept in step with the
# AllowedPattern/AllowedValues of deploy/aws/website.yaml (the tests compare).
readonly INSTANCE_TYPES=(t3.micro t3.small t3a.micro t3a.small t2.micro t2.small)
readonly OCTET='(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])'

check_value() {
    local flag=$1 value=$2 pattern=$3 example=$4
    [[ $value =~ $pattern ]] || usage_err "--$flag must be $example, not '$value'"
}

validate() {
    local flag value
    for flag in domain zone-id key-name ssh-cidr repo; do
        case $flag in
            domain) value=$DOMAIN ;;
            zone-id) value=$ZONE_ID ;;
            key-name) value=$KEY_NAME ;;
            ssh-cidr) value=$SSH_CIDR ;;
            repo) value=$REPO_URL ;;
        esac
        [ -n "$value" ] || usage_err "--$flag is required"
    done
    DOMAIN=${DOMAIN,,}
    DOMAIN=${DOMAIN%.}
    check_value domain "$DOMAIN" '^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$' \
        "a domain name such as example.com"
    if [[ $DOMAIN == www.* ]]; then
        usage_err "--domain takes the name without www: --domain ${DOMAIN#www.} (www.${DOMAIN#www.} is served too, and redirects to it)"
    fi
    [[ $ZONE_ID != /hostedzone/* ]] ||
        usage_err "--zone-id takes the id alone: --zone-id ${ZONE_ID#/hostedzone/}"
    check_value zone-id "$ZONE_ID" '^Z[A-Z0-9]{1,31}$' \
        "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ"
    check_value key-name "$KEY_NAME" '^[ -~]{1,255}$' "an EC2 key pair name (ASCII, up to 255 characters)"
    check_value ssh-cidr "$SSH_CIDR" "^($OCTET\\.){3}$OCTET/(3[0-2]|[12]?[0-9])\$" \
        "an IPv4 CIDR such as 203.0.113.7/32"
    if [[ $SSH_CIDR == */0 ]]; then
        say "warning: --ssh-cidr $SSH_CIDR lets the whole internet try to log in over ssh"
    fi
    [[ $REPO_URL == https://* ]] || usage_err "--repo must be an https URL, not '$REPO_URL'"
    check_value repo "$REPO_URL" '^https://[A-Za-z0-9][A-Za-z0-9._~:/@%+=-]*$' \
        "an https git URL without spaces or quotes"
    [ -z "$BRANCH" ] || check_value branch "$BRANCH" '^[A-Za-z0-9][A-Za-z0-9._/-]*$' \
        "a git branch name (letters, digits, . _ / -)"
    [ -z "$EMAIL" ] || check_value email "$EMAIL" '^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$' \
        "an email address such as you@example.com"
    if [ -n "$INSTANCE_TYPE" ] && [[ " ${INSTANCE_TYPES[*]} " != *" $INSTANCE_TYPE "* ]]; then
        usage_err "--instance-type must be one of ${INSTANCE_TYPES[*]}, not '$INSTANCE_TYPE'"
    fi
    check_value stack-name "$STACK_NAME" '^[A-Za-z][A-Za-z0-9-]{0,127}$' \
        "a stack name (a letter, then letters, digits and -; up to 128)"
    [ -z "$REGION" ] || check_value region "$REGION" '^[a-z]{2}(-[a-z]+)+-[0-9]+$' \
        "an AWS region such as eu-west-1"
}

# aws_base: "aws", plus --region when one was given.
aws_base() {
    AWS=(aws)
    if [ -n "$REGION" ]; then
        AWS+=(--region "$REGION")
    fi
}

build_commands() {
    local template overrides
    template="$(script_dir)/website.yaml"
    [ -f "$template" ] || err "template not found: $template"
    overrides=(
        "DomainName=$DOMAIN"
        "HostedZoneId=$ZONE_ID"
        "KeyName=$KEY_NAME"
        "SshCidr=$SSH_CIDR"
        "RepoUrl=$REPO_URL"
    )
    [ -z "$BRANCH" ] || overrides+=("RepoBranch=$BRANCH")
    [ -z "$EMAIL" ] || overrides+=("TlsEmail=$EMAIL")
    [ -z "$INSTANCE_TYPE" ] || overrides+=("InstanceType=$INSTANCE_TYPE")

    DEPLOY=("${AWS[@]}" cloudformation deploy
        --stack-name "$STACK_NAME"
        --template-file "$template"
        --no-fail-on-empty-changeset
        --parameter-overrides "${overrides[@]}")
    OUTPUTS=("${AWS[@]}" cloudformation describe-stacks
        --stack-name "$STACK_NAME"
        --query "Stacks[0].Outputs[].[OutputKey,OutputValue]"
        --output table)
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
    say "deploying as $identity"
}

deploy() {
    say "deploying stack '$STACK_NAME' (a first deploy takes a few minutes)"
    if ! "${DEPLOY[@]}"; then
        err "the deploy failed; see why with: $(print_command "${AWS[@]}" cloudformation describe-stack-events --stack-name "$STACK_NAME" --max-items 20)"
    fi
    "${OUTPUTS[@]}"
    say "done. The server finishes setting itself up a few minutes after boot;"
    say "follow it with the ProvisionLog command above."
}

main() {
    parse_args "$@"
    validate
    aws_base
    build_commands
    if [ "$DRY_RUN" -eq 1 ]; then
        print_command "${DEPLOY[@]}"
        print_command "${OUTPUTS[@]}"
        return 0
    fi
    check_aws
    deploy
}

main "$@"
