"""fer_node starts with config/insideout.yaml (the file itself is generated from the declarations:
tests/workspace/test_param_files_in_sync.py)."""

from pathlib import Path

CONFIG = Path(__file__).resolve().parents[2] / "config" / "insideout.yaml"


def test_node_starts_with_the_yaml(spawn_node):
    node = spawn_node("insideout_perception", "fer_node", params_file=CONFIG)
    assert node.wait_for_output("listening on /camera/image_raw", 60), node.output()
    assert node.stop() == 0
