#!/usr/bin/env bash
# Puts the blog on this server behind Apache 2.4 + mod_wsgi, in one command.
#
# Usage: sudo ./setup.sh --domain example.com [--tls --email you@example.com] [--dry-run]
#   --domain NAME   the site's domain, without www (required); www.NAME
#                   answers too, with a permanent redirect to NAME
#   --tls           get a Let's Encrypt certificate for NAME and www.NAME with
#                   certbot --apache, redirect HTTP to HTTPS and send HSTS
#                   (DNS for both names must already point at this server)
#   --email ADDR    contact address for Let's Encrypt (required with --tls)
#   --dry-run       print every change it would make, and make none
#   -h, --help      show this help
#
# Run it as root from the cloned project, which stays where it is (normally
# the owner's home folder) and is served as its owner. Supported: Ubuntu 22.04
# and 24.04, Debian 12. It installs what is missing of apache2,
# libapache2-mod-wsgi-py3, python3-venv, git and acl; makes <project>/.venv
# with the python3 that mod_wsgi embeds; lets Apache's user reach static/
# (only) through ACLs; links /var/www/html/website to the project; writes and
# enables the "website" site, disables the default site, checks the config and
# reloads Apache. It builds the site's static pages (deploy/build.sh), which
# Apache answers from, and runs that build every minute (a systemd timer, or
# cron without systemd). It sets the site's public address, SITE_URL
# (http://NAME, or https://NAME with TLS), in <project>/instance/config.py:
# the server's own settings, outside git, kept by deploy/update.sh. It is
# idempotent: a second run changes nothing.
# Everything is checked before the first change, so an error leaves the
# server as it was. Updates after that: deploy/update.sh (README, "Deploy").
set -euo pipefail

readonly APT_PACKAGES=(apache2 libapache2-mod-wsgi-py3 python3-venv git acl)
readonly TLS_PACKAGES=(certbot python3-certbot-apache)
readonly APACHE_MODULES=(wsgi headers filter deflate alias mime rewrite env authz_core authz_host)
# Enabled when this Apache has them: brotli for clients that take it.
readonly OPTIONAL_MODULES=(brotli)
readonly CRON_FILE=/etc/cron.d/website-build
readonly SYSTEM_PYTHON=/usr/bin/python3
readonly APACHE_ETC=/etc/apache2
readonly MOD_WSGI_SO=/usr/lib/apache2/modules/mod_wsgi.so
readonly LINK=/var/www/html/website
readonly SITE=website
readonly SITE_URL_NOTE="# set by setup.sh --domain; run it again to change it"

DOMAIN=""
SITE_URL=""
EMAIL=""
TLS=false
DRY_RUN=false
PROJECT_DIR=""
OWNER=""
GROUP=""
OWNER_HOME=""
VENV_DIR=""
APACHE_USER=www-data
CHANGES=0
APACHE_CHANGED=false
SITE_URL_CHANGED=false
TIMER_CHANGED=false
WORK_DIR=""
UNDO=()

say() { printf 'setup: %s\n' "$*"; }
err() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }
need_cmd() { command -v "$1" >/dev/null 2>&1 || err "'$1' is needed but not installed"; }
have() { command -v "$1" >/dev/null 2>&1; }

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; }

have_systemd() { [ -d /run/systemd/system ]; }

# Every change goes through run: printed, and made unless --dry-run.
run() {
    CHANGES=$((CHANGES + 1))
    if $DRY_RUN; then
        printf 'setup: would run: %s\n' "$*"
    else
        printf 'setup: + %s\n' "$*"
        "$@"
    fi
}

as_owner() { runuser -u "$OWNER" -- env HOME="$OWNER_HOME" PIP_DISABLE_PIP_VERSION_CHECK=1 "$@"; }
as_apache() { runuser -u "$APACHE_USER" -- "$@"; }

cleanup() { if [ -n "$WORK_DIR" ]; then rm -rf "$WORK_DIR"; fi; }

parse_args() {
    while [ $# -gt 0 ]; do
        case $1 in
            --domain) [ $# -ge 2 ] || err "--domain needs a name"; DOMAIN=$2; shift 2 ;;
            --domain=*) DOMAIN=${1#--domain=}; shift ;;
            --email) [ $# -ge 2 ] || err "--email needs an address"; EMAIL=$2; shift 2 ;;
            --email=*) EMAIL=${1#--email=}; shift ;;
            --tls) TLS=true; shift ;;
            --dry-run) DRY_RUN=true; shift ;;
            -h|--help) usage; exit 0 ;;
            *) err "unknown option '$1' (see --help)" ;;
        esac
    done
}

# --- Checks: all of them run before the first change ------------------------

check_args() {
    [ -n "$DOMAIN" ] || err "--domain is required, e.g. sudo ./setup.sh --domain example.com"
    DOMAIN=${DOMAIN,,}
    DOMAIN=${DOMAIN%.}
    if [[ $DOMAIN == www.* ]]; then
        err "give the domain without www: --domain ${DOMAIN#www.} (www.${DOMAIN#www.} is served too, and redirects to it)"
    fi
    [[ $DOMAIN =~ ^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$ ]] \
        || err "'$DOMAIN' is not a domain name like example.com"
    if $TLS; then
        [ -n "$EMAIL" ] || err "--tls needs --email you@example.com (Let's Encrypt's contact)"
        [[ $EMAIL =~ ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$ ]] || err "'$EMAIL' is not an email address"
    elif [ -n "$EMAIL" ]; then
        err "--email is only used with --tls"
    fi
}

check_root() {
    [ "$(id -u)" -eq 0 ] || err "run as root: sudo ./setup.sh --domain $DOMAIN"
}

check_os() {
    local id="" version="" pretty=""
    [ -r /etc/os-release ] || err "cannot read /etc/os-release: unsupported system"
    # shellcheck disable=SC1091
    id=$(. /etc/os-release && printf '%s' "${ID:-}")
    # shellcheck disable=SC1091
    version=$(. /etc/os-release && printf '%s' "${VERSION_ID:-}")
    # shellcheck disable=SC1091
    pretty=$(. /etc/os-release && printf '%s' "${PRETTY_NAME:-$id $version}")
    case "$id $version" in
        "ubuntu 22.04"|"ubuntu 24.04"|"debian 12") ;;
        *) err "unsupported system '$pretty': this script knows Ubuntu 22.04, 24.04 and Debian 12" ;;
    esac
    for cmd in apt-get dpkg-query runuser stat; do need_cmd "$cmd"; done
}

check_project() {
    PROJECT_DIR=$(cd "$(dirname "$(readlink -f "$0")")" && pwd -P)
    if ! { [ -f "$PROJECT_DIR/website.wsgi" ] && [ -f "$PROJECT_DIR/requirements.txt" ] && [ -d "$PROJECT_DIR/website" ]; }; then
        err "$PROJECT_DIR does not look like the blog project"
    fi
    [[ $PROJECT_DIR =~ [[:space:]\"\'\\\$%] ]] && err "the project path '$PROJECT_DIR' has characters Apache's config cannot take; clone it elsewhere"
    OWNER=$(stat -c %U "$PROJECT_DIR")
    if [ "$OWNER" = root ] || [ "$OWNER" = UNKNOWN ]; then
        err "$PROJECT_DIR belongs to root: clone it as the user who will own the site (e.g. ubuntu), not as root"
    fi
    GROUP=$(id -gn "$OWNER")
    OWNER_HOME=$(getent passwd "$OWNER" | cut -d: -f6)
    VENV_DIR=$PROJECT_DIR/.venv
    if [ -e "$LINK" ] || [ -L "$LINK" ]; then
        [ -L "$LINK" ] || err "$LINK exists and is not a symlink; move it away first"
    fi
    if [ -r "$APACHE_ETC/envvars" ]; then
        # shellcheck disable=SC1091
        APACHE_USER=$(set +eu; . "$APACHE_ETC/envvars" >/dev/null 2>&1; printf '%s' "${APACHE_RUN_USER:-www-data}")
    fi
    id "$APACHE_USER" >/dev/null 2>&1 || $DRY_RUN || ! dpkg_installed apache2 || err "Apache's user '$APACHE_USER' does not exist"
}

# mod_wsgi runs the python3 it was built for; the venv must come from that one.
wsgi_python_version() {
    local found=""
    if [ -e "$MOD_WSGI_SO" ]; then
        found=$(ldd "$MOD_WSGI_SO" 2>/dev/null | grep -o 'libpython[0-9]*\.[0-9]*' | head -n1 || true)
    fi
    if [ -z "$found" ] && have apt-cache; then
        found=$(apt-cache show libapache2-mod-wsgi-py3 2>/dev/null | grep -m1 '^Depends:' \
            | grep -o 'libpython[0-9]*\.[0-9]*' | head -n1 || true)
    fi
    printf '%s' "${found#libpython}"
}

check_python() {
    [ -x "$SYSTEM_PYTHON" ] || err "$SYSTEM_PYTHON is missing: install python3 first"
    local mine wsgi
    mine=$("$SYSTEM_PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    wsgi=$(wsgi_python_version)
    if [ -z "$wsgi" ]; then
        # Not installed and not in apt's lists yet: checked again after installing.
        dpkg_installed libapache2-mod-wsgi-py3 && err "cannot tell which Python mod_wsgi embeds ($MOD_WSGI_SO)"
        return 0
    fi
    [ "$mine" = "$wsgi" ] || err "$SYSTEM_PYTHON is $mine but mod_wsgi embeds Python $wsgi; the site's venv must match"
    if [ -e "$VENV_DIR" ]; then
        local cfg="$VENV_DIR/pyvenv.cfg" home version
        [ -f "$cfg" ] || err "$VENV_DIR exists but is not a virtualenv; move it away"
        home=$(sed -n 's/^home *= *//p' "$cfg")
        version=$(sed -n 's/^version\(_info\)\{0,1\} *= *\([0-9]*\.[0-9]*\).*/\2/p' "$cfg")
        if [ "$home" != "$(dirname "$SYSTEM_PYTHON")" ] || [ "$version" != "$wsgi" ]; then
            err "$VENV_DIR was made by Python $version from $home, not by $SYSTEM_PYTHON ($wsgi) that mod_wsgi embeds; remove it (rm -r $VENV_DIR) and run again"
        fi
    fi
}

check_port() {
    local listeners=""
    if have ss; then
        listeners=$(ss -Hltnp 'sport = :80' 2>/dev/null || true)
    elif grep -qiE '^ *[0-9]+: [0-9A-F]+:0050 [0-9A-F]+:[0-9A-F]+ 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
        listeners="unknown program"
    fi
    [ -n "$listeners" ] || return 0
    if have ss && ! grep -q '"apache2"' <<<"$listeners"; then
        err "port 80 is taken by another program: $(grep -o 'users:.*' <<<"$listeners" | head -n1); stop it first"
    elif ! have ss && ! pidof apache2 >/dev/null 2>&1; then
        err "port 80 is taken by a program that is not Apache; stop it first"
    fi
}

# --- Changes ---------------------------------------------------------------

dpkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_packages() {
    local wanted=("${APT_PACKAGES[@]}") missing=() pkg
    if $TLS; then wanted+=("${TLS_PACKAGES[@]}"); fi
    # The build timer: systemd's, or cron where systemd does not run the machine.
    have_systemd || wanted+=(cron)
    # Brotli copies of the built pages, for Apache's mod_brotli to send.
    [ -e "$APACHE_ETC/mods-available/brotli.load" ] && wanted+=(brotli)
    for pkg in "${wanted[@]}"; do dpkg_installed "$pkg" || missing+=("$pkg"); done
    [ ${#missing[@]} -gt 0 ] || return 0
    say "installing ${missing[*]}"
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    if ! $DRY_RUN; then
        [ -n "$(wsgi_python_version)" ] || err "mod_wsgi was installed but its Python cannot be found"
        check_python
    fi
}

make_venv() {
    local sha
    sha=$(sha256sum "$PROJECT_DIR/requirements.txt" | cut -d' ' -f1)
    if [ ! -x "$VENV_DIR/bin/python" ]; then
        run as_owner "$SYSTEM_PYTHON" -m venv "$VENV_DIR"
    fi
    if [ "$(cat "$VENV_DIR/.requirements-sha256" 2>/dev/null)" != "$sha" ]; then
        run as_owner "$VENV_DIR/bin/pip" install --quiet -r "$PROJECT_DIR/requirements.txt"
        # shellcheck disable=SC2016  # $1 and $2 belong to the inner sh
        run as_owner sh -c 'printf "%s\n" "$1" > "$2"' sh "$sha" "$VENV_DIR/.requirements-sha256"
    fi
}

# Resized WebP/AVIF copies of the posts' images, in static/_variants/, made
# once here rather than by the first visitors. Images already done are
# skipped, so this changes nothing on a second run.
make_images() {
    if $DRY_RUN; then
        say "would make the image variants: flask --app website images"
        return 0
    fi
    local out
    out=$(cd "$PROJECT_DIR" && as_owner "$VENV_DIR/bin/flask" --app website images) \
        || err "flask --app website images failed (above)"
    say "$out"
}

# Apache's user needs to reach two things in a home that may be mode 750:
# website.wsgi (mod_wsgi looks it up before handing the request to the
# daemon) and static/ (served by Apache). It gets "x" (pass through, no
# listing) on each folder down to the project, and read on static/ only,
# through ACLs for that one user: the home is not opened to anyone else.
grant_apache_access() {
    if ! id "$APACHE_USER" >/dev/null 2>&1; then
        $DRY_RUN && say "would let $APACHE_USER pass through to $PROJECT_DIR and read static/ (ACLs)"
        return 0
    fi
    local dir=$PROJECT_DIR parts=()
    while [ "$dir" != / ]; do parts=("$dir" "${parts[@]}"); dir=$(dirname "$dir"); done
    for dir in "${parts[@]}"; do
        as_apache test -x "$dir" || run setfacl -m "u:$APACHE_USER:x" "$dir"
    done
    local static=$PROJECT_DIR/static unreadable
    [ -d "$static" ] || return 0
    unreadable=$(as_apache find "$static" ! -readable -print -quit 2>/dev/null || echo "$static")
    if [ -n "$unreadable" ] || ! getfacl -p "$static" 2>/dev/null | grep -q "^default:user:$APACHE_USER:r-x"; then
        # Default ACLs keep files added by later git pulls readable too.
        run find "$static" -type d -exec setfacl -m "u:$APACHE_USER:rx,d:u:$APACHE_USER:rx" {} +
        run find "$static" -type f -exec setfacl -m "u:$APACHE_USER:r" {} +
    fi
}

link_project() {
    [ "$(readlink "$LINK" 2>/dev/null)" = "$PROJECT_DIR" ] && return 0
    [ -d "$(dirname "$LINK")" ] || run mkdir -p "$(dirname "$LINK")"
    run ln -sfn "$PROJECT_DIR" "$LINK"
}

# Write $2 to $1 if it differs; remember how to undo it.
install_file() {
    local dest=$1 content=$2 backup
    if [ -f "$dest" ] && [ "$(cat "$dest")" = "$content" ]; then return 0; fi
    APACHE_CHANGED=true
    if $DRY_RUN; then
        say "would write $dest:"
        diff -u "$dest" <(printf '%s\n' "$content") 2>/dev/null | sed 's/^/    /' || true
        [ -f "$dest" ] || printf '%s\n' "$content" | sed 's/^/    /'
    fi
    if [ -f "$dest" ]; then
        backup="$WORK_DIR/backup.$((${#UNDO[@]}))"
        cp -p "$dest" "$backup"
        UNDO+=("cp -p $backup $dest")
    else
        UNDO+=("rm -f $dest")
    fi
    printf '%s\n' "$content" >"$WORK_DIR/new"
    run install -D -m 644 "$WORK_DIR/new" "$dest"
}

# The public address goes in the server's own settings (instance/config.py,
# git-ignored, read after site.yaml): feeds, the sitemap and canonical links
# are built from it. Other lines of that file are kept as they are.
write_site_url() {
    local dir="$PROJECT_DIR/instance" file="$PROJECT_DIR/instance/config.py" line current
    if $TLS || [ -e "$APACHE_ETC/sites-enabled/$SITE-le-ssl.conf" ]; then
        SITE_URL="https://$DOMAIN"
    else
        SITE_URL="http://$DOMAIN"
    fi
    line="SITE_URL = \"$SITE_URL\"  $SITE_URL_NOTE"
    current=$(grep -s '^SITE_URL[[:space:]]*=' "$file" || true)
    [ "$current" = "$line" ] && return 0
    [ -e "$file" ] && [ ! -f "$file" ] && err "$file is not a regular file; move it away"
    say "setting SITE_URL to $SITE_URL in $file${current:+ (was: ${current%%  #*})}"
    { grep -sv '^SITE_URL[[:space:]]*=' "$file" || true; printf '%s\n' "$line"; } >"$WORK_DIR/instance-config"
    chmod 644 "$WORK_DIR/instance-config"
    # Written by the owner, whose daemon reads it: no root-owned files in the project.
    # shellcheck disable=SC2016  # $1 and $2 belong to the inner sh
    run as_owner sh -c 'umask 022 && mkdir -p "$1" && cat >"$2"' sh "$dir" "$file" <"$WORK_DIR/instance-config"
    SITE_URL_CHANGED=true
}

# A new SITE_URL reaches the running site when its daemon restarts, as
# deploy/update.sh does it; an Apache reload below would do it too.
reload_site() {
    $SITE_URL_CHANGED || return 0
    $APACHE_CHANGED && return 0
    apache_running || return 0
    run as_owner touch "$PROJECT_DIR/website.wsgi"
}

write_apache_config() {
    local render="$PROJECT_DIR/deploy/apache/render.sh" vhost_conf="$APACHE_ETC/$SITE/vhost.conf"
    local vhost site
    vhost=$("$render" "$PROJECT_DIR/deploy/apache/website-vhost.conf.in" "PROJECT_DIR=$PROJECT_DIR")
    site=$("$render" "$PROJECT_DIR/deploy/apache/website.conf.in" \
        "DOMAIN=$DOMAIN" PORT=80 "PROJECT_DIR=$PROJECT_DIR" "PROJECT_LINK=$LINK" \
        "VENV_DIR=$VENV_DIR" "USER=$OWNER" "GROUP=$GROUP" "VHOST_CONF=$vhost_conf")
    install_file "$APACHE_ETC/conf-available/website-hardening.conf" "$(<"$PROJECT_DIR/deploy/apache/website-hardening.conf")"
    install_file "$vhost_conf" "$vhost"
    install_file "$APACHE_ETC/sites-available/$SITE.conf" "$site"
}

enable_apache_parts() {
    local mod modules=("${APACHE_MODULES[@]}")
    for mod in "${OPTIONAL_MODULES[@]}"; do
        [ -e "$APACHE_ETC/mods-available/$mod.load" ] && modules+=("$mod")
    done
    # HTTP/2 over TLS (Protocols h2 http/1.1 in the site's config).
    if $TLS || [ -e "$APACHE_ETC/sites-enabled/$SITE-le-ssl.conf" ]; then modules+=(http2); fi
    for mod in "${modules[@]}"; do
        if ! a2query -q -m "$mod" 2>/dev/null; then
            APACHE_CHANGED=true; UNDO+=("a2dismod -q -f $mod"); run a2enmod -q "$mod"
        fi
    done
    if ! a2query -q -c website-hardening 2>/dev/null; then
        APACHE_CHANGED=true; UNDO+=("a2disconf -q website-hardening"); run a2enconf -q website-hardening
    fi
    if ! a2query -q -s "$SITE" 2>/dev/null; then
        APACHE_CHANGED=true; UNDO+=("a2dissite -q $SITE"); run a2ensite -q "$SITE"
    fi
    if a2query -q -s 000-default 2>/dev/null || ! have a2query; then
        APACHE_CHANGED=true; UNDO+=("a2ensite -q 000-default"); run a2dissite -q 000-default
    fi
}

# A config Apache rejects is taken back, so the running server keeps its old one.
check_apache_config() {
    $APACHE_CHANGED || return 0
    if $DRY_RUN; then say "would run: apache2ctl configtest"; return 0; fi
    local output i
    if ! output=$(apache2ctl configtest 2>&1); then
        printf '%s\n' "$output" >&2
        say "Apache rejects the new config: putting the previous one back"
        for ((i = ${#UNDO[@]} - 1; i >= 0; i--)); do eval "${UNDO[i]}" || true; done
        err "apache2ctl configtest failed (above); Apache was left as it was"
    fi
}

apache_running() {
    local pid
    pid=$(cat /var/run/apache2/apache2.pid 2>/dev/null || true)
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# systemd when it runs the machine, apache2ctl (the init script's tool) when not.
start_or_reload_apache() {
    local systemd=false
    [ -d /run/systemd/system ] && systemd=true
    if $systemd && ! systemctl is-enabled --quiet apache2 2>/dev/null; then
        run systemctl enable --quiet apache2
    fi
    if ! apache_running; then
        if $systemd; then run systemctl start apache2; else run apache2ctl start; fi
    elif $APACHE_CHANGED; then
        if $systemd; then run systemctl reload apache2; else run apache2ctl graceful; fi
    fi
}

setup_tls() {
    $TLS || return 0
    if [ -f "/etc/letsencrypt/live/$DOMAIN/fullchain.pem" ] && [ -e "$APACHE_ETC/sites-enabled/$SITE-le-ssl.conf" ]; then
        return 0
    fi
    run certbot --apache --non-interactive --agree-tos --email "$EMAIL" \
        -d "$DOMAIN" -d "www.$DOMAIN" --hsts --no-redirect --keep-until-expiring
    # The site's own config redirects to HTTPS once website-le-ssl.conf is enabled.
    APACHE_CHANGED=true
    if $DRY_RUN; then say "would run: apache2ctl configtest"; return 0; fi
    apache2ctl configtest >/dev/null 2>&1 || err "apache2ctl configtest fails after certbot; see apache2ctl configtest"
    if [ -d /run/systemd/system ]; then run systemctl reload apache2; else run apache2ctl graceful; fi
}

# The static build Apache answers from. The first one is a change; later runs
# only bring it up to date (the timer does the same every minute).
build_site() {
    if $DRY_RUN; then
        say "would build the site into $PROJECT_DIR/build (deploy/build.sh)"
        return 0
    fi
    if [ -L "$PROJECT_DIR/build" ]; then
        as_owner "$PROJECT_DIR/deploy/build.sh" --quiet --wait 300 || err "the build failed (above)"
    else
        run as_owner "$PROJECT_DIR/deploy/build.sh" --wait 300
    fi
}

# The build every minute, as the owner: a systemd timer, or a cron entry.
install_timer() {
    local render="$PROJECT_DIR/deploy/apache/render.sh" dir="$PROJECT_DIR/deploy/timer"
    if have_systemd; then
        install_timer_file /etc/systemd/system/website-build.service \
            "$("$render" "$dir/website-build.service.in" "USER=$OWNER" "PROJECT_DIR=$PROJECT_DIR")"
        install_timer_file /etc/systemd/system/website-build.timer "$("$render" "$dir/website-build.timer.in")"
        if $TIMER_CHANGED; then run systemctl daemon-reload; fi
        if ! systemctl is-enabled --quiet website-build.timer 2>/dev/null \
                || ! systemctl is-active --quiet website-build.timer 2>/dev/null; then
            run systemctl enable --now --quiet website-build.timer
        fi
    else
        install_timer_file "$CRON_FILE" \
            "$("$render" "$dir/website-build.cron.in" "USER=$OWNER" "PROJECT_DIR=$PROJECT_DIR")"
        if ! pidof cron >/dev/null 2>&1; then
            if have service; then run service cron start; else run cron; fi
        fi
    fi
}

install_timer_file() {
    local dest=$1 content=$2
    if [ -f "$dest" ] && [ "$(cat "$dest")" = "$content" ]; then return 0; fi
    TIMER_CHANGED=true
    if $DRY_RUN; then
        say "would write $dest:"
        printf '%s\n' "$content" | sed 's/^/    /'
    fi
    printf '%s\n' "$content" >"$WORK_DIR/timer"
    run install -D -m 644 "$WORK_DIR/timer" "$dest"
}

smoke_test() {
    $DRY_RUN && return 0
    local status
    status=$("$SYSTEM_PYTHON" - "$DOMAIN" <<'PY' || true
import sys, time, urllib.request, urllib.error
request = urllib.request.Request("http://127.0.0.1/", headers={"Host": sys.argv[1]})
for attempt in range(20):
    try:
        print(urllib.request.urlopen(request, timeout=10).status)
        break
    except urllib.error.HTTPError as error:
        print(error.code)
        break
    except OSError:
        time.sleep(0.5)
PY
)
    [ "$status" = 200 ] || [ "$status" = 301 ] \
        || err "http://$DOMAIN/ answers ${status:-nothing} instead of 200: see /var/log/apache2/error.log and README, Troubleshooting"
    say "http://$DOMAIN/ answers $status"
}

main() {
    parse_args "$@"
    check_args
    check_root
    check_os
    check_project
    check_python
    check_port
    WORK_DIR=$(mktemp -d)
    trap cleanup EXIT
    $DRY_RUN && say "dry run: nothing will be changed"

    install_packages
    make_venv
    make_images
    grant_apache_access
    link_project
    write_site_url
    build_site
    install_timer
    write_apache_config
    enable_apache_parts
    check_apache_config
    reload_site
    start_or_reload_apache
    setup_tls
    smoke_test

    if [ "$CHANGES" -eq 0 ]; then
        say "no changes: $DOMAIN was already set up"
    elif $DRY_RUN; then
        say "dry run: $CHANGES change(s) listed above, none made"
    else
        say "done, $CHANGES change(s): $SITE_URL/ serves $PROJECT_DIR (www.$DOMAIN redirects to it)"
    fi
}

main "$@"
