"""Where and how each LLM is called: one endpoint per agent (and one for the aggregator)."""

import os
from collections.abc import Iterable
from dataclasses import dataclass

# What AsyncOpenAI sends when no key variable is configured or set: local servers (llama.cpp,
# vLLM, Ollama) accept any key, and the client refuses to start without one.
NO_KEY_PLACEHOLDER = "sk-no-key-required"
# The paper's four emotional agents, in its order: the one place the default list is written.
DEFAULT_AGENTS = ("happiness", "sadness", "fear", "anger")


@dataclass(frozen=True)
class EndpointConfig:
    """One OpenAI-compatible chat endpoint and the sampling settings used with it."""

    base_url: str
    model: str
    # Name of the environment variable holding the API key (never the key itself).
    api_key_env: str = ""
    temperature: float = 0.7
    max_tokens: int = 96
    # Whole-request limit [s]: connect, wait and (for streams) every token until the last.
    timeout: float = 30.0
    # llama-server slot (its `id_slot`) every request goes to; -1: the server chooses. Set for
    # the embedded server only: one slot per agent and one for the aggregator keep each one's
    # prompt cached, and let the aggregator's prompt be processed ahead (aggregator_prefill).
    server_slot: int = -1
    # llama-server only (with server_slot): write on past the model's end-of-text token, for an
    # agent the sentence budget stops. Otherwise a small model often ends after "Oh no, sorry.",
    # a thought with nothing in it to blend (7 of 256 answers; 0 with this: leading_voice.md).
    ignore_eos: bool = False


@dataclass(frozen=True)
class AgentConfig:
    """One emotion agent: its name (e.g. "sadness"), endpoint and persona prompt."""

    name: str
    endpoint: EndpointConfig
    # System prompt for the improved prompt style.
    prompt: str
    # The word the seed's paper-style template puts in "What is the {emotion} ..." (e.g. "sad").
    paper_word: str


def resolve_api_key(env_name: str) -> str:
    """The key from the named environment variable, or a placeholder for key-less servers."""
    if env_name:
        value = os.environ.get(env_name, "")
        if value:
            return value
    return NO_KEY_PLACEHOLDER


def secret_values(env_names: Iterable[str]) -> list[str]:
    """Every configured key's value, to scrub them from any text that leaves the node."""
    values = []
    for name in set(env_names):
        value = os.environ.get(name, "") if name else ""
        if value and value != NO_KEY_PLACEHOLDER:
            values.append(value)
    return values


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in `text` (error bodies may echo request headers)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
