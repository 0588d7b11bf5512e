// Eventflow dashboard: metrics pushed over SSE (/api/metrics/stream), polling /api/metrics as the fallback,
// charts from /api/metrics/series (uPlot, served from its WebJar), a traffic simulator, event lookup and the newest
// dead letters (/api/deadletters). The topics are not written here: the cards, selectors and chart series are built from
// the topics /api/metrics describes.
const PALETTE = ['#1a5fb4', '#c64600', '#26a269', '#813d9c', '#986a44'];
const STALE_AFTER_REFRESHES = 3;

const $ = (selector) => document.querySelector(selector);
const number = new Intl.NumberFormat();

let refreshMs = 5000;
let lastDataAt = 0;
let lastStreamAt = 0;
let streamOpen = false;
let problemText = null;
let charts = null;
let topics = [];  // from the first metrics, in pipeline order: {name, label, eventType, ingested, feeds, color, ...}

// ---- HTTP ----------------------------------------------------------------------------------------------

class ApiProblem extends Error {
  constructor(problem) {
    super(`${problem.title}${problem.detail ? ': ' + problem.detail : ''}`);
    this.problem = problem;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, { cache: 'no-store', ...options, headers: { Accept: 'application/json', ...options.headers } });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiProblem(body && body.title ? body : { title: `HTTP ${response.status}`, status: response.status });
  }
  return body;
}

// ---- Connection state ------------------------------------------------------------------------------------

function setStatus() {
  const status = $('#status');
  const stale = Date.now() - lastDataAt > refreshMs * STALE_AFTER_REFRESHES;
  let state;
  let text;
  if (problemText || (lastDataAt && stale)) {
    state = 'down';
    text = problemText ? 'API unreachable' : 'No fresh data';
  } else if (streamOpen && Date.now() - lastStreamAt < refreshMs) {
    state = 'live';
    text = 'Live (streaming)';
  } else if (lastDataAt) {
    state = 'polling';
    text = `Polling every ${refreshMs / 1000} s`;
  } else {
    state = 'connecting';
    text = 'Connecting…';
  }
  status.dataset.state = state;
  status.textContent = text;

  const banner = $('#banner');
  if (state === 'down') {
    const since = lastDataAt ? `Showing data from ${new Date(lastDataAt).toLocaleTimeString([], { hour12: false })}` : 'No data yet';
    banner.textContent = `${problemText || 'The API sent no data for a while'}. ${since}; retrying every ${refreshMs / 1000} s.`;
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
  $('#content').classList.toggle('stale', state === 'down');
  $('#age').textContent = lastDataAt ? `(${Math.max(0, Math.round((Date.now() - lastDataAt) / 1000))} s ago)` : '';
}

function reachable() {
  problemText = null;
}

function unreachable(error) {
  problemText = error instanceof ApiProblem
    ? `The API answered ${error.problem.status || ''} ${error.message}`.replace('  ', ' ')
    : 'The API is unreachable';
}

// ---- Metrics ------------------------------------------------------------------------------------------------

function ms(value) {
  return value === null || value === undefined ? '–' : `${number.format(value)} ms`;
}

function node(tag, text, id) {
  const created = document.createElement(tag);
  if (text !== undefined) {
    created.textContent = text;
  }
  if (id) {
    created.id = id;
  }
  return created;
}

function option(value, text) {
  const created = node('option', text);
  created.value = value;
  return created;
}

function card(topic) {
  const article = node('article', undefined, `card-${topic.name}`);
  article.className = 'card';
  const title = node('h3', `${topic.name} `);
  title.append(node('small', topic.label));
  const figures = node('dl');
  for (const [key, name] of [['count', 'Processed'], ['avg', 'Avg latency'], ['p95', 'p95 latency'], ['rate', 'Rate']]) {
    const figure = node('div');
    figure.append(node('dt', name), node('dd', '–', `${key}-${topic.name}`));
    figures.append(figure);
  }
  article.append(title, figures);
  return article;
}

// The topics an event of this one goes through: topic2's active events go on to topic3.
function path(topic) {
  return [topic.name, ...topic.feeds.flatMap((next) => path(topics.find((t) => t.name === next)))];
}

// Built once, from the first answer: the topics do not change while the application runs.
function layout(metrics) {
  if (topics.length) {
    return;
  }
  topics = Object.entries(metrics.topics).map(([name, topic], i) => ({ ...topic, name, color: PALETTE[i % PALETTE.length] }));
  $('#cards').replaceChildren(...topics.map(card));
  $('#simulator select[name=eventType]').replaceChildren(...topics.filter((topic) => topic.ingested)
    .map((topic) => option(topic.eventType, `${topic.eventType.replace(/Event$/, '')} (${path(topic).join(' → ')})`)));
  $('#recent-topic').replaceChildren(...topics.map((topic) => option(topic.name, topic.name)));
  // The end of the pipeline: its events went through every stage.
  $('#recent-topic').value = topics[topics.length - 1].name;
}

function renderMetrics(metrics) {
  refreshMs = metrics.refreshIntervalMs || refreshMs;
  layout(metrics);
  for (const { name } of topics) {
    const stats = metrics.topics[name];
    $(`#count-${name}`).textContent = number.format(stats.count);
    $(`#avg-${name}`).textContent = ms(stats.avgMs);
    $(`#p95-${name}`).textContent = ms(stats.p95Ms);
    $(`#rate-${name}`).textContent = `${number.format(stats.ratePerSec)}/s`;
  }
  $('#window-note').textContent =
    `latency over the last ${metrics.windowSeconds / 60} min, rate over the last ${metrics.rateWindowSeconds} s`;

  const rows = Object.entries(metrics.queues).map(([name, queue]) => {
    const row = document.createElement('tr');
    row.dataset.queue = name;
    const waiting = queue.deadLetter && queue.messages > 0;
    row.classList.toggle('alert', waiting);
    const note = queue.error ? queue.error : waiting ? 'dead-lettered messages waiting' : queue.deadLetter ? 'dead-letter queue' : '';
    row.append(cell(name), cell(queue.messages ?? '–', 'num'), cell(queue.consumers ?? '–', 'num'), cell(note));
    return row;
  });
  $('#queues tbody').replaceChildren(...rows);

  lastDataAt = Date.now();
  $('#updated').textContent = new Date(metrics.generatedAt).toLocaleTimeString([], { hour12: false });
  $('#updated').dateTime = metrics.generatedAt;
}

function cell(text, className) {
  const td = document.createElement('td');
  td.textContent = typeof text === 'number' ? number.format(text) : text;
  if (className) {
    td.className = className;
  }
  return td;
}

function openStream() {
  if (!('EventSource' in window)) {
    return;
  }
  const stream = new EventSource('/api/metrics/stream');
  stream.onopen = () => { streamOpen = true; };
  stream.onerror = () => { streamOpen = false; setStatus(); };  // EventSource reconnects by itself
  stream.addEventListener('metrics', (event) => {
    streamOpen = true;
    lastStreamAt = Date.now();
    reachable();
    renderMetrics(JSON.parse(event.data));
    setStatus();
  });
  stream.addEventListener('problem', (event) => {
    unreachable(new ApiProblem(JSON.parse(event.data)));
    setStatus();
  });
}

// ---- Charts ---------------------------------------------------------------------------------------------------

function chart(element, title, unit, points) {
  return new uPlot({
    title,
    width: element.clientWidth || 320,
    height: 230,
    scales: { x: { time: true } },
    series: [{}, ...topics.map((topic) => ({ label: topic.name, stroke: topic.color, width: 2, spanGaps: points, points: { show: points, size: 5 } }))],
    axes: [{}, { label: unit, size: 55 }],
    legend: { live: false },
  }, [[], ...topics.map(() => [])], element);
}

function renderSeries(series) {
  if (!charts) {
    charts = {
      rate: chart($('#chart-rate'), 'Throughput', 'events/s', false),
      // Latency exists only in buckets that had events: dots joined across the empty ones.
      latency: chart($('#chart-latency'), 'p95 latency', 'ms', true),
    };
    window.addEventListener('resize', resizeCharts);
  }
  charts.rate.setData([series.times, ...topics.map((topic) => series.topics[topic.name].ratePerSec)]);
  charts.latency.setData([series.times, ...topics.map((topic) => series.topics[topic.name].p95Ms)]);
}

function resizeCharts() {
  charts.rate.setSize({ width: $('#chart-rate').clientWidth, height: 230 });
  charts.latency.setSize({ width: $('#chart-latency').clientWidth, height: 230 });
}

async function refreshSeries() {
  renderSeries(await api(`/api/metrics/series?window=${encodeURIComponent($('#series-window').value)}`));
}

// ---- Recent events and lookup -------------------------------------------------------------------------------

function time(iso) {
  const date = new Date(iso);
  return `${date.toLocaleTimeString([], { hour12: false })}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

// A table cell with an event id that traces the event when clicked.
function traceCell(eventId) {
  const id = document.createElement('td');
  const trace = document.createElement('button');
  trace.type = 'button';
  trace.className = 'link id';
  trace.textContent = eventId;
  trace.title = 'Trace this event';
  trace.addEventListener('click', () => lookup(eventId));
  id.append(trace);
  return id;
}

function emptyRow(text, columns) {
  const empty = cell(text, 'empty');
  empty.colSpan = columns;
  const row = document.createElement('tr');
  row.append(empty);
  return row;
}

async function refreshRecent() {
  const topic = $('#recent-topic').value;
  const recent = await api(`/api/events/recent?topic=${encodeURIComponent(topic)}&limit=15`);
  const rows = recent.events.map((event) => {
    const row = document.createElement('tr');
    row.append(cell(time(event.processedDate)), traceCell(event.eventId), cell(event.eventType),
      cell(ms(event.totalTimeMs), 'num'), cell(secretWord(event) ?? '–'));
    return row;
  });
  $('#recent tbody').replaceChildren(...(rows.length ? rows : [emptyRow(`No events in ${topic} yet`, 5)]));
}

// A word the login may not see (no role secrets) is said to be decrypted, never shown.
function secretWord(stored) {
  if (stored.secretWordHidden) {
    return 'decrypted (hidden)';
  }
  return stored.secretWord === undefined ? undefined : `“${stored.secretWord}”`;
}

// Each .dlq's depth and its newest dead letters, newest first across the queues; replaying them is the operator's
// act on the management port (/actuator/deadletters), not the public page's.
async function refreshDeadLetters() {
  const answer = await api('/api/deadletters');
  const queues = Object.entries(answer.queues);
  const letters = queues.flatMap(([, queue]) => queue.newest ?? [])
    .sort((a, b) => (b.deadLetteredAt ?? '').localeCompare(a.deadLetteredAt ?? ''))
    .slice(0, 10);
  $('#deadletters-note').textContent = queues
    .map(([name, queue]) => `${name}: ${queue.messages ?? queue.error}`).join(' · ');
  const rows = letters.map((letter) => {
    const row = document.createElement('tr');
    row.append(cell(letter.deadLetteredAt ? time(letter.deadLetteredAt) : '–'), cell(letter.queue), cell(letter.route ?? '–'),
      cell(letter.reason ?? '–'), letter.eventId ? traceCell(letter.eventId) : cell('not an event'));
    return row;
  });
  $('#deadletters tbody').replaceChildren(...(rows.length ? rows : [emptyRow('No dead letters', 5)]));
}

function showResult(element, ok, content) {
  element.className = `result ${ok ? 'ok' : 'error'}`;
  element.replaceChildren(...[].concat(content));
}

function problemMessage(error) {
  return error instanceof ApiProblem
    ? `Refused (${error.problem.status} ${error.message})`
    : 'The API is unreachable; nothing was sent.';
}

// A trace id, a link to the tracing backend when eventflow.dashboard.trace-url is set (the API gives traceUrl).
function traceLink(traced) {
  const id = document.createElement(traced.traceUrl ? 'a' : 'code');
  id.className = 'trace-id';
  id.textContent = traced.traceId;
  if (traced.traceUrl) {
    id.href = traced.traceUrl;
    id.target = '_blank';
    id.rel = 'noopener';
  }
  return id;
}

async function lookup(eventId) {
  const form = $('#lookup');
  form.eventId.value = eventId;
  const result = $('#lookup-result');
  if (!eventId.trim()) {
    showResult(result, false, 'Enter an event id (a UUID), or pick one from the recent events.');
    return;
  }
  try {
    const trace = await api(`/api/events/${encodeURIComponent(eventId.trim())}`);
    const stages = document.createElement('ol');
    for (const stage of trace.stages) {
      const item = document.createElement('li');
      item.textContent = `${stage.topic} by ${stage.route} at ${time(stage.processedDate)}, ${ms(stage.totalTimeMs)} after creation`
        + (stage.secretWord ? `, secret word ${secretWord(stage)}` : '');
      if (stage.traceId) {
        item.append(', trace ', traceLink(stage));
      }
      stages.append(item);
    }
    const summary = document.createElement('span');
    summary.textContent = `${trace.eventType} created ${time(trace.createDate)}, batch ${trace.batchId}`;
    if (trace.traceId) {
      summary.append(', trace ', traceLink(trace));
    }
    summary.append(':');
    showResult(result, true, [summary, stages]);
  } catch (error) {
    showResult(result, false, error instanceof ApiProblem ? `${error.problem.title}: ${error.problem.detail}` : problemMessage(error));
  }
}

// One Idempotency-Key per simulated request, reused by its retries: a retry stores no event twice.
const SIMULATOR_ATTEMPTS = 3;

function idempotencyKey() {
  if (crypto.randomUUID) {
    return crypto.randomUUID();
  }
  // Outside a secure context (plain HTTP to another host) randomUUID is missing; getRandomValues is not.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// With a login, the ingest takes the session only with its CSRF token (cookie EVENTFLOW-XSRF) sent back in a header.
function csrfHeader() {
  const cookie = document.cookie.split('; ').find((c) => c.startsWith('EVENTFLOW-XSRF='));
  return cookie ? { 'X-XSRF-TOKEN': decodeURIComponent(cookie.slice('EVENTFLOW-XSRF='.length)) } : {};
}

function retriable(error) {
  return !(error instanceof ApiProblem) || error.problem.status === 503;
}

async function simulate(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('button');
  const raw = form.count.value.trim();
  // A number goes as a number; anything else as typed, so the API's own validation answers it.
  const count = /^-?\d+$/.test(raw) ? Number(raw) : raw;
  const result = $('#simulator-result');
  const request = {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey(), ...csrfHeader() },
    body: JSON.stringify({ eventType: form.eventType.value, count }),
  };
  button.disabled = true;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await api('/api/events', request);
        const retried = attempt > 1 ? ` after ${attempt} attempts with the same key` : '';
        showResult(result, true, `Accepted ${number.format(answer.accepted)} events into ${answer.topic} (batch ${answer.batchId})${retried}.`);
        return;
      } catch (error) {
        if (attempt >= SIMULATOR_ATTEMPTS || !retriable(error)) {
          throw error;
        }
        showResult(result, false, `${problemMessage(error)} Retrying with the same key…`);
        await new Promise((resolve) => setTimeout(resolve, 1000 * attempt));
      }
    }
  } catch (error) {
    showResult(result, false, problemMessage(error));
  } finally {
    button.disabled = false;
  }
}

// ---- Refresh loop -------------------------------------------------------------------------------------------------

async function poll() {
  try {
    // Without the topics (no metrics yet) there are no charts or tables to fill.
    if (!topics.length || !streamOpen || Date.now() - lastStreamAt >= refreshMs) {
      renderMetrics(await api('/api/metrics'));
    }
    await Promise.all([refreshSeries(), refreshRecent(), refreshDeadLetters()]);
    reachable();
  } catch (error) {
    unreachable(error);
  } finally {
    setStatus();
    setTimeout(poll, refreshMs);
  }
}

$('#simulator').addEventListener('submit', simulate);
$('#lookup').addEventListener('submit', (event) => {
  event.preventDefault();
  lookup(event.target.eventId.value);
});
$('#series-window').addEventListener('change', () => refreshSeries().catch(unreachable));
$('#recent-topic').addEventListener('change', () => refreshRecent().catch(unreachable));
setInterval(setStatus, 1000);
openStream();
poll();
