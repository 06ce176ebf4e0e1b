#!/usr/bin/env python3
"""`make run`: start the InsideOut pipeline where `ros2 launch` is not available.

    make run                                          # every node of config/pipeline.yaml
    make run ARGS="nodes:=asr,dialogue,tts namespace:=robot1 llm_model:=llama3 web:=true"
    python scripts/run_pipeline.py --show-args        # the arguments, as the launch file's

The PyPI ROS wheels that `make` sets up without a distro have no ros2cli and no launch, so this
starts the same nodes as launch/insideout.launch.py, from the same description
(config/pipeline.yaml, launch/insideout_arguments.yaml), with the same parameter files and the
same `name:=value` arguments, except those that start a distro's drivers or respawn nodes (say
so and exit 2). Each node's output is printed with its name; Ctrl-C or SIGTERM stops them all.
"""

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import ros_processes
import yaml
from ros_processes import CONFIG_DIR, REPO_ROOT, executable_path, load_pipeline

ARGUMENTS = yaml.safe_load((REPO_ROOT / "launch" / "insideout_arguments.yaml").read_text())
PIPELINE = load_pipeline()
WEB_VIEW = {"package": "insideout_dialogue", "executable": "web_view_node", "name": "web_view_node"}
# Arguments that need launch itself (drivers from a distro, respawning).
NEEDS_LAUNCH = {"camera", "camera_device", "microphone", "microphone_device", "respawn"}
# asr_node's inputs -> the argument naming the driver's topic (as the launch file remaps them).
ASR_INPUTS = {
    "audio": "audio_topic",
    "audio_stamped": "audio_stamped_topic",
    "audio_info": "audio_info_topic",
}
STOP_TIMEOUT_S = 15.0


class UsageError(Exception):
    pass


def parse_arguments(texts: list[str]) -> dict[str, str]:
    """The launch file's defaults with `name:=value` texts applied."""
    values = {
        name: entry["default"].replace("{config}", str(CONFIG_DIR))
        for name, entry in ARGUMENTS.items()
    }
    for text in texts:
        name, separator, value = text.partition(":=")
        if not separator or name not in ARGUMENTS:
            raise UsageError(f"{text!r}: expected name:=value with a name from --show-args")
        if name in NEEDS_LAUNCH and value != ARGUMENTS[name]["default"]:
            raise UsageError(
                f"{name}: needs `ros2 launch insideout_bringup insideout.launch.py` "
                "(a sourced ROS 2 distro)"
            )
        values[name] = value
    return values


def chosen_nodes(values: dict[str, str]) -> list[dict]:
    keys = [key.strip() for key in values["nodes"].split(",") if key.strip()]
    unknown = [key for key in keys if key not in PIPELINE]
    if unknown or not keys:
        raise UsageError(f"nodes: {unknown or 'none given'}; choose from {sorted(PIPELINE)}")
    nodes = [PIPELINE[key] for key in keys]
    return nodes + (
        [WEB_VIEW] if values["web"].strip().lower() in ("1", "true", "yes", "on") else []
    )


def overrides(node: dict, values: dict[str, str]) -> dict:
    """The parameters the arguments set on this node; strings stay strings (llm_model:=y)."""
    chosen = {
        entry["sets"][1]: values[name]
        for name, entry in ARGUMENTS.items()
        if entry.get("sets", [None])[0] == node["name"] and values[name]
    }
    if node["name"] == "web_view_node":  # an integer parameter
        if not values["web_port"].strip().isdigit():
            raise UsageError(f"web_port: {values['web_port']!r} is not a port number")
        chosen["port"] = int(values["web_port"])
    chosen["use_sim_time"] = values["use_sim_time"].strip().lower() in ("1", "true", "yes", "on")
    return chosen


def node_command(node: dict, values: dict[str, str]) -> list[str]:
    """As launch_ros runs the launch file's Node: parameter files, then the overrides (typed, so
    quoted strings), the namespace, asr_node's inputs remapped, the log level."""
    if not executable_path(node["package"], node["executable"]).exists():
        raise UsageError(
            f"{executable_path(node['package'], node['executable'])} is not built: run `make setup`"
        )
    files = [f for f in (values["params_file"], values["prompts_file"]) if f]
    for params_file in files:
        if not Path(params_file).is_file():
            raise UsageError(f"parameter file {params_file} does not exist")
    inputs = ASR_INPUTS if node["name"] == "asr_node" else {}
    return ros_processes.node_command(
        node["package"],
        node["executable"],
        name=node["name"],
        namespace=values["namespace"],
        params_files=files,
        params=overrides(node, values),
        remaps={remapped: values[argument] for remapped, argument in inputs.items()},
        ros_args=["--log-level", values["log_level"]],
    )


def print_output(name: str, stream) -> None:
    for line in iter(stream.readline, b""):
        sys.stdout.write(f"[{name}] {line.decode(errors='replace')}")
        sys.stdout.flush()


def run(values: dict[str, str]) -> int:
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    processes = []
    commands = [(node["name"], node_command(node, values)) for node in chosen_nodes(values)]
    for name, command in commands:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our Ctrl-C reaches them once, from us
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # lines as they come, not at exit
        )
        threading.Thread(target=print_output, args=(name, process.stdout), daemon=True).start()
        processes.append((name, process))
        print(f"[run] started {name} (pid {process.pid})", flush=True)
    ended = None
    while not stopping.wait(0.2) and ended is None:
        ended = next(((n, p.returncode) for n, p in processes if p.poll() is not None), None)
    if ended:
        print(f"[run] {ended[0]} exited with code {ended[1]}: stopping the others", flush=True)
    return stop(processes) if not ended else max(1, stop(processes))


def stop(processes) -> int:
    for _, process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    code = 0
    for name, process in processes:
        try:
            # A node that ends once asked to is stopped, whatever its code: one still starting
            # dies of the SIGINT itself (Python's KeyboardInterrupt, or exit 1 when it came
            # during Python's own start-up), as under ros2 launch. Said, not an error.
            returncode = process.wait(STOP_TIMEOUT_S)
            if returncode not in (0, -signal.SIGINT):
                print(f"[run] {name} ended with code {returncode} on Ctrl-C", flush=True)
        except subprocess.TimeoutExpired:
            print(f"[run] {name} did not stop within {STOP_TIMEOUT_S:g} s: killed", flush=True)
            os.killpg(process.pid, signal.SIGKILL)
            code = max(code, abs(process.wait()))
    return code


def show_arguments() -> None:
    for name, entry in ARGUMENTS.items():
        note = " (needs ros2 launch)" if name in NEEDS_LAUNCH else ""
        print(f"  {name}:=  (default {entry['default']!r}){note}\n      {entry['description']}")


def main(argv: list[str]) -> int:
    if "--show-args" in argv or "-h" in argv or "--help" in argv:
        print(__doc__.split("\n\n")[1])
        show_arguments()
        return 0
    try:
        return run(parse_arguments(argv))
    except (UsageError, ValueError) as error:
        print(f"[run] {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
