"""launch/insideout.launch.py, checked as far as possible without launch / launch_ros installed.

`ros2 launch` is not on PyPI, so this reads the file's declarations (Python AST) instead of
running it: the arguments the issue asks for, nodes that are built, config sections that exist,
and namespace remappings that cover every absolute InsideOut name the nodes use. (Running it was
checked by hand against ros2/launch + launch_ros humble, jazzy and rolling; see the README.)
"""

import ast
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
LAUNCH_FILE = REPO / "launch" / "insideout.launch.py"
NODE_SOURCES = [*(REPO / "src" / "insideout_perception" / "insideout_perception" / "nodes").glob("*.py"),
                *(REPO / "src" / "insideout_dialogue" / "insideout_dialogue" / "nodes").glob("*.py")]


def module_assignments():
    tree = ast.parse(LAUNCH_FILE.read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    return tree, values


def argument_names():
    _, values = module_assignments()
    return [element.elts[0].value for element in values["ARGUMENTS"].elts]


def test_declares_the_arguments_users_need():
    names = argument_names()
    for required in ("camera_topic", "audio_topic", "audio_info_topic", "namespace", "nodes",
                     "llm_base_url", "llm_model", "aggregation", "use_sim_time", "params_file",
                     "prompts_file", "camera", "microphone", "respawn", "respawn_delay"):
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
    assert modules <= {"os", "yaml", "launch", "launch_ros", "ament_index_python"}, modules
    assert any(isinstance(n, ast.FunctionDef) and n.name == "generate_launch_description"
               for n in tree.body)


def test_starts_built_executables_with_config_sections():
    _, values = module_assignments()
    pipeline = ast.literal_eval(values["PIPELINE_NODES"])
    assert set(pipeline) == {"fer", "asr", "dialogue", "tts"}
    config = yaml.safe_load((REPO / "config" / "insideout.yaml").read_text())
    for package, executable, name in pipeline.values():
        assert (REPO / "install" / package / "lib" / package / executable).exists(), \
            f"{package}/{executable} is not built (run make setup)"
        assert name in config, f"config/insideout.yaml has no {name} section"
    assert (REPO / "config" / "prompts.yaml").exists()


def test_namespace_remaps_every_absolute_insideout_name_the_nodes_use():
    _, values = module_assignments()
    remapped = set()
    for name in ("INSIDEOUT_TOPICS", "INSIDEOUT_SERVICES", "INSIDEOUT_ACTIONS"):
        remapped |= set(ast.literal_eval(values[name]))
    used = set()
    for source in NODE_SOURCES:
        used |= set(re.findall(r'"(/insideout/[A-Za-z0-9_/]+)"', source.read_text()))
    assert used, "found no /insideout/ names in the node sources"
    assert used <= remapped, f"not remapped under a namespace: {sorted(used - remapped)}"


def launch_helpers():
    """The launch file's pure helpers (parameter merging, overrides, remappings), compiled on
    their own: they need neither launch nor launch_ros."""
    tree, _ = module_assignments()
    wanted = {"_truthy", "_flatten", "node_parameters", "namespaced_remappings", "_llm_endpoints",
              "INSIDEOUT_TOPICS", "INSIDEOUT_SERVICES", "INSIDEOUT_ACTIONS", "ACTION_SUFFIXES",
              "PARAMETER_OVERRIDES"}
    body = [n for n in tree.body
            if (isinstance(n, ast.FunctionDef) and n.name in wanted)
            or (isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name)
                and n.targets[0].id in wanted)]
    namespace = {}
    exec(compile(ast.Module(body=body, type_ignores=[]), str(LAUNCH_FILE), "exec"), namespace)
    return namespace


def test_parameters_merge_like_several_params_files_and_wildcards():
    helpers = launch_helpers()
    files = [yaml.safe_load((REPO / "config" / name).read_text())
             for name in ("insideout.yaml", "prompts.yaml")]
    dialogue = helpers["node_parameters"](files, "dialogue_node")
    assert dialogue["aggregation.strategy"] == files[0]["dialogue_node"]["ros__parameters"][
        "aggregation"]["strategy"]
    assert "agents.happiness.prompt" in dialogue  # from prompts.yaml
    override = [{"/**": {"ros__parameters": {"shared": 1}}},
                {"tts_node": {"ros__parameters": {"backend": "espeak-ng", "shared": 2}}}]
    assert helpers["node_parameters"](override, "tts_node") == {"shared": 2, "backend": "espeak-ng"}
    assert helpers["node_parameters"](override, "fer_node") == {"shared": 1}


def test_llm_arguments_reach_every_agent_and_the_aggregator():
    helpers = launch_helpers()
    files = [yaml.safe_load((REPO / "config" / "insideout.yaml").read_text())]
    parameters = helpers["node_parameters"](files, "dialogue_node")
    before = set(parameters)
    overrides = helpers["PARAMETER_OVERRIDES"]
    for argument, value in (("llm_base_url", "http://gpu:8000/v1"), ("llm_model", "big"),
                            ("aggregation", "select")):
        node, apply = overrides[argument]
        assert node == "dialogue_node"
        apply(parameters, value)
    assert set(parameters) == before, "an override invented a parameter the node does not have"
    endpoints = [k[:-len("base_url")] for k in parameters if k.endswith(".base_url")
                 and not k.startswith("local_llm.")]
    assert len(endpoints) == 5  # four agents + the aggregator
    for prefix in endpoints:
        assert parameters[prefix + "base_url"] == "http://gpu:8000/v1"
        assert parameters[prefix + "model"] == "big"
    assert parameters["aggregation.strategy"] == "select"
    assert parameters["local_llm.base_url"] != "http://gpu:8000/v1"


def test_namespace_remappings():
    helpers = launch_helpers()
    assert helpers["namespaced_remappings"]("") == []
    remaps = dict(helpers["namespaced_remappings"]("/robot1/"))
    assert remaps["/insideout/emotion"] == "/robot1/insideout/emotion"
    assert remaps["/insideout/reset_memory"] == "/robot1/insideout/reset_memory"
    assert remaps["/insideout/respond/_action/feedback"] == "/robot1/insideout/respond/_action/feedback"
    assert helpers["_truthy"]("True") and not helpers["_truthy"]("false")
