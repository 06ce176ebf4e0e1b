"""The dialogue node's parameters: names, defaults, descriptions, checks, and the settings field
each fills (`setting`, read by dialogue_setup.py). Per-agent parameters depend on `agents.names`.

config/insideout.yaml, config/prompts.yaml (the specs with `prompt=True`) and the table in
docs/nodes/dialogue_node.md are generated from these declarations: `make params`."""

import re
from collections.abc import Sequence

from insideout_common.emotions import LABELS
from insideout_common.rep155_conventions import ANONYMOUS_SPEAKER, id_problem
from insideout_common.ros.diagnostics import DIAGNOSTICS_PERIOD
from insideout_common.ros.managed_node import AUTOSTART
from insideout_common.ros.params import ParamSpec
from insideout_dialogue.core.agent_config import DEFAULT_AGENTS
from insideout_dialogue.core.aggregation_strategies import STRATEGIES
from insideout_dialogue.core.emotion_weights import DEFAULT_EMOTION_TO_AGENT, check_mapping_row
from insideout_dialogue.core.llm_models import DEFAULT_PRESET, PRESETS
from insideout_dialogue.core.local_llm_server import DEFAULT_LOCAL_BASE_URL, DEFAULT_SERVER_BINARY
from insideout_dialogue.core.prompts import (
    DEFAULT_AGGREGATOR_PROMPT,
    DEFAULT_PAPER_AGENT_TEMPLATE,
    DEFAULT_PAPER_AGGREGATOR_TEMPLATE,
    DEFAULT_PAPER_EMOTION_CLAUSE,
    DEFAULT_WEIGHTED_AGGREGATOR_PROMPT,
    STYLES,
    default_agent_prompt,
    default_paper_word,
)

# Above the dialogue_node section of config/insideout.yaml.
YAML_COMMENT = "Prompt texts are in config/prompts.yaml (pass both files)."
# config/prompts.yaml's header.
PROMPTS_YAML_HEADER = (
    "InsideOut dialogue prompts: the dialogue_node parameters holding the words sent to the LLMs."
    " Pass this file after config/insideout.yaml (`--params-file config/insideout.yaml"
    " --params-file config/prompts.yaml`). The values here equal the node's built-in defaults."
    " Two styles, chosen by `prompts.style` in config/insideout.yaml:"
    " improved (default): each agent's persona system prompt below (`agents.<name>.prompt`) and"
    " the aggregator prompts (`prompts.aggregator`, `prompts.weighted_aggregator`);"
    " paper: the seed's wording (HSEmotion's Inside Out demo): \"What is the {emotion}"
    ' one-paragraph response to <question>" per agent (`agents.<name>.paper_word` fills'
    ' {emotion}), then, in the same chat, "Aggregate the answers to form a final response. Take'
    ' into account that I am {user_emotion} now." (the clause omitted when the user is neutral).'
    " Placeholders: {emotion} and {question} in prompts.paper.agent_template; {user_emotion} in"
    " prompts.paper.emotion_clause. A new agent added to agents.names needs its own entries here"
    " (otherwise it gets a generic persona built from its name)."
)

# Empty: the embedded server's model (local_llm.preset), for endpoints at local_llm.base_url.
DEFAULT_MODEL = ""
GOAL_POLICIES = ("queue", "preempt")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _check_names(names) -> "str | None":
    names = list(names)
    if not names:
        return "needs at least one agent"
    if len(set(names)) != len(names):
        return f"has duplicates: {names}"
    bad = [n for n in names if not _NAME.match(n)]
    if bad:
        return f"names must be lower_case identifiers, got {bad}"
    return None


def _check_url(value: str) -> "str | None":
    return (
        None if re.match(r"^https?://[^/\s]+", value) else f"must be an http(s) URL, got {value!r}"
    )


def _check_optional_url(value: str) -> "str | None":
    return _check_url(value) if value else None


def _check_env_name(value: str) -> "str | None":
    # The *name* of a variable; a value that looks like a key is refused so it never gets logged.
    if value == "" or _ENV_NAME.match(value):
        return None
    return "must be the NAME of an environment variable (e.g. OPENAI_API_KEY), not a key"


def _check_template(*fields: str):
    def check(value: str) -> "str | None":
        try:
            value.format(**{f: "x" for f in fields})
        except (KeyError, IndexError, ValueError) as error:
            return f"may only use the placeholders {list(fields)} ({error})"
        return None

    return check


def _non_empty(value: str) -> "str | None":
    return None if value.strip() else "must not be empty"


BASE_SPECS: list[ParamSpec] = [
    ParamSpec(
        "agents.names",
        list(DEFAULT_AGENTS),
        "Emotion agents asked for every utterance, in this order.",
        check=_check_names,
    ),
    ParamSpec(
        "agents.deadline",
        0.0,
        "Agents still writing this many seconds after the utterance are stopped and their"
        " finished sentences used (their AgentReply says so); if none has one by then, the"
        " first to finish is awaited. 0: wait for every agent.",
        0.0,
        600.0,
        setting="turn.agents_deadline",
    ),
    ParamSpec(
        "agents.max_sentences",
        1,
        "Each agent is stopped once it has written this many sentences (one of under four"
        " words counts with the next), so nobody waits for words that are not used."
        " 0: let agents write until they end.",
        0,
        20,
        setting="turn.agents_max_sentences",
    ),
    ParamSpec(
        "agents.max_words",
        8,
        "An agent past this many words is stopped at its next comma, semicolon or dash (or"
        " 6 words later): the slowest voice sets the turn's pace, and the aggregator needs"
        " its gist. 0: no limit.",
        0,
        500,
        setting="turn.agents_max_words",
    ),
    ParamSpec(
        "aggregation.strategy",
        "leading_voice",
        "leading_voice: the agent the user's emotion weighs most (else the robot's own first"
        " reaction) is spoken first as it streams, then the aggregator continues from its"
        " words, blending the other agents (first words about 3x sooner);"
        " llm: an aggregator LLM call given the answers and the user's emotion (the paper's);"
        " weighted_llm: the same plus per-agent weights from the user's emotion;"
        " select: no extra call, the top-weighted agent's answer.",
        choices=STRATEGIES,
        setting="turn.strategy",
    ),
    ParamSpec(
        "llm.base_url",
        DEFAULT_LOCAL_BASE_URL,
        "OpenAI-compatible base URL of every agent and the aggregator whose own base_url is empty.",
        check=_check_url,
    ),
    ParamSpec(
        "llm.model",
        DEFAULT_MODEL,
        "Model of every agent and the aggregator whose own model is empty; empty: the"
        " embedded model (local endpoint only).",
    ),
    ParamSpec(
        "aggregator.base_url",
        "",
        "OpenAI-compatible base URL of the aggregator LLM; empty: llm.base_url.",
        check=_check_optional_url,
    ),
    ParamSpec("aggregator.model", DEFAULT_MODEL, "Aggregator model name; empty: llm.model."),
    ParamSpec(
        "aggregator.api_key_env",
        "",
        "Name of the environment variable holding the aggregator's API key; empty: none.",
        check=_check_env_name,
    ),
    ParamSpec("aggregator.temperature", 0.7, "Aggregator sampling temperature.", 0.0, 2.0),
    ParamSpec("aggregator.max_tokens", 64, "Aggregator answer limit [tokens].", 1, 4096),
    ParamSpec("aggregator.timeout", 30.0, "Aggregator whole-request timeout [s].", 0.1, 600.0),
    ParamSpec(
        "aggregator.prefill",
        False,
        "Embedded server only: process the settled start of the aggregator's prompt in its"
        " slot while the agents still write. Off: on 2 CPU cores it slowed the agents more"
        " than it saved (first reply sentence 1 s later, median of 12 turns); try it on a"
        " machine with cores to spare.",
        setting="turn.aggregator_prefill",
    ),
    ParamSpec(
        "prompts.style",
        "improved",
        "improved: our persona prompts (short spoken answers, safety); paper: the seed's wording.",
        choices=STYLES,
        setting="prompt_set.style",
    ),
    ParamSpec(
        "prompts.aggregator",
        DEFAULT_AGGREGATOR_PROMPT,
        "System prompt of the aggregator (improved style, strategy llm).",
        check=_non_empty,
        setting="prompt_set.aggregator_prompt",
        prompt=True,
    ),
    ParamSpec(
        "prompts.weighted_aggregator",
        DEFAULT_WEIGHTED_AGGREGATOR_PROMPT,
        "System prompt of the aggregator (improved style, strategy weighted_llm).",
        check=_non_empty,
        setting="prompt_set.weighted_aggregator_prompt",
        prompt=True,
    ),
    ParamSpec(
        "prompts.paper.agent_template",
        DEFAULT_PAPER_AGENT_TEMPLATE,
        "Paper style: the question to each agent; {emotion} is the agent's paper_word.",
        check=_check_template("emotion", "question"),
        setting="prompt_set.paper_agent_template",
        prompt=True,
    ),
    ParamSpec(
        "prompts.paper.aggregator_template",
        DEFAULT_PAPER_AGGREGATOR_TEMPLATE,
        "Paper style: the aggregation request.",
        check=_check_template(),
        setting="prompt_set.paper_aggregator_template",
        prompt=True,
    ),
    ParamSpec(
        "prompts.paper.emotion_clause",
        DEFAULT_PAPER_EMOTION_CLAUSE,
        "Paper style: appended when the user is not neutral.",
        check=_check_template("user_emotion"),
        setting="prompt_set.paper_emotion_clause",
        prompt=True,
    ),
    ParamSpec(
        "emotion.timeout",
        3.0,
        "An EmotionState older than this [s] counts as neutral (no face).",
        0.0,
        3600.0,
    ),
    ParamSpec(
        "rep155.follow_person",
        True,
        "Condition a turn on the face that REP-155 candidate matches (humans/candidate_matches) "
        "tie to the speaking voice, directly or through a person; else on the attended face. "
        "Needs hri_msgs.",
    ),
    ParamSpec(
        "rep155.voice_id",
        ANONYMOUS_SPEAKER,
        "REP-155 id of the speaking voice (asr_node's rep155_voice_id).",
        check=id_problem,
    ),
    ParamSpec(
        "rep155.match_threshold",
        0.5,
        "Candidate matches below this confidence are ignored (ROS4HRI's default).",
        0.0,
        1.0,
    ),
    ParamSpec(
        "memory.max_turns",
        2,
        "Earlier turns (utterance and reply) put into the aggregator's prompt (0: no memory).",
        0,
        50,
        setting="scheduler.memory_turns",
    ),
    ParamSpec(
        "memory.in_agent_prompts",
        False,
        "Also put them into every agent's prompt (needed for memory with the select "
        "strategy; costs five times the history's tokens per turn).",
        setting="turn.history_in_agent_prompts",
    ),
    ParamSpec(
        "memory.expiry",
        120.0,
        "Forget the conversation after this much silence [s] (0: never).",
        0.0,
        86400.0,
        setting="scheduler.memory_expiry",
    ),
    ParamSpec(
        "reply.stream_sentences",
        True,
        "Publish the reply sentence by sentence as the aggregator streams it (speech starts"
        " sooner); false: one message with the whole reply.",
        setting="turn.stream_sentences",
    ),
    ParamSpec(
        "reply.first_clause_min_words",
        6,
        "With stream_sentences, a first sentence's leading clause of at least this many"
        " words (up to a comma, semicolon or dash) is published before the sentence ends,"
        " so speech starts at the first pause. 0: whole sentences only.",
        0,
        100,
        setting="turn.first_clause_min_words",
    ),
    ParamSpec(
        "reply.first_clause_phrase_breaks",
        True,
        "That first clause may also end before a word that starts a new phrase (and, or,"
        " but, with, because, ...), once it has first_clause_min_words words: speech starts"
        " sooner on a long first sentence without a comma.",
        setting="turn.first_clause_phrase_breaks",
    ),
    ParamSpec(
        "reply.min_words",
        3,
        "An aggregate of fewer words is no answer: nothing of the reply is published"
        " before the aggregator has written this many words, and a shorter aggregate is"
        " asked for once more at temperature <= 0.3, then replaced by the best agent"
        " answer; a reply left shorter once a refused or cut-off sentence is dropped is"
        " followed by the best agent answer. 0: any length.",
        0,
        50,
        setting="turn.reply_min_words",
    ),
    ParamSpec(
        "reply.max_words",
        55,
        "A spoken reply ends with its last whole sentence within this many words (a small"
        " model's aggregate runs on into lists of advice); the rest is not asked for."
        " 0: any length.",
        0,
        1000,
        setting="turn.reply_max_words",
    ),
    ParamSpec(
        "progress.interval",
        0.1,
        "Each agent's answer so far goes out on insideout/dialogue/progress (TurnProgress"
        " agent_partial, for live views) at most this often [s].",
        0.0,
        10.0,
        setting="turn.progress_interval",
    ),
    ParamSpec(
        "reply.fallback",
        "Sorry, I could not think of an answer just now. Could you say that again?",
        "Reply spoken when all agents or the aggregator fail.",
        check=_non_empty,
        setting="turn.fallback_reply",
    ),
    ParamSpec(
        "max_utterance_chars",
        1000,
        "Longer utterances are cut to this many characters (with a warning).",
        10,
        100000,
    ),
    ParamSpec(
        "queue.max_pending",
        8,
        "Utterances and goals waiting behind the running turn; when full the oldest waiting"
        " one is dropped with an error and a failed DialogueTurn.",
        1,
        1000,
        setting="scheduler.max_pending",
    ),
    ParamSpec(
        "action.on_new_goal",
        "queue",
        "What a new Respond goal does to a running or waiting goal: queue behind it, or "
        "preempt it (aborted with ERROR_PREEMPTED).",
        choices=GOAL_POLICIES,
        setting="scheduler.goal_policy",
    ),
    ParamSpec(
        "action.publish_reply",
        True,
        "Also publish action goals' replies on /insideout/reply (for the TTS node).",
    ),
    ParamSpec(
        "local_llm.autostart",
        True,
        "Start the embedded llama.cpp server when an endpoint is local_llm.base_url and "
        "nothing listens there.",
    ),
    ParamSpec(
        "local_llm.base_url",
        DEFAULT_LOCAL_BASE_URL,
        "The embedded server's endpoint (loopback).",
        check=_check_url,
    ),
    ParamSpec(
        "local_llm.preset",
        DEFAULT_PRESET,
        "Embedded model: "
        + "; ".join(f"{p.name}: {p.title}, {p.note}" for p in PRESETS.values())
        + ".",
        choices=tuple(PRESETS),
    ),
    ParamSpec(
        "local_llm.model_path",
        "",
        "Any GGUF file for the embedded server instead of the preset's; empty: the preset.",
    ),
    ParamSpec(
        "local_llm.server_binary",
        DEFAULT_SERVER_BINARY,
        "llama.cpp's llama-server: a path, or a name looked up on PATH (set-up links it "
        "into the venv).",
    ),
    ParamSpec(
        "local_llm.parallel",
        0,
        "Embedded server slots decoding at once; 0: one per agent plus one for the "
        "aggregator (each slot keeps its own prompt cached).",
        0,
        64,
    ),
    ParamSpec(
        "local_llm.ctx_per_slot",
        2048,
        "Context length of each slot [tokens].",
        256,
        32768,
        setting="server.ctx_per_slot",
    ),
    ParamSpec(
        "local_llm.n_threads",
        2,
        "Embedded server compute threads.",
        1,
        64,
        setting="server.n_threads",
    ),
    ParamSpec(
        "local_llm.warm_prompts",
        True,
        "At start, send every agent's and the aggregator's system prompt once, so each "
        "slot has it cached and the first turn is not the slow one.",
    ),
    ParamSpec(
        "local_llm.startup_timeout",
        60.0,
        "How long to wait for the embedded server to answer [s].",
        1.0,
        600.0,
    ),
    DIAGNOSTICS_PERIOD,
    AUTOSTART,
]


def agent_specs(names: Sequence[str]) -> list[ParamSpec]:
    """agents.<name>.{base_url, model, api_key_env, temperature, max_tokens, timeout, prompt,
    paper_word} for every agent."""
    specs: list[ParamSpec] = []
    for name in names:
        p = f"agents.{name}."
        specs += [
            ParamSpec(
                p + "base_url",
                "",
                f"OpenAI-compatible base URL of the {name} agent's LLM; empty: llm.base_url.",
                check=_check_optional_url,
            ),
            ParamSpec(p + "model", DEFAULT_MODEL, f"Model of the {name} agent; empty: llm.model."),
            ParamSpec(
                p + "api_key_env",
                "",
                f"Name of the environment variable holding the {name} agent's API key;"
                " empty: none.",
                check=_check_env_name,
            ),
            ParamSpec(
                p + "temperature", 0.7, f"Sampling temperature of the {name} agent.", 0.0, 2.0
            ),
            ParamSpec(p + "max_tokens", 40, f"Answer limit of the {name} agent [tokens].", 1, 4096),
            ParamSpec(
                p + "timeout", 30.0, f"Whole-request timeout of the {name} agent [s].", 0.1, 600.0
            ),
            ParamSpec(
                p + "prompt",
                default_agent_prompt(name),
                f"Persona system prompt of the {name} agent (improved style).",
                check=_non_empty,
                prompt=True,
            ),
            ParamSpec(
                p + "paper_word",
                default_paper_word(name),
                f"Paper style: the word for the {name} agent in the agent template.",
                check=_non_empty,
                prompt=True,
            ),
        ]
    return specs


def default_mapping_row(label: str, names: Sequence[str]) -> list[str]:
    """The default row, or equal weights when the agent set differs from the default."""
    row = DEFAULT_EMOTION_TO_AGENT[label]
    if all(entry.split(":")[0] in names for entry in row):
        return list(row)
    return [f"{name}:1.0" for name in names]


def mapping_specs(names: Sequence[str]) -> list[ParamSpec]:
    """emotion_to_agent.<label>: ["agent:weight", ...] for every canonical label."""
    return [
        ParamSpec(
            f"emotion_to_agent.{label}",
            default_mapping_row(label, names),
            f"Agent weights when the user shows {label}, as 'agent:weight' entries; the"
            " turn's weights are the emotion-score-weighted sum, normalised.",
            check=lambda row, names=list(names): check_mapping_row(row, names),
        )
        for label in LABELS
    ]


def all_specs(names: Sequence[str]) -> dict[str, ParamSpec]:
    return {spec.name: spec for spec in BASE_SPECS + agent_specs(names) + mapping_specs(names)}
