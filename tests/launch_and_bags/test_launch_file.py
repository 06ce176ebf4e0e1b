"""launch/insideout.launch.py, checked as far as possible without launch / launch_ros installed.

`ros2 launch` is not on PyPI, so this reads the file's declarations (Python AST) instead of
running it: the arguments the issue asks for, nodes that are built, config sections that exist,
that the nodes use relative names and the launch file passes the namespace (the namespace itself
is tested over DDS in test_namespace.py). (Running it was
checked by hand against ros2/launch + launch_ros humble, jazzy and rolling; see the README.)
"""

import ast
import re
from pathlib import Path

import pytest
import yaml
from rcl_interfaces.msg import ParameterType
from rcl_interfaces.srv import GetParameters
from support.parameter_yaml import flatten_parameters, node_section
from support.ros_harness import INSTALL_DIR, wait_until

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILE = REPO / "launch" / "insideout.launch.py"
NODE_SOURCES = [
    *(REPO / "src" / "insideout_perception" / "insideout_perception" / "nodes").glob("*.py"),
    *(REPO / "src" / "insideout_dialogue" / "insideout_dialogue" / "nodes").glob("*.py"),
]


def module_assignments():
    tree = ast.parse(LAUNCH_FILE.read_text())
    values = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            values[node.targets[0].id] = node.value
    return tree, values


ARGUMENTS = yaml.safe_load((REPO / "launch" / "insideout_arguments.yaml").read_text())


def argument_names():
    """The launch arguments, as launch/insideout_arguments.yaml describes them for the file."""
    assert "load_arguments()" in LAUNCH_FILE.read_text()
    return list(ARGUMENTS)


def test_every_argument_has_a_default_and_a_description():
    for name, entry in ARGUMENTS.items():
        assert isinstance(entry["default"], str), f"{name}: launch defaults are strings"
        assert entry["description"].strip(), f"{name} has no description"
        assert set(entry) <= {"default", "description", "sets"}, name


def test_declares_the_arguments_users_need():
    names = argument_names()
    for required in (
        "camera_topic",
        "audio_topic",
        "audio_info_topic",
        "namespace",
        "nodes",
        "llm_base_url",
        "llm_model",
        "aggregation",
        "use_sim_time",
        "params_file",
        "prompts_file",
        "camera",
        "microphone",
        "respawn",
        "respawn_delay",
        "web",
        "web_port",
    ):
        assert required in names, f"launch argument {required} missing"
    assert len(names) == len(set(names)), "an argument is declared twice"


def test_imports_only_what_every_distro_has():
    tree, _ = module_assignments()
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            modules.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
    assert modules <= {"os", "tempfile", "yaml", "launch", "launch_ros", "ament_index_python"}, (
        modules
    )
    assert any(
        isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description"
        for n in tree.body
    )


def test_starts_the_built_executables_of_the_pipeline_description():
    pipeline = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text())
    assert set(pipeline) == {"fer", "asr", "dialogue", "tts"}
    config = yaml.safe_load((REPO / "config" / "insideout.yaml").read_text())
    for node in pipeline.values():
        package, executable = node["package"], node["executable"]
        assert (INSTALL_DIR / package / "lib" / package / executable).exists(), (
            f"{package}/{executable} is not built (run make setup)"
        )
        assert "/**/" + node["name"] in config, (
            f"config/insideout.yaml has no /**/{node['name']} section"
        )
    assert "load_pipeline" in LAUNCH_FILE.read_text() and "PIPELINE_FILE" in LAUNCH_FILE.read_text()


def test_nodes_use_relative_names_and_the_launch_file_remaps_none_of_them():
    absolute = set()
    for source in NODE_SOURCES:
        absolute |= set(re.findall(r'"(/insideout/[A-Za-z0-9_/]+)"', source.read_text()))
    assert absolute == set(), f"absolute InsideOut names in the nodes: {sorted(absolute)}"
    text = LAUNCH_FILE.read_text()
    assert "insideout/" not in re.sub(r'""".*?"""|#.*', "", text, flags=re.S), (
        "the launch file names an InsideOut topic (a remapping table is back?)"
    )
    _, values = module_assignments()
    # The only remappings left: asr_node's driver inputs.
    assert set(ast.literal_eval(values["ASR_INPUTS"])) == {"audio", "audio_stamped", "audio_info"}


def test_parameter_arguments_set_parameters_the_nodes_declare():
    arguments = {name: tuple(entry["sets"]) for name, entry in ARGUMENTS.items() if "sets" in entry}
    files = [
        yaml.safe_load((REPO / "config" / name).read_text())
        for name in ("insideout.yaml", "prompts.yaml")
    ]
    for argument, (node, parameter) in arguments.items():
        declared = {}
        for document in files:
            declared.update(flatten_parameters(node_section(document, node)))
        assert parameter in declared, (
            f"{argument} sets {node}'s {parameter}, which it does not have"
        )
    # One value for every agent and the aggregator: the dialogue node's fallback, not a fan-out.
    assert arguments["llm_base_url"] == ("dialogue_node", "llm.base_url")
    assert arguments["llm_model"] == ("dialogue_node", "llm.model")


def test_namespace_is_passed_to_every_pipeline_node():
    tree, _ = module_assignments()
    pipeline = next(
        n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "pipeline_actions"
    )
    calls = [
        c
        for c in ast.walk(pipeline)
        if isinstance(c, ast.Call) and getattr(c.func, "id", "") == "Node"
    ]
    assert len(calls) == 1
    keywords = {k.arg: ast.unparse(k.value) for k in calls[0].keywords}
    assert "args['namespace']" in keywords["namespace"].replace('"', "'")
    assert keywords["remappings"] == "inputs"


def launch_overrides_file():
    """The launch file's overrides_file(), compiled on its own (it needs only yaml)."""
    tree, _ = module_assignments()
    body = [
        n
        for n in tree.body
        if (isinstance(n, ast.Import) and n.names[0].name in ("tempfile", "yaml"))
        or (isinstance(n, ast.ClassDef) and n.name == "_QuotedStrings")
        or (isinstance(n, ast.Expr) and "_QuotedStrings" in ast.unparse(n))
        or (isinstance(n, ast.FunctionDef) and n.name == "overrides_file")
    ]
    namespace = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(LAUNCH_FILE), "exec"), namespace)
    return namespace["overrides_file"]


@pytest.mark.timeout(120)
def test_argument_values_reach_the_node_as_the_strings_given(ros, spawn_node):
    """rcl reads an unquoted y, n, 1e3 or nan as a bool or a number: the launch file's override
    file quotes every string, so `camera_topic:=...`, `llm_model:=y` stay strings (checked on a
    real node, reading the values back over DDS)."""
    path = launch_overrides_file()(
        {
            "frame_id": "y",
            "piper_config_path": "1e3",
            "piper_model_path": "nan",
            "use_sim_time": False,
        }
    )
    node = spawn_node("insideout_dialogue", "tts_node", params_files=[path])
    client = ros.node.create_client(GetParameters, "/tts_node/get_parameters")
    assert client.wait_for_service(timeout_sec=60.0), node.output()
    names = ["frame_id", "piper_config_path", "piper_model_path", "use_sim_time"]
    future = client.call_async(GetParameters.Request(names=names))
    assert wait_until(future.done, 10.0)
    values = dict(zip(names, future.result().values))
    for name, text in (
        ("frame_id", "y"),
        ("piper_config_path", "1e3"),
        ("piper_model_path", "nan"),
    ):
        assert (values[name].type, values[name].string_value) == (
            ParameterType.PARAMETER_STRING,
            text,
        )
    assert (values["use_sim_time"].type, values["use_sim_time"].bool_value) == (
        ParameterType.PARAMETER_BOOL,
        False,
    )
