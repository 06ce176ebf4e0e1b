"""The dialogue node's parameters turned into the core's settings, and the embedded LLM server
started when an endpoint needs it."""

import time
from collections.abc import Callable
from pathlib import Path

from insideout_common.emotions import LABELS
from insideout_common.ros.params import InvalidParameters
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

Log = Callable[[str, str], None]  # (level, message)


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
    prompts = PromptSet(
        style=p["prompts.style"],
        aggregator_prompt=p["prompts.aggregator"],
        weighted_aggregator_prompt=p["prompts.weighted_aggregator"],
        paper_agent_template=p["prompts.paper.agent_template"],
        paper_aggregator_template=p["prompts.paper.aggregator_template"],
        paper_emotion_clause=p["prompts.paper.emotion_clause"],
    )
    mapping = {label: parse_mapping_row(p[f"emotion_to_agent.{label}"]) for label in LABELS}
    return TurnSettings(
        agents=agents,
        aggregator=endpoint(p, "aggregator."),
        prompts=prompts,
        strategy=p["aggregation.strategy"],
        emotion_to_agent=mapping,
        fallback_reply=p["reply.fallback"],
        stream_sentences=p["reply.stream_sentences"],
        history_in_agent_prompts=p["memory.in_agent_prompts"],
        agents_deadline=p["agents.deadline"],
        agents_max_sentences=p["agents.max_sentences"],
        agents_max_words=p["agents.max_words"],
        aggregator_prefill=p["aggregator.prefill"],
        first_clause_min_words=p["reply.first_clause_min_words"],
        first_clause_phrase_breaks=p["reply.first_clause_phrase_breaks"],
        reply_min_words=p["reply.min_words"],
        reply_max_words=p["reply.max_words"],
        progress_interval=p["progress.interval"],
    )


def scheduler_settings(p: dict[str, object]) -> SchedulerSettings:
    return SchedulerSettings(
        max_pending=p["queue.max_pending"],
        goal_policy=p["action.on_new_goal"],
        memory_turns=p["memory.max_turns"],
        memory_expiry=p["memory.expiry"],
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
        slots = p["local_llm.parallel"] or len(settings.agents) + 1
        server = LocalLlmServer(
            local,
            model,
            ServerSettings(
                n_parallel=slots,
                ctx_per_slot=p["local_llm.ctx_per_slot"],
                n_threads=p["local_llm.n_threads"],
            ),
            binary=p["local_llm.server_binary"],
        )
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
