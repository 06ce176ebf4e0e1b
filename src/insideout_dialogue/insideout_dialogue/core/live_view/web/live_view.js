// InsideOut live view: applies the events web_view_node sends over /ws (see page_events.py) and
// sends the controls back (page_commands.py). Plain JavaScript, no build step, nothing external.
"use strict";

const COLOURS = {
  happiness: "#2e9e44", sadness: "#2f6fd0", fear: "#8a3fc6", anger: "#d33b2c",
  contempt: "#8c6d3f", disgust: "#7d8f23", neutral: "#777777", surprise: "#1aa3b8",
};
const SENTENCE_END = /(?<=[.!?\u2026]["')\]]*)\s+/;
// No camera frame for this long (a bag ended, the camera stopped): the last one is dimmed and
// marked, so an old face box is not taken for the present.
const CAMERA_STALE_MS = 2000;

const view = {
  ws: null, retryDelay: 500, cameraAvailable: true, chartSeconds: 30, historyTurns: 20,
  emotion: null, chart: [], turn: null, turnDone: false, sentences: [], replyText: "", spoken: "",
  frameHeader: null, drawing: false,
  // For tests, the demo and the benchmark: when each DialogueTurn became visible (epoch ms),
  // how many streaming updates each agent's card got, how many camera frames were drawn.
  // The turn states shown, in order.
  turnsShown: [], streamed: {}, framesShown: 0, labelsSeen: {}, highlighted: [], turnStates: [],
  cameraWaitSince: 0,  // epoch ms of the last frame drawn, or of the panel being switched on
};
window.insideoutLive = view;

const $ = (id) => document.getElementById(id);
const colour = (name) => COLOURS[name] || COLOURS.neutral;

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

// --- connection -------------------------------------------------------------------------------
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  const ws = new WebSocket(`${proto}://${location.host}/ws${location.search}`);
  ws.binaryType = "arraybuffer";
  view.ws = ws;
  ws.onopen = () => {
    view.retryDelay = 500;
    setConnection(true);
    sendCamera();
  };
  ws.onmessage = (message) => {
    if (typeof message.data === "string") apply(JSON.parse(message.data));
    else showFrame(message.data);
  };
  ws.onclose = () => {
    setConnection(false);
    setTimeout(connect, view.retryDelay);
    view.retryDelay = Math.min(view.retryDelay * 2, 5000);
  };
}

function setConnection(ok) {
  const node = $("connection");
  node.textContent = ok ? "connected" : "disconnected, reconnecting…";
  node.classList.toggle("ok", ok);
  document.body.dataset.connected = ok ? "yes" : "no";
}

function send(command) {
  if (view.ws && view.ws.readyState === WebSocket.OPEN) view.ws.send(JSON.stringify(command));
}

function sendCamera() {
  const on = view.cameraAvailable && $("camera-toggle").checked;
  $("camera-toggle").disabled = !view.cameraAvailable;
  document.querySelector(".camera-box").classList.toggle("off", !on);
  if (on) view.cameraWaitSince = Date.now();
  send({ type: "camera", on });
}

function markStaleCamera() {
  const age = Date.now() - view.cameraWaitSince;
  const stale = age > CAMERA_STALE_MS;
  document.querySelector(".camera-box").classList.toggle("stale", stale);
  if (stale) {
    const seconds = Math.round(age / 1000);
    $("camera-stale").textContent = view.framesShown
      ? `no new camera frame for ${seconds} s: the last one is shown`
      : `no camera frame for ${seconds} s`;
  }
}

// --- events -----------------------------------------------------------------------------------
function apply(event) {
  switch (event.type) {
    case "hello": return hello(event);
    case "emotion": return showEmotion(event);
    case "emotion_history": view.chart = event.points.slice(); return;
    case "transcript": return showTranscript(event);
    case "turn_state": return showTurnState(event.state);
    case "user_speaking": return $("user-speaking").classList.toggle("on", event.on);
    case "robot_speaking":
      $("robot-speaking").classList.toggle("on", event.on);
      if (!event.on) highlightSpoken("");
      return;
    case "spoken": return highlightSpoken(event.text);
    case "progress": return showProgress(event);
    case "turn": return showTurn(event);
    case "interrupted": return markInterrupted(event);
    case "notice": $("notice").textContent = event.text; return;
    default: return;  // a newer server's event: nothing to show
  }
}

function hello(event) {
  // A (re)connection: the server replays its state next, so start from a blank page.
  view.cameraAvailable = event.camera_available;
  view.chartSeconds = event.chart_seconds;
  view.historyTurns = event.history_turns;
  $("chart-seconds").textContent = String(event.chart_seconds);
  view.turn = null;
  view.turnDone = false;
  view.chart = [];
  $("history").replaceChildren();
  $("agents").replaceChildren();
  setReply("");
  sendCamera();
  if (!view.cameraAvailable) $("camera-off").textContent = "camera panel off (camera.enabled false)";
}

function showTurnState(state) {
  const node = $("turn-state");
  node.textContent = state;
  node.className = `turn-state state-${state.replaceAll(" ", "-")}`;
  document.body.dataset.turnState = state;
  view.turnStates.push(state);
}

// --- perception -------------------------------------------------------------------------------
function showEmotion(event) {
  view.emotion = event;
  if (event.face) view.labelsSeen[event.dominant] = (view.labelsSeen[event.dominant] || 0) + 1;
  view.chart.push({ t: event.t, scores: event.scores, labels: event.labels });
  const bars = $("emotion-bars");
  if (bars.childElementCount !== event.labels.length * 3) {
    bars.replaceChildren();
    for (const label of event.labels) {
      bars.append(el("span", "", label));
      const bar = el("div", "bar");
      const fill = el("div");
      fill.style.background = colour(label);
      bar.append(fill);
      bars.append(bar, el("span", "bar-value", ""));
    }
  }
  event.scores.forEach((score, i) => {
    bars.children[i * 3 + 1].firstChild.style.width = `${(score * 100).toFixed(1)}%`;
    bars.children[i * 3 + 2].textContent = score.toFixed(2);
  });
  $("emotion-model").textContent = event.model;
  const label = $("face-label");
  label.textContent = event.face
    ? `track ${event.track}${event.face_id ? " (" + event.face_id + ")" : ""}: ${event.dominant} ${event.confidence.toFixed(2)}`
    : "no face";
  label.style.color = event.face ? colour(event.dominant) : "";
  drawCircumplex();
}

function drawCircumplex() {
  const canvas = $("circumplex");
  const g = canvas.getContext("2d");
  const size = canvas.width, mid = size / 2, radius = mid - 14;
  g.clearRect(0, 0, size, size);
  g.strokeStyle = "#ccd";
  g.beginPath(); g.arc(mid, mid, radius, 0, 2 * Math.PI); g.stroke();
  g.beginPath(); g.moveTo(mid - radius, mid); g.lineTo(mid + radius, mid);
  g.moveTo(mid, mid - radius); g.lineTo(mid, mid + radius); g.stroke();
  g.fillStyle = "#889"; g.font = "10px sans-serif"; g.textAlign = "center";
  g.fillText("aroused", mid, 10); g.fillText("calm", mid, size - 2);
  g.textAlign = "left"; g.fillText("−", 2, mid - 3);
  g.textAlign = "right"; g.fillText("+", size - 2, mid - 3);
  const e = view.emotion;
  if (!e || !e.face) return;
  g.fillStyle = colour(e.dominant);
  g.beginPath();
  g.arc(mid + e.valence * radius, mid - e.arousal * radius, 6, 0, 2 * Math.PI);
  g.fill();
}

function drawChart() {
  const canvas = $("strip-chart");
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#e3e5e8";
  for (let s = 0; s <= view.chartSeconds; s += 10) {
    const x = w - (s / view.chartSeconds) * w;
    g.beginPath(); g.moveTo(x, 0); g.lineTo(x, h); g.stroke();
  }
  const now = Date.now() / 1000;
  view.chart = view.chart.filter((p) => p.t >= now - view.chartSeconds - 1);
  if (view.chart.length < 2) return;
  const labels = view.chart[view.chart.length - 1].labels;
  labels.forEach((label, i) => {
    g.strokeStyle = colour(label);
    g.lineWidth = 1.5;
    g.beginPath();
    view.chart.forEach((p, k) => {
      const x = w - ((now - p.t) / view.chartSeconds) * w, y = h - 2 - p.scores[i] * (h - 4);
      if (k === 0) g.moveTo(x, y); else g.lineTo(x, y);
    });
    g.stroke();
  });
}

async function showFrame(buffer) {
  if (view.drawing) return;  // still drawing the last one: this frame is skipped
  view.drawing = true;
  try {
    const length = new DataView(buffer).getUint32(0);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
    const image = await createImageBitmap(new Blob([new Uint8Array(buffer, 4 + length)], { type: "image/jpeg" }));
    const canvas = $("camera");
    if (canvas.width !== header.w || canvas.height !== header.h) {
      canvas.width = header.w; canvas.height = header.h;
    }
    const g = canvas.getContext("2d");
    g.drawImage(image, 0, 0);
    image.close();
    view.framesShown += 1;
    view.cameraWaitSince = Date.now();
    const e = view.emotion;
    if (e && e.face && e.box[2] > 0) {
      const scale = header.w / header.src_w;
      const [x, y, bw, bh] = e.box.map((v) => v * scale);
      g.strokeStyle = colour(e.dominant);
      g.lineWidth = 2;
      g.strokeRect(x, y, bw, bh);
      g.fillStyle = colour(e.dominant);
      g.font = "bold 13px sans-serif";
      g.fillText(`#${e.track} ${e.dominant}`, x, Math.max(12, y - 4));
    }
  } catch (error) {
    // An undecodable frame: the next one replaces it.
  } finally {
    view.drawing = false;
  }
}

function showTranscript(event) {
  if (event.final) {
    $("transcript-final").textContent = event.text;
    $("transcript-partial").textContent = "";
  } else {
    $("transcript-partial").textContent = event.text;
  }
}

// --- dialogue ---------------------------------------------------------------------------------
function agentCard(name) {
  let card = document.querySelector(`.agent[data-agent="${CSS.escape(name)}"]`);
  if (card) return card;
  card = el("div", "agent");
  card.dataset.agent = name;
  card.style.borderLeftColor = colour(name);
  const head = el("div", "agent-head");
  head.style.color = colour(name);
  head.append(el("span", "", name), el("span", "agent-weight-value", ""));
  const weight = el("div", "agent-weight");
  const fill = el("div");
  fill.style.background = colour(name);
  weight.append(fill);
  card.append(head, weight, el("div", "agent-text", ""));
  $("agents").append(card);
  return card;
}

function setAgent(name, text, state, weight) {
  const card = agentCard(name);
  card.classList.toggle("streaming", state === "streaming");
  card.classList.toggle("failed", state === "failed");
  card.dataset.state = state;
  if (text !== null) card.querySelector(".agent-text").textContent = text;
  if (weight !== undefined) {
    card.querySelector(".agent-weight-value").textContent = `weight ${weight.toFixed(2)}`;
    card.querySelector(".agent-weight > div").style.width = `${(weight * 100).toFixed(0)}%`;
  }
}

function startTurn(event) {
  view.turn = event.turn;
  view.turnDone = false;
  $("agents").replaceChildren();
  setReply("");
  $("reply-source").textContent = "";
  $("reply-emotion").textContent = "";
}

function showProgress(event) {
  if (event.turn !== view.turn) startTurn(event);
  $("turn-status").textContent = `turn ${event.turn}: ${event.stage.replace("_", " ")}, ${event.elapsed.toFixed(1)} s`;
  event.agents.forEach((name, i) => {
    const card = agentCard(name);
    if (!card.dataset.state) setAgent(name, "", "waiting", event.weights[i]);
    else setAgent(name, null, card.dataset.state, event.weights[i]);
  });
  if (event.stage === "agent_partial") {
    setAgent(event.agent, event.text, "streaming");
    view.streamed[event.agent] = (view.streamed[event.agent] || 0) + 1;
  }
  else if (event.stage === "agent_done") setAgent(event.agent, event.text || "(no answer)", event.text ? "done" : "failed");
  else if (event.stage === "reply_partial") setReply(event.text, true);
}

function splitSentences(text) {
  return text.trim() ? text.trim().split(SENTENCE_END) : [];
}

function setReply(text, streaming) {
  view.replyText = text;
  view.sentences = splitSentences(text);
  const reply = $("reply");
  reply.replaceChildren(...view.sentences.map((s) => el("span", "sentence", s + " ")));
  reply.classList.toggle("streaming", !!streaming);
  highlightSpoken(view.spoken);
}

function highlightSpoken(text) {
  view.spoken = text;
  const spoken = text.trim();
  for (const span of $("reply").children) {
    const sentence = span.textContent.trim();
    const speaking = !!spoken && (sentence === spoken || spoken.includes(sentence) || sentence.includes(spoken));
    if (speaking && !span.classList.contains("speaking")) view.highlighted.push(sentence);
    span.classList.toggle("speaking", speaking);
  }
}

function showTurn(event) {
  if (event.turn !== view.turn) startTurn(event);
  view.turnDone = true;
  event.agents.forEach((a, i) => setAgent(a.agent, a.ok ? a.text : `(failed: ${a.error})`, a.ok ? "done" : "failed", event.weights[i]));
  if (event.interrupted) showCutReply(event.reply, event.reply_spoken);
  else setReply(event.reply);
  $("reply-emotion").textContent = `(user emotion: ${event.emotion})`;
  const source = event.success || event.interrupted ? `from ${event.reply_source}` : `failed: ${event.error}`;
  $("reply-source").textContent = event.interrupted ? `${source}, interrupted` : source;
  $("turn-status").textContent = `turn ${event.turn}: done in ${event.timings.total.toFixed(2)} s`;
  showTimings(event);
  const item = el("li", event.success || event.interrupted ? "" : "failed");
  item.dataset.turn = String(event.turn);
  item.dataset.reply = event.reply;
  item.append(el("span", "user", event.user_text), document.createTextNode(` (${event.emotion}) → `),
              el("span", "said", event.reply));
  if (event.interrupted) markHistoryCut(item, event.reply_spoken);
  $("history").prepend(item);
  while ($("history").childElementCount > view.historyTurns) $("history").lastChild.remove();
  // Noted at the next frame's rendering step, when the update is painted; a page in the
  // background renders no frames, so after 100 ms it is noted anyway.
  let noted = false;
  const note = () => {
    if (noted) return;
    noted = true;
    view.turnsShown.push({ turn: event.turn, stamp: event.stamp, shownAt: performance.timeOrigin + performance.now() });
    document.body.dataset.lastTurn = String(event.turn);
  };
  requestAnimationFrame(note);
  setTimeout(note, 100);
}

// What of a reply was heard when a cut (an "interrupted" event) stopped it: its text before the
// cut sentence, then that sentence's heard words; null if the cut is not in it. The same rule as
// live_state.py's heard_of_turn, which marks the turns a page gets when it connects.
function heardOf(reply, cut) {
  const at = cut.reply ? reply.indexOf(cut.reply) : -1;
  if (at < 0) return null;
  return [reply.slice(0, at).trim(), cut.heard.trim()].filter(Boolean).join(" ");
}

function markInterrupted(cut) {
  // Replies are spoken in turn order: the cut is in the running turn's reply (its DialogueTurn
  // will come marked) or else in the newest finished turn's.
  if (!view.turnDone && heardOf(view.replyText, cut) !== null) {
    showCutReply(view.replyText, heardOf(view.replyText, cut));
    return;
  }
  const item = $("history").firstElementChild;
  if (!item || item.dataset.interrupted) return;
  const heard = heardOf(item.dataset.reply, cut);
  if (heard === null) return;
  markHistoryCut(item, heard);
  if (view.turnDone && item.dataset.turn === String(view.turn)) {
    showCutReply(item.dataset.reply, heard);
    $("reply-source").textContent += ", interrupted";
  }
}

function cutNodes(reply, heard) {
  const squash = (text) => text.replace(/\s+/g, " ").trim();
  const [all, said] = [squash(reply), squash(heard)];
  const rest = all.startsWith(said) ? all.slice(said.length).trim() : "";
  const nodes = said ? [el("span", "heard", said), " "] : [];
  nodes.push(el("span", "interrupted-mark", "(interrupted)"));
  if (rest) nodes.push(" ", el("span", "unheard", rest));
  return nodes;
}

function showCutReply(reply, heard) {
  view.replyText = reply;
  view.sentences = [];
  view.spoken = "";
  $("reply").classList.remove("streaming");
  $("reply").replaceChildren(...cutNodes(reply, heard));
}

function markHistoryCut(item, heard) {
  item.dataset.interrupted = "yes";
  item.querySelector(".said").replaceChildren(...cutNodes(item.dataset.reply, heard));
}

function showTimings(event) {
  const seconds = (v) => (v >= 0 ? `${v.toFixed(2)} s` : "–");
  const rows = [
    ["agents done", event.timings.agents], ["aggregator first token", event.timings.aggregator_first_token],
    ["first sentence published", event.timings.first_sentence], ["whole reply", event.timings.total],
  ];
  const table = $("timings");
  table.replaceChildren();
  for (const [name, value] of rows) {
    const row = el("tr");
    row.append(el("td", "", name), el("td", "", seconds(value)));
    table.append(row);
  }
  for (const a of event.agents) {
    const row = el("tr");
    row.append(el("td", "", `${a.agent}: first token / done`), el("td", "", `${seconds(a.first_token)} / ${seconds(a.latency)}`));
    row.firstChild.style.color = colour(a.agent);
    table.append(row);
  }
}

// --- controls ---------------------------------------------------------------------------------
function setUpControls() {
  $("say-form").addEventListener("submit", (submit) => {
    submit.preventDefault();
    const text = $("say-text").value.trim();
    if (text) send({ type: "say", text });
    $("say-text").value = "";
  });
  $("stop-speaking").addEventListener("click", () => send({ type: "stop_speaking" }));
  $("reset-memory").addEventListener("click", () => send({ type: "reset_memory" }));
  $("camera-toggle").addEventListener("change", sendCamera);
}

setUpControls();
drawCircumplex();
setInterval(drawChart, 250);
setInterval(markStaleCamera, 250);
connect();
