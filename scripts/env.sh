# Source this to use the built workspace in a shell:  source scripts/env.sh
# (activates .venv, puts the venv's ROS prefix and install/ on the ament paths).
_insideout_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck disable=SC1091
source "$_insideout_root/.venv/bin/activate"
if [ -z "${ROS_DISTRO:-}" ]; then
  case ":${AMENT_PREFIX_PATH:-}:" in
    *":$VIRTUAL_ENV:"*) ;;
    *) export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}" ;;
  esac
  export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
fi
# shellcheck disable=SC1091
source "$_insideout_root/install/setup.bash"
export INSIDEOUT_ROOT="$_insideout_root"
unset _insideout_root
