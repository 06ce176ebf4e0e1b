"""Chat completions against OpenAI-compatible servers (AsyncOpenAI), with a whole-request timeout.

Every failure becomes one `LlmCallError` with a short kind ("timeout", "connection", "http",
"malformed", "empty", "incomplete") and a message that never contains an API key. A stream that
ends without a finish reason is "incomplete": a server that dies mid-answer closes the connection,
which ends an event stream as quietly as a whole answer does. Cancelling the awaiting task closes
the HTTP connection, so the server stops working on it.

No request carries the openai package's x-stainless-* headers (the machine's OS, CPU
architecture, Python and package versions): an endpoint needs none of it.
"""

import asyncio
from collections.abc import Callable, Iterable

import httpx2  # the HTTP library the openai package is built on
import openai
from openai import AsyncOpenAI

from insideout_dialogue.core.agent_config import EndpointConfig, redact, resolve_api_key

# Called with every streamed piece of text as it arrives.
DeltaCallback = Callable[[str], None]


class LlmCallError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


async def _without_self_description(request: httpx2.Request) -> None:
    """An httpx request hook: every x-stainless-* header removed, whichever the package adds."""
    for name in [name for name in request.headers if name.lower().startswith("x-stainless-")]:
        del request.headers[name]


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "..."


class LlmClient:
    """One AsyncOpenAI client per (base URL, key variable), reused across turns."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._clients: dict[tuple[str, str], AsyncOpenAI] = {}
        self._secrets = [s for s in secrets if s]

    def _client(self, endpoint: EndpointConfig) -> AsyncOpenAI:
        key = (endpoint.base_url, endpoint.api_key_env)
        if key not in self._clients:
            # No retries: a retry would silently double the time a failing agent takes; the
            # panel goes on without it instead.
            # Idle connections are dropped after 2 s, before servers drop them (llama-server
            # after 5 s, httpx's own default): reusing one the server is closing at that moment
            # failed a turn with "Server disconnected without sending a response".
            self._clients[key] = AsyncOpenAI(
                api_key=resolve_api_key(endpoint.api_key_env),
                base_url=endpoint.base_url,
                max_retries=0,
                timeout=endpoint.timeout,
                http_client=openai.DefaultAsyncHttpxClient(
                    limits=httpx2.Limits(
                        max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0
                    ),
                    event_hooks={"request": [_without_self_description]},
                ),
            )
        return self._clients[key]

    async def chat(
        self,
        endpoint: EndpointConfig,
        messages: list[dict[str, str]],
        on_delta: DeltaCallback | None = None,
    ) -> str:
        """The answer's text; streams (calling `on_delta` per piece) when `on_delta` is given."""
        try:
            async with asyncio.timeout(endpoint.timeout):
                text = await self._call_once_more_if_dropped(endpoint, messages, on_delta)
        except LlmCallError:
            raise
        except (TimeoutError, openai.APITimeoutError):
            raise LlmCallError(
                "timeout",
                f"no complete answer from {endpoint.base_url} within {endpoint.timeout:g} s",
            ) from None
        except openai.APIConnectionError as error:
            cause = error.__cause__ or error
            raise LlmCallError(
                "connection",
                redact(f"cannot reach {endpoint.base_url}: {_short(cause)}", self._secrets),
            ) from None
        except openai.APIStatusError as error:
            raise LlmCallError(
                "http",
                redact(
                    f"HTTP {error.status_code} from {endpoint.base_url}: {_short(error.message)}",
                    self._secrets,
                ),
            ) from None
        except (
            openai.OpenAIError,
            ValueError,
            KeyError,
            IndexError,
            TypeError,
            AttributeError,
        ) as error:
            # A 200 answer that is not the JSON (or event stream) the API defines.
            raise LlmCallError(
                "malformed",
                redact(
                    f"malformed answer from {endpoint.base_url}: {type(error).__name__}: "
                    f"{_short(error)}",
                    self._secrets,
                ),
            ) from None
        if not text.strip():
            raise LlmCallError("empty", f"empty answer from {endpoint.base_url}")
        return text.strip()

    async def _call_once_more_if_dropped(self, endpoint, messages, on_delta) -> str:
        """One call; repeated once when the connection dropped before any answer came (a pooled
        connection the server had just closed): nothing was answered, so nothing is repeated."""
        received = []

        def counting(piece: str) -> None:
            received.append(piece)
            on_delta(piece)

        for attempt in (1, 2):
            try:
                if on_delta is None:
                    return await self._complete(endpoint, messages)
                return await self._stream(endpoint, messages, counting)
            except openai.APIConnectionError as error:
                dropped = isinstance(error.__cause__, httpx2.RemoteProtocolError)
                if (
                    attempt == 2
                    or received
                    or not dropped
                    or isinstance(error, openai.APITimeoutError)
                ):
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _extra_body(endpoint: EndpointConfig) -> dict[str, int] | None:
        """llama-server's own fields, for the embedded server only (a pinned slot)."""
        if endpoint.server_slot < 0:
            return None
        body = {"id_slot": endpoint.server_slot}
        if endpoint.ignore_eos:
            body["ignore_eos"] = True
        return body

    async def _complete(self, endpoint: EndpointConfig, messages) -> str:
        response = await self._client(endpoint).chat.completions.create(
            model=endpoint.model,
            messages=messages,
            temperature=endpoint.temperature,
            max_tokens=endpoint.max_tokens,
            extra_body=self._extra_body(endpoint),
        )
        if isinstance(response, str) or not getattr(response, "choices", None):
            raise LlmCallError(
                "malformed", f"malformed answer from {endpoint.base_url}: no choices"
            )
        return response.choices[0].message.content or ""

    async def _stream(self, endpoint: EndpointConfig, messages, on_delta: DeltaCallback) -> str:
        stream = await self._client(endpoint).chat.completions.create(
            model=endpoint.model,
            messages=messages,
            temperature=endpoint.temperature,
            max_tokens=endpoint.max_tokens,
            stream=True,
            extra_body=self._extra_body(endpoint),
        )
        pieces = []
        finish_reason = None
        try:
            async for chunk in stream:
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                piece = (choice.delta.content if choice.delta else None) or ""
                if piece:
                    pieces.append(piece)
                    on_delta(piece)
                finish_reason = finish_reason or choice.finish_reason
        finally:
            await stream.close()
        if not finish_reason:
            received = sum(len(piece) for piece in pieces)
            raise LlmCallError(
                "incomplete",
                f"the answer from {endpoint.base_url} stopped after "
                f"{received} characters without a finish reason",
            )
        return "".join(pieces)

    async def prefill(self, endpoint: EndpointConfig, messages: list[dict[str, str]]) -> str:
        """Have a llama-server process `messages` into the endpoint's slot and generate nothing
        (max_tokens 0), so a later request starting with them only processes the rest. Returns
        a problem, or "" (it is only a head start: the caller goes on either way)."""
        try:
            async with asyncio.timeout(endpoint.timeout):
                await self._client(endpoint).chat.completions.create(
                    model=endpoint.model,
                    messages=messages,
                    max_tokens=0,
                    extra_body=self._extra_body(endpoint),
                )
        except (TimeoutError, openai.OpenAIError, ValueError) as error:
            return redact(_short(f"{type(error).__name__}: {error}"), self._secrets)
        return ""

    async def warm_up(
        self, endpoints: Iterable[EndpointConfig], timeout: float = 5.0
    ) -> dict[str, str]:
        """Create the clients, build the response models and ask each server for its models
        now: the openai package and its HTTP stack do all this lazily, which would add ~100 ms
        to the first turn. Returns {base_url: problem} for servers that did not answer."""
        from openai.types.chat import ChatCompletion, ChatCompletionChunk

        message = {"role": "assistant", "content": "warm"}
        ChatCompletion.model_validate(
            {
                "id": "warm",
                "object": "chat.completion",
                "created": 0,
                "model": "warm",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            }
        )
        ChatCompletionChunk.model_validate(
            {
                "id": "warm",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": "warm",
                "choices": [{"index": 0, "delta": message, "finish_reason": None}],
            }
        )
        problems: dict[str, str] = {}
        for endpoint in {(e.base_url, e.api_key_env): e for e in endpoints}.values():
            client = self._client(endpoint)
            _ = client.chat.completions
            try:
                async with asyncio.timeout(timeout):
                    await client.models.list()
            except (TimeoutError, openai.OpenAIError, ValueError) as error:
                # Only a hint: some servers have no /models, and an agent may come up later.
                problems[endpoint.base_url] = redact(
                    _short(f"{type(error).__name__}: {error}"), self._secrets
                )
        return problems

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
