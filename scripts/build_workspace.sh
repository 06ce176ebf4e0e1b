#!/usr/bin/env bash
# Build the colcon workspace (src/) into build/ and install/ (build-jazzy/, install-jazzy/ with
# ROS_WHEELS=jazzy: scripts/ros_wheels.sh). Expects the venv to exist.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/ros_wheels.sh
source scripts/ros_wheels.sh
if [ -z "${INSIDEOUT_SETUP_LOCKED:-}" ]; then
  # Two colcon builds in one build/ directory corrupt each other.
  exec 9>.setup.lock
  flock 9
fi
source "$INSIDEOUT_VENV/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
  # The venv is the ROS prefix when running on the PyPI wheels.
  export CMAKE_PREFIX_PATH="$VIRTUAL_ENV${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
fi

cmake_args=(-DPython3_EXECUTABLE="$(command -v python)" -DBUILD_TESTING=OFF -Wno-dev --no-warn-unused-cli)
if [ -z "${ROS_DISTRO:-}" ]; then
  # install/setup.bash then activates this venv by itself (see insideout_msgs/env_hooks).
  cmake_args+=(-DINSIDEOUT_ROS_VENV="$VIRTUAL_ENV")
fi

skip=()
# Use the distro's audio_common_msgs and hri_msgs when it has them; build our wire-compatible
# copies otherwise.
for package in audio_common_msgs hri_msgs; do
  if python scripts/ros_package_installed.py "$package"; then
    skip+=(--packages-skip "$package")
    echo "[setup] using the installed $package"
  fi
done

# insideout_msgs carried the insideout_common module and the bag tools until they became their own
# package: an existing install keeps those copies (colcon never removes files), so drop them.
# Its insideout_common egg-info too: importlib.metadata would find that one, without the entry
# points, first on PYTHONPATH, and bag_player would end in StopIteration.
rm -rf "$INSIDEOUT_INSTALL/insideout_msgs/lib/insideout_msgs" \
  "$INSIDEOUT_INSTALL"/insideout_msgs/lib/python3*/site-packages/insideout_common \
  "$INSIDEOUT_INSTALL"/insideout_msgs/lib/python3*/site-packages/insideout_common-*.egg-info

echo "[setup] building the workspace (colcon)"
colcon --log-base "$INSIDEOUT_LOG" build \
  --build-base "$INSIDEOUT_BUILD" --install-base "$INSIDEOUT_INSTALL" \
  --event-handlers console_cohesion- console_direct- status- summary+ \
  "${skip[@]}" \
  --cmake-args "${cmake_args[@]}"
