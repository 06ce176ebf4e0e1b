"""tts_node runs on config/insideout.yaml (the file itself is generated from the declarations:
tests/workspace/test_param_files_in_sync.py)."""

from support.ros_harness import REPO_ROOT

CONFIG = REPO_ROOT / "config" / "insideout.yaml"


def test_node_starts_from_the_yaml(spawn_node):
    node = spawn_node("insideout_dialogue", "tts_node", params_file=CONFIG)
    assert node.wait_for_output("speaking /insideout/reply with hibari voice heart", 60), (
        node.output()
    )
