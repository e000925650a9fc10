#!/usr/bin/env bash
# Publishes the blog to its CDN (the stack made by deploy/aws/provision-cdn.sh):
#   1. builds the site with `flask --app website build --strict`, so a post
#      with an error stops the publish before anything is uploaded (and so
#      does a SITE_URL still at the development address);
#   2. compares the build with the bucket (each file's MD5 with the object's
#      ETag) and uploads the new and changed files only, each kind with its
#      Content-Type and Cache-Control: pages and feeds short (browsers recheck
#      after 5 minutes), files linked with ?v=<hash> a year and immutable,
#      other static files an hour;
#   3. deletes the objects whose files are gone, after the uploads;
#   4. invalidates in CloudFront the URLs of the changed and deleted files only
#      (one /* instead when there are more than --max-paths of them).
# The bucket and distribution come from the stack's outputs, or from --bucket
# and --distribution-id. Running it again with nothing changed uploads nothing;
# after a publish cut short, it finishes the job (the paths still to invalidate
# wait in .build-publish/, beside the build folder).
#
# Usage:
#   deploy/aws/publish.sh [options]        (or: make publish [ARGS="options"])
#
# Options:
#   --stack-name NAME       the CDN stack to publish to (default: website-cdn)
#   --region REGION         the stack's region (default: the AWS CLI's own setting)
#   --bucket NAME           publish to this bucket instead of the stack's ...
#   --distribution-id ID    ... and invalidate this distribution (give both)
#   --out DIR               the build folder (default: build, in the project)
#   --max-paths N           invalidate /* instead of more than N paths (default: 200;
#                           the first 1,000 paths a month are free, /* counts as one)
#   --dry-run               build and compare, then print the aws commands that
#                           would upload, delete and invalidate, without running
#                           them; without the AWS CLI or credentials the plan is
#                           that of a first publish, to an empty bucket
#   -h, --help              show this help
# Every flag also takes the form --flag=value. The environment variables FLASK
# and PYTHON choose the commands to build and plan with (default: those of the
# project's .venv, made with `make venv` when missing). The AWS CLI's own
# settings apply as usual (AWS_PROFILE, AWS_REGION; AWS_ENDPOINT_URL points it
# at an S3-compatible test server, as the tests do).
set -euo pipefail

PROG=publish
STACK_NAME=website-cdn
REGION=
BUCKET=
DISTRIBUTION_ID=
OUT=
MAX_PATHS=200
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
        --stack-name) STACK_NAME=$2 ;;
        --region) REGION=$2 ;;
        --bucket) BUCKET=$2 ;;
        --distribution-id) DISTRIBUTION_ID=$2 ;;
        --out) OUT=$2 ;;
        --max-paths) MAX_PATHS=$2 ;;
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
    case $OUT in
        '') ;;
        /*) ;;
        *) OUT="$PWD/$OUT" ;;
    esac
    [ -n "$STACK_NAME" ] || usage_err "--stack-name must not be empty"
    [[ $MAX_PATHS =~ ^[1-9][0-9]*$ && $MAX_PATHS -le 3000 ]] ||
        usage_err "--max-paths must be a number from 1 to 3000 (CloudFront's limit), not '$MAX_PATHS'"
    if [ -n "$BUCKET" ] && [ -z "$DISTRIBUTION_ID" ]; then
        usage_err "--bucket needs --distribution-id too"
    fi
    if [ -z "$BUCKET" ] && [ -n "$DISTRIBUTION_ID" ]; then
        usage_err "--distribution-id needs --bucket too"
    fi
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

# run ARG...: print the command on a dry run, run it otherwise.
run() {
    if [ "$DRY_RUN" -eq 1 ]; then
        print_command "$@"
    else
        "$@"
    fi
}

find_tools() {
    ROOT=$(cd "$(script_dir)/../.." && pwd)
    if [ -z "${FLASK:-}" ] && [ ! -x "$ROOT/.venv/bin/flask" ]; then
        need_cmd make "or make the virtualenv by hand (see README, Quick start)"
        say "no .venv yet: creating it with make venv"
        make -C "$ROOT" --no-print-directory venv >&2
    fi
    OUT=${OUT:-$ROOT/build}
    FLASK=${FLASK:-$ROOT/.venv/bin/flask}
    PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
    [ -x "$FLASK" ] || command -v "$FLASK" >/dev/null 2>&1 || err "no flask at $FLASK"
    command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
    need_cmd "$PYTHON"
}

# Feeds, the sitemap and canonical links are built from SITE_URL: a site
# published with the development address would point its readers there.
check_site_url() {
    local url
    url=$(cd "$ROOT" && "$PYTHON" -c \
        'from website import create_app; print(create_app().config["SITE_URL"])') ||
        err "could not read SITE_URL from the app"
    case $url in
        http://127.0.0.1* | http://localhost* | https://127.0.0.1* | https://localhost*)
            if [ "$DRY_RUN" -eq 1 ]; then
                say "warning: SITE_URL is $url; set it to the site's address before publishing (README, Host on a CDN)"
            else
                err "SITE_URL is $url: set it to the site's address (instance/config.py or FLASK_SITE_URL) before publishing"
            fi
            ;;
    esac
}

# The build runs on a dry run too: the plan is made from it. It only writes
# the local build folder.
build_site() {
    local command=("$FLASK" --app website build --strict --out "$OUT")
    say "building: $(print_command "${command[@]}")"
    (cd "$ROOT" && "${command[@]}") >&2 || err "the build failed: nothing was published"
    BUILD_DIR=$(cd "$OUT" && pwd -P)
}

aws_base() {
    AWS=(aws)
    if [ -n "$REGION" ]; then
        AWS+=(--region "$REGION")
    fi
}

# aws_ready: the AWS CLI is there and has credentials. Fatal unless a dry run.
aws_ready() {
    local identity
    if [ "$DRY_RUN" -eq 1 ]; then
        command -v aws >/dev/null 2>&1 && "${AWS[@]}" sts get-caller-identity >/dev/null 2>&1
        return
    fi
    need_cmd aws "install the AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
    if ! identity=$("${AWS[@]}" sts get-caller-identity --query Arn --output text 2>&1); then
        say "aws sts get-caller-identity said: $identity"
        err "no usable AWS credentials; run 'aws configure' (or set AWS_PROFILE) and give a region with --region or AWS_REGION"
    fi
    say "publishing as $identity"
}

stack_output() {
    "${AWS[@]}" cloudformation describe-stacks --stack-name "$STACK_NAME" \
        --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

find_targets() {
    ONLINE=1
    if ! aws_ready; then
        ONLINE=0
        say "dry run without the AWS CLI or credentials: planning a first publish, to an empty bucket"
    fi
    if [ -n "$BUCKET" ]; then
        return 0
    fi
    if [ "$ONLINE" -eq 0 ]; then
        BUCKET="<bucket of stack $STACK_NAME>"
        DISTRIBUTION_ID="<distribution of stack $STACK_NAME>"
        return 0
    fi
    if ! BUCKET=$(stack_output BucketName) || ! DISTRIBUTION_ID=$(stack_output DistributionId); then
        err "no stack '$STACK_NAME'${REGION:+ in $REGION} to publish to; create it with deploy/aws/provision-cdn.sh, or check --stack-name and --region"
    fi
    case "$BUCKET $DISTRIBUTION_ID" in
        ' '* | *' ' | *None*)
            err "stack '$STACK_NAME' has no BucketName and DistributionId outputs: is it a CDN stack (cdn.yaml)?" ;;
    esac
}

list_bucket() {
    if [ "$ONLINE" -eq 0 ]; then
        printf 'null\n' >"$WORK/listing.json"
        return 0
    fi
    say "reading s3://$BUCKET/"
    "${AWS[@]}" s3api list-objects-v2 --bucket "$BUCKET" \
        --query 'Contents[].[Key,ETag]' --output json >"$WORK/listing.json" ||
        err "could not list bucket '$BUCKET'"
}

# Paths to invalidate are saved beside the build before the first upload and
# removed once CloudFront has them: a publish cut short in between leaves
# files that now compare equal, and the next publish still invalidates them.
make_plan() {
    PENDING="$(dirname "$OUT")/.$(basename "$OUT")-publish/$BUCKET.invalidate"
    "$PYTHON" "$(script_dir)/publish_plan.py" "$BUILD_DIR" "$WORK/listing.json" \
        --max-paths "$MAX_PATHS" --pending "$PENDING" >"$WORK/plan" ||
        err "could not plan the publish"
}

save_pending() {
    local paths
    paths=$(grep $'^invalidate\t' "$WORK/plan" | cut -f 2- | tr '\t' '\n' || true)
    if [ "$DRY_RUN" -eq 1 ] || [ -z "$paths" ]; then
        return 0
    fi
    mkdir -p "${PENDING%/*}"
    printf '%s\n' "$paths" >"$PENDING.tmp"
    mv "$PENDING.tmp" "$PENDING"
}

# One aws command per step of the plan: uploads (grouped by headers), then
# deletions, then one invalidation.
run_plan() {
    local fields kind command steps=0
    while IFS=$'\t' read -r -a fields; do
        kind=${fields[0]}
        case $kind in
            upload)
                command=("${AWS[@]}" s3 cp "$BUILD_DIR/" "s3://$BUCKET/" --recursive --no-progress
                    --content-type "${fields[1]}" --cache-control "${fields[2]}" --exclude '*')
                add_includes "${fields[@]:3}"
                ;;
            delete)
                command=("${AWS[@]}" s3 rm "s3://$BUCKET/" --recursive --exclude '*')
                add_includes "${fields[@]:1}"
                ;;
            invalidate)
                command=("${AWS[@]}" cloudfront create-invalidation
                    --distribution-id "$DISTRIBUTION_ID" --paths "${fields[@]:1}")
                ;;
            *) err "unexpected step in the plan: $kind" ;;
        esac
        run "${command[@]}" || err "$kind failed; running $PROG again finishes the job"
        if [ "$kind" = invalidate ] && [ "$DRY_RUN" -eq 0 ]; then
            rm -f "$PENDING"
        fi
        steps=$((steps + 1))
    done <"$WORK/plan"
    if [ "$steps" -eq 0 ]; then
        say "the bucket already holds this build: nothing to upload, delete or invalidate"
    elif [ "$DRY_RUN" -eq 0 ]; then
        say "published to s3://$BUCKET/"
    fi
}

add_includes() {
    local pattern
    for pattern in "$@"; do
        command+=(--include "$pattern")
    done
}

main() {
    parse_args "$@"
    validate
    find_tools
    aws_base
    check_site_url
    build_site
    find_targets
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/publish.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    list_bucket
    make_plan
    save_pending
    run_plan
}

main "$@"
