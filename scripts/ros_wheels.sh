# Sourced by setup.sh, build_workspace.sh and env.sh: where this checkout's venv and colcon
# workspace live. With no ROS 2 distro sourced, ROS_WHEELS picks the distro whose core comes from
# PyPI's wheels: kilted (the default; .venv, build/, install/, log/) or jazzy (.venv-jazzy,
# build-jazzy/ ...). Each has its own directories, so switching back and forth rebuilds nothing.
_insideout_wheels_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${ROS_DISTRO:-}" ]; then
  _insideout_suffix=""  # a sourced distro brings its own rclpy: ROS_WHEELS does not apply
else
  case "${ROS_WHEELS:=kilted}" in
    kilted) _insideout_suffix="" ;;
    jazzy) _insideout_suffix="-jazzy" ;;
    *) echo "ROS_WHEELS must be kilted or jazzy, not '$ROS_WHEELS'" >&2; return 2 ;;
  esac
  export ROS_WHEELS
fi
export INSIDEOUT_VENV="$_insideout_wheels_root/.venv$_insideout_suffix"
export INSIDEOUT_BUILD="$_insideout_wheels_root/build$_insideout_suffix"
export INSIDEOUT_INSTALL="$_insideout_wheels_root/install$_insideout_suffix"
export INSIDEOUT_LOG="$_insideout_wheels_root/log$_insideout_suffix"
unset _insideout_wheels_root _insideout_suffix
