"""web_view_node from config/insideout.yaml: loopback by default, the access token, and what it
cannot serve (the file itself is generated from the declarations:
tests/workspace/test_param_files_in_sync.py)."""

from web_view.browser_support import CONFIG, start_web_view


def test_loopback_by_default_and_a_warning_for_an_open_address_without_token(spawn_node):
    node, url = start_web_view(spawn_node)
    assert url.startswith("http://127.0.0.1:")
    assert "without an access token" not in node.output()
    open_node = spawn_node(
        "insideout_dialogue",
        "web_view_node",
        params_file=CONFIG,
        params={"host": "0.0.0.0", "port": 0},
        env={"INSIDEOUT_WEB_TOKEN": ""},
    )
    assert open_node.wait_for_output("live view on http://", 30), open_node.output()
    assert "without an access token" in open_node.output()


def test_token_is_required_and_never_logged(spawn_node):
    import urllib.error
    import urllib.request

    node = spawn_node(
        "insideout_dialogue",
        "web_view_node",
        params_file=CONFIG,
        params={"port": 0},
        env={"INSIDEOUT_WEB_TOKEN": "tok-5ecret"},
    )
    assert node.wait_for_output("(access token required)", 30), node.output()
    url = node.output().split("live view on ", 1)[1].split()[0]
    try:
        urllib.request.urlopen(url, timeout=5)
        raise AssertionError("the page opened without the token")
    except urllib.error.HTTPError as error:
        assert error.code == 401
    assert urllib.request.urlopen(url + "?token=tok-5ecret", timeout=5).status == 200
    assert node.stop() == 0
    assert "tok-5ecret" not in node.output()


def test_a_port_in_use_stops_the_node_with_a_clear_error(spawn_node):
    _, url = start_web_view(spawn_node)
    port = int(url.rsplit(":", 1)[1].strip("/"))
    second = spawn_node(
        "insideout_dialogue", "web_view_node", params_file=CONFIG, params={"port": port}
    )
    second.process.wait(30)
    assert second.process.returncode == 2, second.output()
    assert "cannot serve the live view" in second.output()
