"""The dialogue node's parameters turned into the core's settings, and the embedded LLM server
started when an endpoint needs it.

A plain settings field is filled by the parameter declaring it (`ParamSpec(..., setting=
"turn.<field>")` in dialogue_parameters.py); only the fields in ASSEMBLED are built here by hand."""

import time
from collections.abc import Callable
from pathlib import Path

from insideout_common.emotions import LABELS
from insideout_common.ros.params import InvalidParameters, settings_fields
from insideout_dialogue.core.agent_config import AgentConfig, EndpointConfig
from insideout_dialogue.core.dialogue_turn import TurnSettings
from insideout_dialogue.core.embedded_slots import pin_embedded_slots
from insideout_dialogue.core.emotion_weights import parse_mapping_row
from insideout_dialogue.core.llm_models import LlmModelError, resolve_model
from insideout_dialogue.core.local_llm_server import (
    LocalLlmServer,
    LocalServerError,
    ServerSettings,
    needs_local_server,
)
from insideout_dialogue.core.local_llm_supervisor import LocalLlmSupervisor
from insideout_dialogue.core.prompts import PromptSet
from insideout_dialogue.core.turn_scheduler import SchedulerSettings
from insideout_dialogue.nodes.dialogue_parameters import BASE_SPECS

Log = Callable[[str, str], None]  # (level, message)


# Settings fields no parameter fills one to one: assembled below from several parameters. Every
# other field of these objects is filled by the ParamSpec whose `setting` names it
# (tests/dialogue/test_dialogue_settings.py checks that each field is one or the other).
ASSEMBLED = {
    "turn": ("agents", "aggregator", "prompts", "emotion_to_agent"),
    "prompt_set": (),
    "scheduler": (),
    # n_parallel: local_llm.parallel, 0 meaning one slot per agent plus the aggregator.
    # cache_ram_mib: not a parameter (ServerSettings' default).
    "server": ("n_parallel", "cache_ram_mib"),
}
SETTINGS_CLASSES = {
    "turn": TurnSettings,
    "prompt_set": PromptSet,
    "scheduler": SchedulerSettings,
    "server": ServerSettings,
}


def settings_from(p: dict[str, object], target: str) -> dict[str, object]:
    """{field: value} of `target`'s fields filled by a parameter (ParamSpec.setting)."""
    return settings_fields(BASE_SPECS, p, target)


def turn_settings(p: dict[str, object], names: list[str]) -> TurnSettings:
    agents = [
        AgentConfig(
            name=name,
            prompt=p[f"agents.{name}.prompt"],
            paper_word=p[f"agents.{name}.paper_word"],
            endpoint=endpoint(p, f"agents.{name}."),
        )
        for name in names
    ]
    return TurnSettings(
        **settings_from(p, "turn"),
        agents=agents,
        aggregator=endpoint(p, "aggregator."),
        prompts=PromptSet(**settings_from(p, "prompt_set")),
        emotion_to_agent={
            label: parse_mapping_row(p[f"emotion_to_agent.{label}"]) for label in LABELS
        },
    )


def scheduler_settings(p: dict[str, object]) -> SchedulerSettings:
    return SchedulerSettings(**settings_from(p, "scheduler"))


def server_settings(p: dict[str, object], agents: int) -> ServerSettings:
    return ServerSettings(
        n_parallel=p["local_llm.parallel"] or agents + 1, **settings_from(p, "server")
    )


def endpoint(p: dict[str, object], prefix: str) -> EndpointConfig:
    """An agent's or the aggregator's endpoint; empty base_url / model mean llm.*'s."""
    base_url = p[prefix + "base_url"] or p["llm.base_url"]
    return EndpointConfig(
        base_url=base_url,
        model=model_name(p, prefix, base_url),
        api_key_env=p[prefix + "api_key_env"],
        temperature=p[prefix + "temperature"],
        max_tokens=p[prefix + "max_tokens"],
        timeout=p[prefix + "timeout"],
    )


def model_name(p: dict[str, object], prefix: str, base_url: str) -> str:
    """The model to ask for: as configured, or for the embedded server, its model's name."""
    model = p[prefix + "model"] or p["llm.model"]
    if model:
        return model
    if base_url.rstrip("/") != p["local_llm.base_url"].rstrip("/"):
        raise InvalidParameters(
            f"{prefix}model: must be set for {base_url} (only the "
            "embedded server at local_llm.base_url knows its model)"
        )
    path = p["local_llm.model_path"]
    return Path(path).stem if path else p["local_llm.preset"]


def start_embedded_server(
    p: dict[str, object], settings: TurnSettings, log: Log
) -> tuple[LocalLlmSupervisor | None, TurnSettings, str]:
    """(supervisor or None, settings pinned to its slots, why it could not start or "").

    Started only when an endpoint is local_llm.base_url and nothing listens there. A server that
    cannot start is not fatal: turns then fail with a clear error and the fallback reply."""
    local = p["local_llm.base_url"]
    urls = [a.endpoint.base_url for a in settings.agents] + [settings.aggregator.base_url]
    if not p["local_llm.autostart"] or not needs_local_server(urls, local):
        return None, settings, ""
    try:
        model = resolve_model(p["local_llm.preset"], p["local_llm.model_path"])
        server_config = server_settings(p, len(settings.agents))
        slots = server_config.n_parallel
        server = LocalLlmServer(local, model, server_config, binary=p["local_llm.server_binary"])
        log("info", f"starting the embedded LLM server ({server.model_path.name}) at {local}")
        started = time.monotonic()
        server.start(p["local_llm.startup_timeout"])
        log(
            "info",
            f"embedded LLM server answers after {time.monotonic() - started:.1f} s "
            f"(pid {server.process.pid})",
        )
        # Restarted when it dies; turns made meanwhile fail with the fallback reply.
        supervisor = LocalLlmSupervisor(server, log, p["local_llm.startup_timeout"])
        supervisor.watch()
        # A server we started has known slots: one per agent and one for the aggregator.
        return supervisor, pin_embedded_slots(settings, local, slots), ""
    except (LocalServerError, LlmModelError) as error:
        log("error", f"cannot start the embedded LLM server: {error}")
        return None, settings, str(error)
