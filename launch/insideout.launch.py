r"""Launch the InsideOut pipeline: fer_node, asr_node, dialogue_node and tts_node.

Installed by the insideout_bringup package (with ../config), so with a ROS 2 distro and this
workspace sourced it runs from any directory:

    ros2 launch insideout_bringup insideout.launch.py
    ros2 launch insideout_bringup insideout.launch.py camera:=v4l2_camera microphone:=true
    ros2 launch insideout_bringup insideout.launch.py nodes:=asr,dialogue,tts \
        llm_base_url:=http://gpu:8000/v1 llm_model:=llama3
    ros2 launch insideout_bringup insideout.launch.py web:=true    # + the live view, port 8080
    ros2 launch insideout_bringup insideout.launch.py --show-args  # every argument, documented

(`ros2 launch launch/insideout.launch.py` from the repository root runs the same file.)

The nodes are those of config/pipeline.yaml. Parameters come from `params_file` (default:
config/insideout.yaml beside this file's launch/) and `prompts_file` (config/prompts.yaml), one
section per node keyed `/**/<node>`; the launch arguments below override single values.
`namespace:=robot1` moves all of InsideOut's topics, services and actions under /robot1, because
the nodes use relative names. The dialogue node starts the local LLM server itself when its
configuration points at it, so nothing here starts a server.

Uses only launch / launch_ros APIs that Humble, Jazzy and Kilted share; run against the humble,
jazzy and rolling sources of ros2/launch and ros2/launch_ros (see docs/launch.md).
"""

import os
import tempfile

import yaml
from launch.actions import DeclareLaunchArgument, LogInfo, OpaqueFunction
from launch_ros.actions import Node

from launch import LaunchDescription

HERE = os.path.dirname(os.path.abspath(__file__))
CONFIG_DIR = os.path.normpath(os.path.join(HERE, "..", "config"))
# 640x480 frames (900 KB) reach a best-effort subscriber intact over Fast DDS only with a larger
# shared-memory segment (see the file); other RMWs ignore the variable.
CAMERA_ENV = {"FASTDDS_DEFAULT_PROFILES_FILE": os.path.join(CONFIG_DIR, "fastdds_large_frames.xml")}

# The pipeline's nodes (config/pipeline.yaml, shared with `make demo` and the end-to-end test).
PIPELINE_FILE = os.path.join(CONFIG_DIR, "pipeline.yaml")
# asr_node's inputs (relative names) -> the launch argument naming the driver's topic.
ASR_INPUTS = {
    "audio": "audio_topic",
    "audio_stamped": "audio_stamped_topic",
    "audio_info": "audio_info_topic",
}

# The launch arguments (name, default, description, and for some the node parameter they set),
# described in launch/insideout_arguments.yaml.
ARGUMENTS_FILE = os.path.join(HERE, "insideout_arguments.yaml")


def load_arguments(path=ARGUMENTS_FILE):
    """[(name, default, description)] and {name: (node, parameter) it sets when not empty}."""
    with open(path) as stream:
        described = yaml.safe_load(stream)
    arguments = [
        (name, entry["default"].replace("{config}", CONFIG_DIR), entry["description"])
        for name, entry in described.items()
    ]
    sets = {name: tuple(entry["sets"]) for name, entry in described.items() if "sets" in entry}
    return arguments, sets


ARGUMENTS, PARAMETER_ARGUMENTS = load_arguments()


def _truthy(text):
    return text.strip().lower() in ("1", "true", "yes", "on")


class _QuotedStrings(yaml.SafeDumper):
    """Writes every string quoted. launch_ros dumps a parameter dict with plain yaml.dump, which
    leaves y, n, 1e3 or nan unquoted, and rcl's parser then reads them as a bool or a number
    (`llm_model:=y` ended dialogue_node with 'expecting type STRING')."""


_QuotedStrings.add_representer(
    str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


def overrides_file(parameters):
    """A parameter file holding `parameters` for the one node it is given to."""
    with tempfile.NamedTemporaryFile(
        "w", prefix="insideout_launch_", suffix=".yaml", delete=False
    ) as stream:
        yaml.dump({"/**": {"ros__parameters": parameters}}, stream, Dumper=_QuotedStrings)
    return stream.name


def load_pipeline(path=PIPELINE_FILE):
    """{key: {package, executable, name, ...}} from config/pipeline.yaml."""
    with open(path) as stream:
        pipeline = yaml.safe_load(stream)
    for key, node in pipeline.items():
        missing = {"package", "executable", "name"} - set(node)
        if missing:
            raise RuntimeError(f"{path}: node {key} lacks {sorted(missing)}")
    return pipeline


def params_files(args):
    files = [args["params_file"]] + ([args["prompts_file"]] if args["prompts_file"] else [])
    for path in files:
        if not os.path.isfile(path):
            raise RuntimeError(f"parameter file {path} does not exist")
    return files


def package_installed(package):
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    try:
        get_package_prefix(package)
        return True
    except PackageNotFoundError:
        return False


def pipeline_actions(args):
    """Node actions for the chosen pipeline nodes.

    The nodes use relative names, so the namespace alone moves every topic, service and action;
    the parameter files' sections are keyed `/**/<node>` so they apply in any namespace.
    """
    pipeline = load_pipeline()
    files = params_files(args)
    wanted = [n.strip() for n in args["nodes"].split(",") if n.strip()]
    unknown = [n for n in wanted if n not in pipeline]
    if unknown or not wanted:
        raise RuntimeError(
            f"nodes: {f'unknown {unknown}' if unknown else 'none given'}; "
            f"choose from {sorted(pipeline)}"
        )
    respawn = _truthy(args["respawn"])
    try:
        respawn_delay = float(args["respawn_delay"])
    except ValueError:
        respawn_delay = -1.0
    if not respawn_delay >= 0.0:
        raise RuntimeError(
            f"respawn_delay: {args['respawn_delay']!r} is not a number of seconds >= 0"
        )
    actions = []
    if _truthy(args["web"]):  # the live view: not a pipeline stage, so not in pipeline.yaml
        pipeline = {
            **pipeline,
            "web": {
                "package": "insideout_dialogue",
                "executable": "web_view_node",
                "name": "web_view_node",
            },
        }
        wanted = wanted + ["web"]
    for key in wanted:
        node = pipeline[key]
        overrides = {
            parameter: args[argument]
            for argument, (name, parameter) in PARAMETER_ARGUMENTS.items()
            if name == node["name"] and args[argument]
        }
        overrides["use_sim_time"] = _truthy(args["use_sim_time"])
        if key == "web":  # overrides are written as strings; the port is an integer parameter
            try:
                overrides["port"] = int(args["web_port"])
            except ValueError:
                raise RuntimeError(f"web_port: {args['web_port']!r} is not a port number") from None
        inputs = (
            [(name, args[argument]) for name, argument in ASR_INPUTS.items()]
            if key == "asr"
            else []
        )
        actions.append(
            Node(
                package=node["package"],
                executable=node["executable"],
                name=node["name"],
                namespace=args["namespace"].strip("/") or None,
                parameters=files + [overrides_file(overrides)],
                remappings=inputs,
                output="screen",
                emulate_tty=True,
                respawn=respawn,
                respawn_delay=respawn_delay,
                arguments=["--ros-args", "--log-level", args["log_level"]],
            )
        )
    return actions


def driver_actions(args):
    """Camera and microphone drivers, each only when asked for and installed."""
    actions = []
    camera = args["camera"].strip()
    if camera not in ("none", "", "v4l2_camera", "usb_cam"):
        raise RuntimeError(f"camera: {camera!r} is not one of none, v4l2_camera, usb_cam")
    if camera in ("v4l2_camera", "usb_cam"):
        if not package_installed(camera):
            actions.append(
                LogInfo(
                    msg=f"[insideout] camera:={camera} but the {camera} package is "
                    f"not installed (apt install ros-$ROS_DISTRO-"
                    f"{camera.replace('_', '-')}); starting without a camera"
                )
            )
        elif camera == "v4l2_camera":
            actions.append(
                Node(
                    package="v4l2_camera",
                    executable="v4l2_camera_node",
                    name="camera",
                    parameters=[{"video_device": args["camera_device"], "image_size": [640, 480]}],
                    remappings=[("image_raw", args["camera_topic"])],
                    output="screen",
                    additional_env=CAMERA_ENV,
                )
            )
        else:
            actions.append(
                Node(
                    package="usb_cam",
                    executable="usb_cam_node_exe",
                    name="camera",
                    parameters=[
                        {
                            "video_device": args["camera_device"],
                            "image_width": 640,
                            "image_height": 480,
                        }
                    ],
                    remappings=[("image_raw", args["camera_topic"])],
                    output="screen",
                    additional_env=CAMERA_ENV,
                )
            )
    if _truthy(args["microphone"]):
        if not package_installed("audio_capture"):
            actions.append(
                LogInfo(
                    msg="[insideout] microphone:=true but audio_capture is not "
                    "installed (apt install ros-$ROS_DISTRO-audio-capture); "
                    "starting without a microphone"
                )
            )
        else:
            # wave, not audio_capture's default mp3: the ASR node needs raw PCM.
            actions.append(
                Node(
                    package="audio_capture",
                    executable="audio_capture_node",
                    name="audio_capture",
                    parameters=[
                        {
                            "format": "wave",
                            "channels": 1,
                            "depth": 16,
                            "sample_rate": 16000,
                            "sample_format": "S16LE",
                            "device": args["microphone_device"],
                        }
                    ],
                    remappings=[
                        ("audio", args["audio_topic"]),
                        ("audio_stamped", args["audio_stamped_topic"]),
                        ("audio_info", args["audio_info_topic"]),
                    ],
                    output="screen",
                )
            )
    return actions


def _launch_setup(context):
    args = {name: context.launch_configurations[name] for name, _, _ in ARGUMENTS}
    return driver_actions(args) + pipeline_actions(args)


def generate_launch_description():
    return LaunchDescription(
        [
            DeclareLaunchArgument(name, default_value=default, description=description)
            for name, default, description in ARGUMENTS
        ]
        + [OpaqueFunction(function=_launch_setup)]
    )
