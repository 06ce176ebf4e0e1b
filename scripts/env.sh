# Source this to use the built workspace in a shell:  source scripts/env.sh
# (activates the venv, puts the venv's ROS prefix and the workspace's install/ on the ament paths).
# With the Jazzy wheels set up (make test ROS_WHEELS=jazzy):  ROS_WHEELS=jazzy source scripts/env.sh
_insideout_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/ros_wheels.sh
source "$_insideout_root/scripts/ros_wheels.sh" || return
# shellcheck disable=SC1091
source "$INSIDEOUT_VENV/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
  case ":${AMENT_PREFIX_PATH:-}:" in
    *":$VIRTUAL_ENV:"*) ;;
    *) export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}" ;;
  esac
  export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
fi
# shellcheck disable=SC1091
source "$INSIDEOUT_INSTALL/setup.bash"
export INSIDEOUT_ROOT="$_insideout_root"
unset _insideout_root
