#!/usr/bin/env python3
"""`make demo`: replay the demo bag through the whole InsideOut pipeline and show what happens.

Every node runs as its own process (the installed executables, parameters from
config/insideout.yaml and config/prompts.yaml: the embedded defaults), the bag_player replays
data/demo_bag (a face on /camera/image_raw, a spoken question on /audio + /audio_info), and this
script listens over DDS. It prints the emotion over time, the transcript, each agent's answer, the
aggregated reply and the time from the end of the question to the first reply audio; it writes the
spoken reply (out/demo_reply.wav), a timeline (out/demo_timeline.png) and the node logs
(out/logs/). The live view (web_view_node) runs beside it: the URL is printed, so a person can
watch the turn unfold in a browser, and a headless Chromium watching it too writes
out/demo_live.png at the end of the turn. It exits 0 only when a reply was produced and spoken;
otherwise it says what is missing and exits 1.

The node processes and the listening node are scripts/ros_processes.py's (the tests' too); what is
heard, demo_listener.py; the printout and files, demo_report.py and demo_timeline.py.
"""

import argparse
import os
import sys
import time
from pathlib import Path

from demo_listener import Listener, Observations, audio_chunk_holding, read_bag_facts
from demo_report import log, report
from ros_processes import (
    CONFIG_DIR,
    REPO_ROOT,
    NodeProcess,
    executable_path,
    load_pipeline,
    wait_until,
)

# {node name: its config/pipeline.yaml entry}; the demo runs without a namespace, so relative
# topic names resolve at the root.
PIPELINE = {node["name"]: node for node in load_pipeline().values()}
# Every node gets both files, as from the launch file; sections `/**/<node>` pick the node's.
PARAM_FILES = [CONFIG_DIR / "insideout.yaml", CONFIG_DIR / "prompts.yaml"]


def absolute(topic: str) -> str:
    return topic if topic.startswith("/") else "/" + topic


def missing_executables() -> list[str]:
    missing = [
        f"{name} ({node['package']}/{node['executable']}) is not built: run `make setup`"
        for name, node in PIPELINE.items()
        if not executable_path(node["package"], node["executable"]).exists()
    ]
    if not executable_path("insideout_common", "bag_player").exists():
        missing.append("insideout_common/bag_player is not built: run `make setup`")
    return missing


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add = parser.add_argument
    add(
        "--bag",
        default=str(REPO_ROOT / "data" / "demo_bag"),
        help="bag to replay (default: data/demo_bag, made by `make setup`)",
    )
    add("--out", default=str(REPO_ROOT / "out"), help="output directory")
    add(
        "--timeout",
        type=float,
        default=420.0,
        help="give up this many seconds after playback starts",
    )
    add(
        "--startup-timeout",
        type=float,
        default=180.0,
        help="how long the nodes may take to come up (models, LLM server)",
    )
    add(
        "--set",
        action="append",
        default=[],
        metavar="NODE.PARAM=VALUE",
        help="override one node parameter, e.g. dialogue_node.aggregation."
        "strategy=select (repeatable)",
    )
    add(
        "--llm-preset",
        default="",
        help="embedded LLM: qwen2.5-coder-1.5b (default), qwen2.5-coder-0.5b, smollm2-135m",
    )
    add("--web-port", type=int, default=8080, help="port of the live view (0: any free port)")
    add("--no-web", action="store_true", help="no live view (and no out/demo_live.png)")
    add(
        "--max-tokens",
        type=int,
        default=0,
        help="cap every agent's and the aggregator's answer length (0: as configured)",
    )
    return parser.parse_args(argv)


def overrides_from(args) -> dict[str, list[str]]:
    """Per node, `-p name:=value` arguments as typed (a value is read as on a command line)."""
    overrides: dict[str, dict[str, str]] = {name: {} for name in PIPELINE}
    if args.llm_preset:
        overrides["dialogue_node"]["local_llm.preset"] = args.llm_preset
    if args.max_tokens:
        import yaml

        config = yaml.safe_load((CONFIG_DIR / "insideout.yaml").read_text())
        agents = config["/**/dialogue_node"]["ros__parameters"]["agents"]["names"]
        for prefix in [f"agents.{a}." for a in agents] + ["aggregator."]:
            overrides["dialogue_node"][prefix + "max_tokens"] = str(args.max_tokens)
    for item in args.set:
        target, _, value = item.partition("=")
        node, _, parameter = target.partition(".")
        if node not in PIPELINE or not parameter or not _:
            raise SystemExit(
                f"--set {item!r}: expected NODE.PARAM=VALUE with NODE one of {', '.join(PIPELINE)}"
            )
        overrides[node][parameter] = value
    return {
        node: [arg for p, v in values.items() for arg in ("-p", f"{p}:={v}")]
        for node, values in overrides.items()
    }


def not_ready(listener: Listener, dialogue_log: Path) -> list[str]:
    lacking = []
    for name, node in PIPELINE.items():
        listens, publishes = absolute(node["ready_topic"]), absolute(node["output_topic"])
        if name not in listener.subscribers(listens) or name not in listener.publishers(publishes):
            lacking.append(f"{name} (subscribed to {listens} and publishing {publishes})")
    # A robot talks long after its start: let the embedded LLM fill its prompt caches first, so
    # this turn is timed as any later one would be.
    text = dialogue_log.read_text(errors="replace") if dialogue_log.exists() else ""
    if (
        "starting the embedded LLM server" in text
        and "prompts warmed" not in text
        and "cannot start the embedded LLM server" not in text
    ):
        lacking.append("dialogue_node (warming the embedded LLM's prompts)")
    return lacking


def run(args) -> int:
    out, bag = Path(args.out), Path(args.bag)
    (out / "logs").mkdir(parents=True, exist_ok=True)
    missing = missing_executables()
    if not (bag / "metadata.yaml").exists():
        missing.append(
            f"the demo bag {bag} does not exist: run `make setup` "
            "(scripts/setup.d/50-demo-bag.sh generates it)"
        )
    if missing:
        for item in missing:
            log(f"missing: {item}")
        log("no reply can be produced; the demo fails")
        return 1

    facts = read_bag_facts(bag)
    question = facts.get("insideout.question", "")
    speech_start = int(facts.get("insideout.speech_start_sample", 0))
    speech_end = int(facts.get("insideout.speech_end_sample", 0))
    log(
        f"bag {bag} ({facts['duration_s']} s): a face on /camera/image_raw and the spoken "
        f"question {question!r} on /audio"
    )
    overrides = overrides_from(args)
    obs = Observations()
    # S16LE mono: 2 bytes a sample; the chunk holding the last voiced sample's last byte.
    listener = Listener(obs, 2 * speech_start, audio_chunk_holding(bag, 2 * speech_end - 1))
    logs = out / "logs"
    processes: list[NodeProcess] = []
    try:
        for name, node in PIPELINE.items():
            processes.append(
                NodeProcess(
                    node["package"],
                    node["executable"],
                    params_files=PARAM_FILES,
                    ros_args=overrides[name],
                    log_path=logs / f"{name}.log",
                )
            )
        web = None
        if not args.no_web:
            web = NodeProcess(
                "insideout_dialogue",
                "web_view_node",
                params_files=PARAM_FILES,
                params={"port": args.web_port},
                log_path=logs / "web_view_node.log",
            )
            processes.append(web)
        log(
            "started " + ", ".join(p.name for p in processes) + " (each its own process; "
            f"logs in {logs}); waiting for them to come up"
        )
        started = time.monotonic()
        while not_ready(listener, logs / "dialogue_node.log"):
            dead = [p for p in processes if not p.running() and p is not web]
            for process in dead:
                log_exit(process)
            if dead:
                return 1
            if time.monotonic() - started >= args.startup_timeout:
                for item in not_ready(listener, logs / "dialogue_node.log"):
                    log(f"not ready after {args.startup_timeout:.0f} s: {item}")
                return 1
            time.sleep(0.5)
        log(f"pipeline ready after {time.monotonic() - started:.1f} s; replaying the bag")
        watcher = start_live_view(web, out) if web is not None else None

        player = NodeProcess(
            "insideout_common",
            "bag_player",
            params={"bag": str(bag), "restamp_headers": True, "start_delay": 1.0},
            log_path=logs / "bag_player.log",
            # 900 KB camera frames need Fast DDS's large shared-memory segment, as a camera
            # driver does (see the file); other RMWs ignore the variable.
            env={"FASTDDS_DEFAULT_PROFILES_FILE": str(CONFIG_DIR / "fastdds_large_frames.xml")},
        )
        processes.append(player)
        nodes = [p for p in processes if p not in (player, web)]
        player_ended: dict[str, float] = {}

        # Give up early when the bag is over and no final transcript came for a minute and a
        # half: nothing will be answered then.
        def hopeless() -> bool:
            if player.running() or any(m.is_final for _, m in obs.transcripts):
                return False
            return time.monotonic() - player_ended.setdefault("t", time.monotonic()) > 90.0

        finished = wait_until(
            lambda: obs.spoken() or hopeless() or not all(p.running() for p in nodes),
            args.timeout + float(facts["duration_s"]),
            0.2,
        )
        crashed = [p for p in nodes if not p.running()]
        for process in crashed:
            log_exit(process)
        live = finish_live_view(watcher, out) if watcher is not None else None
        return report(out, obs, question, finished and not crashed, live)
    finally:
        for process in reversed(processes):
            process.stop()
        listener.close()


def log_exit(process: NodeProcess) -> None:
    log(f"{process.name} exited with code {process.process.returncode}:\n{process.tail()}")


def start_live_view(web: NodeProcess, out: Path):
    """The live view's URL, printed for a person to open, and a headless browser on it."""
    from demo_live_view import LiveViewWatcher

    if not web.wait_for_output("live view on http", 30.0) or not web.running():
        log(f"the live view did not start (out/logs/web_view_node.log):\n{web.tail()}")
        return None
    url = web.output().split("live view on ", 1)[1].split()[0]
    log(f"live view: {url}  (open it in a browser to watch the turn unfold)")
    watcher = LiveViewWatcher(url, out / "demo_live.png")
    if not watcher.start():
        watcher.finish(timeout=10)
        log(f"no headless browser for out/demo_live.png: {watcher.error}")
        return None
    return watcher


def finish_live_view(watcher, out: Path) -> dict:
    facts = watcher.finish()
    if watcher.error:
        log(f"live view screenshot: {watcher.error}")
    else:
        log(f"live view screenshot: {out / 'demo_live.png'}")
    return {**facts, "error": watcher.error}


def main(argv=None) -> int:
    args = parse_args(argv)
    # Keep the demo's DDS traffic on this machine unless the user chose otherwise.
    os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
    try:
        return run(args)
    except KeyboardInterrupt:  # the nodes were stopped on the way out (run's finally)
        log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
