#!/usr/bin/env bash
# Creates, or updates, the blog's CDN on AWS: the static build in a private S3
# bucket behind CloudFront, with HTTPS for the domain and www, from two reviewed
# CloudFormation templates:
#   1. deploy/aws/cdn-certificate.yaml, stack <stack-name>-certificate, always
#      in us-east-1 (CloudFront takes certificates from there only): an ACM
#      certificate for the domain and www, validated through Route 53 DNS;
#   2. deploy/aws/cdn.yaml, stack <stack-name>, in --region: the bucket, the
#      distribution, its URL function and the A and AAAA alias records.
# Prints the stack outputs when done. Rerun it to change the stacks. Then put
# the site online with deploy/aws/publish.sh (make publish).
#
# Usage:
#   deploy/aws/provision-cdn.sh --domain example.com --zone-id Z0123456789ABCDEFGHIJ [options]
#
# Required:
#   --domain NAME          the site's domain, without www (DomainName)
#   --zone-id ID           the Route 53 hosted zone of that domain (HostedZoneId)
# Optional:
#   --price-class CLASS    PriceClass_All (template default), PriceClass_200 or
#                          PriceClass_100: which edge locations serve the site
#   --stack-name NAME      the site's stack name (default: website-cdn); the
#                          certificate's stack is NAME-certificate
#   --region REGION        the region of the site's stack and bucket (default:
#                          the AWS CLI's own setting); the certificate's stack
#                          is in us-east-1 whatever this says
#   --dry-run              print the aws commands instead of running them;
#                          needs neither the AWS CLI nor credentials
#   -h, --help             show this help
# Every flag also takes the form --flag=value. An optional value left out keeps
# the template default when the stack is created and its current value when it
# is updated.
set -euo pipefail

PROG=provision-cdn
CERT_REGION=us-east-1
STACK_NAME=website-cdn
REGION=
DOMAIN=
ZONE_ID=
PRICE_CLASS=
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
        --price-class) PRICE_CLASS=$2 ;;
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

validate() {
    [ -n "$DOMAIN" ] || usage_err "--domain is required"
    [ -n "$ZONE_ID" ] || usage_err "--zone-id is required"
    [ -n "$STACK_NAME" ] || usage_err "--stack-name must not be empty"
    [[ $DOMAIN =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$ ]] ||
        usage_err "--domain must be a lower-case domain such as example.com, not '$DOMAIN'"
    [[ $DOMAIN != www.* ]] ||
        usage_err "--domain is the apex, without www (www.$DOMAIN is served too): try --domain ${DOMAIN#www.}"
    case $PRICE_CLASS in
        '' | PriceClass_All | PriceClass_200 | PriceClass_100) ;;
        *) usage_err "--price-class must be PriceClass_All, PriceClass_200 or PriceClass_100, not '$PRICE_CLASS'" ;;
    esac
}

build_commands() {
    local dir site_overrides
    dir=$(script_dir)
    [ -f "$dir/cdn.yaml" ] || err "template not found: $dir/cdn.yaml"
    [ -f "$dir/cdn-certificate.yaml" ] || err "template not found: $dir/cdn-certificate.yaml"
    CERT_STACK="$STACK_NAME-certificate"
    CERT_AWS=(aws --region "$CERT_REGION")
    AWS=(aws)
    if [ -n "$REGION" ]; then
        AWS+=(--region "$REGION")
    fi
    CERT_DEPLOY=("${CERT_AWS[@]}" cloudformation deploy
        --stack-name "$CERT_STACK"
        --template-file "$dir/cdn-certificate.yaml"
        --no-fail-on-empty-changeset
        --parameter-overrides "DomainName=$DOMAIN" "HostedZoneId=$ZONE_ID")
    CERT_ARN_QUERY=("${CERT_AWS[@]}" cloudformation describe-stacks
        --stack-name "$CERT_STACK"
        --query "Stacks[0].Outputs[?OutputKey=='CertificateArn'].OutputValue"
        --output text)
    site_overrides=("DomainName=$DOMAIN" "HostedZoneId=$ZONE_ID")
    [ -z "$PRICE_CLASS" ] || site_overrides+=("PriceClass=$PRICE_CLASS")
    # The certificate's ARN is known once its stack exists: it comes last.
    SITE_DEPLOY=("${AWS[@]}" cloudformation deploy
        --stack-name "$STACK_NAME"
        --template-file "$dir/cdn.yaml"
        --no-fail-on-empty-changeset
        --parameter-overrides "${site_overrides[@]}")
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

# The plan as lines a shell can run, the certificate's ARN passed by variable
# (the "$" are for that shell to expand, hence printed in single quotes).
# shellcheck disable=SC2016
print_plan() {
    print_command "${CERT_DEPLOY[@]}"
    printf 'CERTIFICATE_ARN=$(%s)\n' "$(print_command "${CERT_ARN_QUERY[@]}")"
    printf '%s "CertificateArn=$CERTIFICATE_ARN"\n' "$(print_command "${SITE_DEPLOY[@]}")"
    print_command "${OUTPUTS[@]}"
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

events_hint() {
    print_command "${@:1:$#-1}" cloudformation describe-stack-events --stack-name "${*: -1}" --max-items 20
}

deploy_certificate() {
    say "deploying stack '$CERT_STACK' in $CERT_REGION: the certificate for $DOMAIN and www.$DOMAIN"
    say "(a first deploy waits for DNS validation: usually a few minutes)"
    if ! "${CERT_DEPLOY[@]}"; then
        err "the certificate's deploy failed; see why with: $(events_hint "${CERT_AWS[@]}" "$CERT_STACK")"
    fi
    CERTIFICATE_ARN=$("${CERT_ARN_QUERY[@]}")
    [[ $CERTIFICATE_ARN == arn:*:acm:"$CERT_REGION":* ]] ||
        err "stack '$CERT_STACK' gave no certificate ARN (got '$CERTIFICATE_ARN')"
    say "certificate: $CERTIFICATE_ARN"
}

deploy_site() {
    say "deploying stack '$STACK_NAME' (a first deploy takes 5 to 15 minutes: CloudFront is slow to create)"
    if ! "${SITE_DEPLOY[@]}" "CertificateArn=$CERTIFICATE_ARN"; then
        err "the deploy failed; see why with: $(events_hint "${AWS[@]}" "$STACK_NAME")"
    fi
    "${OUTPUTS[@]}"
    say "done. Put the site online with: make publish (or deploy/aws/publish.sh${REGION:+ --region $REGION} --stack-name $STACK_NAME)"
}

main() {
    parse_args "$@"
    validate
    build_commands
    if [ "$DRY_RUN" -eq 1 ]; then
        print_plan
        return 0
    fi
    check_aws
    deploy_certificate
    deploy_site
}

main "$@"
