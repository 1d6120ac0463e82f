#!/usr/bin/env bash
# Install seccam on Raspberry Pi OS (Bookworm or Trixie): sudo ./deploy/install.sh
#
# What it does, each step only if needed (a second run changes nothing):
#   apt packages; a `seccam` system user in the gpio, video and bluetooth groups; the
#   data folder /var/lib/seccam; a venv in /opt/seccam/venv with seccam (pi extra) and
#   the chosen plugins; /etc/sudoers.d/seccam for exactly the restart, reboot and
#   iptables commands; the systemd unit deploy/seccam.service; MediaMTX serving the Pi
#   camera (deploy/mediamtx.yml) when its release archive is at hand.
#
# Options:
#   --plugins "a b"   plugins to install (default: the sensors, presence_bt, storage_sd,
#                     captive_portal; names are folders of plugins/)
#   --mediamtx FILE   MediaMTX release archive (mediamtx_*_linux_*.tar.gz) to install;
#                     by default one in deploy/ or the current folder is used
#   --dry-run         print every step, change nothing
#   --uninstall       remove what the script installed; keeps /var/lib/seccam
#                     (settings and recordings) and the users
#   --purge           with --uninstall: remove /var/lib/seccam and the users too
#   --root DIR        install the files under DIR instead of /; steps that change the
#                     running system (apt, users, ownership, systemctl) are only printed
#   --no-venv         skip the venv (with --root: tests and image builders)
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$SCRIPT_DIR")

ROOT=""
DRY_RUN=0
UNINSTALL=0
PURGE=0
NO_VENV=0
MEDIAMTX_ARCHIVE=""
PLUGINS="sensor_reed sensor_pir sensor_vibration sensor_hall presence_bt storage_sd captive_portal"

APT_PACKAGES=(python3 python3-venv python3-dev build-essential swig liblgpio-dev
              ffmpeg iptables bluez dbus ca-certificates)
USER_NAME=seccam
USER_GROUPS=(gpio video bluetooth)
MEDIAMTX_USER=mediamtx

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
}

while [ "$#" -gt 0 ]; do
    case "$1" in
        --plugins) PLUGINS=${2:?--plugins needs a list}; shift 2 ;;
        --mediamtx) MEDIAMTX_ARCHIVE=${2:?--mediamtx needs a file}; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --purge) PURGE=1; shift ;;
        --root) ROOT=${2:?--root needs a folder}; shift 2 ;;
        --no-venv) NO_VENV=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

if [ -n "$ROOT" ]; then
    ROOT=$(cd "$ROOT" && pwd)
fi
if [ "$PURGE" = 1 ] && [ "$UNINSTALL" = 0 ]; then
    echo "install.sh: --purge goes with --uninstall" >&2
    exit 2
fi

OPT_DIR="$ROOT/opt/seccam"
VENV="$OPT_DIR/venv"
MANIFEST="$OPT_DIR/installed-files"
DATA_DIR="$ROOT/var/lib/seccam"
UNIT_DIR="$ROOT/etc/systemd/system"
SUDOERS="$ROOT/etc/sudoers.d/seccam"
MEDIAMTX_BIN="$ROOT/usr/local/bin/mediamtx"
MEDIAMTX_CONF="$ROOT/etc/mediamtx/mediamtx.yml"
CHANGED_SERVICE=0

# --- how steps run ---------------------------------------------------------------------

step() { echo "==> $*"; }
note() { echo "    $*"; }

# A command that changes files under $ROOT: printed, and run unless --dry-run.
run() {
    echo "+ $*"
    if [ "$DRY_RUN" = 0 ]; then
        "$@"
    fi
}

# A command that changes the running system: printed; run unless --dry-run or --root.
system() {
    if [ -n "$ROOT" ]; then
        echo "+ $* (not run: --root)"
    else
        run "$@"
    fi
}

has_plugin() {
    case " $PLUGINS " in *" $1 "*) return 0 ;; *) return 1 ;; esac
}

# Note a path the install created, for --uninstall; the data folder is the owner's.
remember() {
    case "$1" in "$DATA_DIR"/*) return ;; esac
    if [ "$DRY_RUN" = 0 ] && { [ ! -f "$MANIFEST" ] || ! grep -qxF "$1" "$MANIFEST"; }; then
        mkdir -p "$OPT_DIR"
        echo "$1" >> "$MANIFEST"
    fi
}

# put_file SOURCE TARGET MODE: install SOURCE as TARGET unless it is already identical.
put_file() {
    local source=$1 target=$2 mode=$3
    if [ -f "$target" ] && cmp -s "$source" "$target" \
        && [ "$(stat -c %a "$target")" = "$mode" ]; then
        note "unchanged: $target"
        return 1
    fi
    run install -D -m "$mode" "$source" "$target"
    remember "$target"
    return 0
}

# put_text TARGET MODE: install standard input as TARGET unless identical.
put_text() {
    local scratch status=0
    scratch=$(mktemp)
    cat > "$scratch"
    put_file "$scratch" "$1" "$2" || status=$?
    rm -f "$scratch"
    return "$status"
}

# --- checks ----------------------------------------------------------------------------

preflight() {
    if [ -z "$ROOT" ] && [ "$DRY_RUN" = 0 ] && [ "$(id -u)" != 0 ]; then
        echo "install.sh: run it as root: sudo $0" >&2
        exit 1
    fi
    local codename=""
    if [ -r /etc/os-release ]; then
        codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
    fi
    case "$codename" in
        bookworm|trixie) note "system: $codename" ;;
        *) note "system: ${codename:-unknown}: made for Raspberry Pi OS Bookworm or Trixie; going on" ;;
    esac
    for plugin in $PLUGINS; do
        if [ ! -f "$REPO_DIR/plugins/$plugin/pyproject.toml" ]; then
            echo "install.sh: no plugin $plugin in $REPO_DIR/plugins" >&2
            exit 2
        fi
    done
}

# --- install steps ---------------------------------------------------------------------

install_packages() {
    step "apt packages"
    local missing=()
    for package in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
            || missing+=("$package")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        note "all present: ${APT_PACKAGES[*]}"
        return
    fi
    system apt-get update
    system env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
}

ensure_user() {
    local name=$1 home=$2
    shift 2
    if getent passwd "$name" >/dev/null; then
        note "user $name exists"
    else
        system useradd --system --user-group --home-dir "$home" --no-create-home \
            --shell /usr/sbin/nologin "$name"
    fi
    for group in "$@"; do
        if ! getent group "$group" >/dev/null; then
            note "no group $group here (not a Raspberry Pi OS image?): skipped"
        elif id -nG "$name" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
            note "$name is in $group"
        else
            system usermod -a -G "$group" "$name"
        fi
    done
}

install_users() {
    step "users"
    ensure_user "$USER_NAME" /var/lib/seccam "${USER_GROUPS[@]}"
}

install_data_dir() {
    step "data folder /var/lib/seccam"
    if [ -d "$DATA_DIR" ]; then
        note "exists: $DATA_DIR"
    else
        run install -d -m 0750 "$DATA_DIR"
    fi
    if [ -f "$DATA_DIR/settings.json" ]; then
        note "kept: $DATA_DIR/settings.json"
    else
        # First install: read the camera from MediaMTX; the captive portal's iptables
        # goes through sudo (the service does not run as root).
        local portal=""
        if has_plugin captive_portal; then
            portal=', "CaptivePortal": {"iptables_command": ["sudo", "-n", "/usr/sbin/iptables"]}'
        fi
        printf '{"Camera": {"source": "rtsp://127.0.0.1:8554/cam"}%s}\n' "$portal" \
            | put_text "$DATA_DIR/settings.json" 600 || true
    fi
    if [ "$(stat -c %U "$DATA_DIR" 2>/dev/null || echo "")" != "$USER_NAME" ]; then
        system chown -R "$USER_NAME:$USER_NAME" /var/lib/seccam
    fi
}

source_stamp() {
    # What the venv was built from: the sources and the plugin list.
    (cd "$REPO_DIR" && find pyproject.toml seccam_core plugins -type f \
        \( -name '*.py' -o -name '*.toml' -o -name '*.json' -o -name '*.html' \
           -o -name '*.js' -o -name '*.css' \) -not -path '*/tests/*' -print0 \
        | sort -z | xargs -0 sha256sum; echo "plugins: $PLUGINS") | sha256sum | cut -d' ' -f1
}

install_venv() {
    step "venv $VENV"
    if [ "$NO_VENV" = 1 ]; then
        note "skipped (--no-venv)"
        return
    fi
    local stamp
    stamp=$(source_stamp)
    if [ -x "$VENV/bin/seccam" ] && [ "$(cat "$VENV/.seccam-source" 2>/dev/null)" = "$stamp" ]; then
        note "up to date"
        return
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        run python3 -m venv "$VENV"
    fi
    local requirements=("${REPO_DIR}[pi]")
    for plugin in $PLUGINS; do
        requirements+=("$REPO_DIR/plugins/$plugin")
    done
    run "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
    # Non-editable, as a user installs it; --force-reinstall: same version, new code.
    run "$VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall \
        --no-deps "${requirements[@]}"
    run "$VENV/bin/pip" install --quiet --disable-pip-version-check "${requirements[@]}"
    if [ "$DRY_RUN" = 0 ]; then
        echo "$stamp" > "$VENV/.seccam-source"
    fi
    remember "$VENV"
    CHANGED_SERVICE=1
}

install_sudoers() {
    step "sudo rules /etc/sudoers.d/seccam"
    local scratch
    scratch=$(mktemp)
    {
        echo "# seccam (deploy/install.sh): exactly the commands its settings run with sudo -n."
        echo "$USER_NAME ALL=(root) NOPASSWD: /usr/bin/systemctl restart seccam, /usr/bin/systemctl reboot"
        if has_plugin captive_portal; then
            echo "$USER_NAME ALL=(root) NOPASSWD: /usr/sbin/iptables -w 5 -t nat *"
        fi
    } > "$scratch"
    if command -v visudo >/dev/null; then
        visudo -c -q -f "$scratch" || { rm -f "$scratch"; echo "install.sh: sudoers rule refused" >&2; exit 1; }
    fi
    put_file "$scratch" "$SUDOERS" 440 || true
    rm -f "$scratch"
}

install_unit() {
    step "systemd unit seccam.service"
    if put_file "$SCRIPT_DIR/seccam.service" "$UNIT_DIR/seccam.service" 644; then
        CHANGED_SERVICE=1
        system systemctl daemon-reload
    fi
    if [ -n "$ROOT" ] || ! systemctl is-enabled --quiet seccam 2>/dev/null; then
        system systemctl enable seccam
    else
        note "enabled"
    fi
}

mediamtx_archive() {
    if [ -n "$MEDIAMTX_ARCHIVE" ]; then
        echo "$MEDIAMTX_ARCHIVE"
        return
    fi
    local found
    for found in "$SCRIPT_DIR"/mediamtx_*_linux_*.tar.gz ./mediamtx_*_linux_*.tar.gz; do
        if [ -f "$found" ]; then
            echo "$found"
            return
        fi
    done
}

install_mediamtx() {
    step "MediaMTX (the Pi camera at rtsp://127.0.0.1:8554/cam)"
    if [ -f "$MEDIAMTX_CONF" ] && ! cmp -s "$SCRIPT_DIR/mediamtx.yml" "$MEDIAMTX_CONF"; then
        note "kept your $MEDIAMTX_CONF; seccam's is written beside it as mediamtx.yml.seccam-new"
        put_file "$SCRIPT_DIR/mediamtx.yml" "$MEDIAMTX_CONF.seccam-new" 644 || true
    else
        put_file "$SCRIPT_DIR/mediamtx.yml" "$MEDIAMTX_CONF" 644 || true
    fi
    local archive
    archive=$(mediamtx_archive)
    if [ -x "$MEDIAMTX_BIN" ] && [ -z "$MEDIAMTX_ARCHIVE" ]; then
        note "present: $MEDIAMTX_BIN"
    elif [ -n "$archive" ]; then
        local scratch
        scratch=$(mktemp -d)
        run tar -xzf "$archive" -C "$scratch" mediamtx
        if [ "$DRY_RUN" = 1 ]; then
            echo "+ install -D -m 755 $scratch/mediamtx $MEDIAMTX_BIN"
        else
            put_file "$scratch/mediamtx" "$MEDIAMTX_BIN" 755 || true
        fi
        rm -rf "$scratch"
    else
        local arch
        arch=$(dpkg --print-architecture 2>/dev/null || uname -m)
        case "$arch" in
            arm64|aarch64) arch=arm64 ;;
            armhf|armv7l) arch=armv7 ;;
            armel|armv6l) arch=armv6 ;;
        esac
        note "MediaMTX is not installed and no release archive is at hand. To add it:"
        note "  1. download mediamtx_<version>_linux_${arch}.tar.gz from"
        note "     https://github.com/bluenviron/mediamtx/releases (1.9 or newer)"
        note "  2. sudo ./deploy/install.sh --mediamtx ./mediamtx_<version>_linux_${arch}.tar.gz"
        note "Until then seccam records from whatever Camera.source says."
        return
    fi
    ensure_user "$MEDIAMTX_USER" /nonexistent video
    if put_file "$SCRIPT_DIR/mediamtx.service" "$UNIT_DIR/mediamtx.service" 644; then
        system systemctl daemon-reload
        system systemctl enable mediamtx
        system systemctl restart mediamtx
    else
        note "mediamtx.service unchanged"
    fi
}

start_service() {
    step "start seccam"
    if [ "$CHANGED_SERVICE" = 1 ]; then
        system systemctl restart seccam
    elif [ -n "$ROOT" ] || ! systemctl is-active --quiet seccam 2>/dev/null; then
        system systemctl start seccam
    else
        note "running"
    fi
}

# --- uninstall -------------------------------------------------------------------------

uninstall() {
    step "stop the services"
    for unit in seccam mediamtx; do
        if [ -f "$UNIT_DIR/$unit.service" ]; then
            system systemctl disable --now "$unit"
        fi
    done
    step "remove what the install put there"
    if [ -f "$MANIFEST" ]; then
        while IFS= read -r path; do
            case "$path" in
                "$ROOT"/*) ;;
                *) note "not removed (outside $ROOT/): $path"; continue ;;
            esac
            if [ -e "$path" ]; then
                run rm -rf "$path"
            fi
        done < "$MANIFEST"
    else
        note "no $MANIFEST: nothing recorded"
    fi
    if [ -d "$OPT_DIR" ]; then
        run rm -rf "$OPT_DIR"
    fi
    system systemctl daemon-reload
    if [ "$PURGE" = 1 ]; then
        step "purge: the data folder (settings, recordings, logs) and the users"
        if [ -d "$DATA_DIR" ]; then
            run rm -rf "$DATA_DIR"
        fi
        for name in "$USER_NAME" "$MEDIAMTX_USER"; do
            if getent passwd "$name" >/dev/null; then
                system userdel "$name"
            fi
        done
    else
        note "kept $DATA_DIR (settings and recordings): remove it with --uninstall --purge"
    fi
}

# --- main ------------------------------------------------------------------------------

if [ "$DRY_RUN" = 1 ]; then
    echo "dry run: nothing is changed; these are the steps${ROOT:+ (root $ROOT)}"
fi
preflight
if [ "$UNINSTALL" = 1 ]; then
    uninstall
    exit 0
fi
install_packages
install_users
install_data_dir
install_venv
install_sudoers
install_unit
install_mediamtx
start_service
step "done"
note "the dashboard password generated at the first start: sudo cat /var/lib/seccam/first-password.txt (removed at the first login)"
note "check the installation: sudo -u seccam $VENV/bin/seccam doctor --data-dir /var/lib/seccam"
