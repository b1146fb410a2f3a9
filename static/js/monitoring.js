// The monitoring page, live (/admin/monitoring). The page is complete as the server drew it; this
// keeps it current over the /ws/stats WebSocket (docs/websocket.md), on the same origin so the
// session cookie authenticates it:
//   hello -> snapshot (replaces every card) -> events, `stats` every few seconds, `stream_tick`
//   about once a second while streams run.
// - Cards: a stream_update "started" adds one (cloned from <template id="stream-card-template">),
//   "stopped" removes it; progress moves locally between messages and stream_tick corrects it.
// - Events are applied once each: an id at or below the last one applied is ignored, so a resume
//   that overlaps what was seen changes nothing. The event log (last 50) never shows an id twice.
// - The connection reconnects by itself: 1 s, 2 s, 4 s ... 30 s (each +/-20 %), resuming with
//   ?last_event_id=<last applied>; on `resync_required` it asks for a new snapshot.
// docs/admin.md ("Monitoring") lists the ids and classes used here.
(function () {
  'use strict';
  var root = document.getElementById('monitoring');
  if (!root || !window.WebSocket) return;

  var MAX_LOG = 50;
  var MIN_DELAY_MS = 1000;
  var MAX_DELAY_MS = 30000;
  var JITTER = 0.2;
  var SPARK_MINUTES = 60;
  var MINUTE_MS = 60000;

  var list = document.getElementById('stream-cards');
  var template = document.getElementById('stream-card-template');
  var logEl = document.getElementById('event-log');
  var filterEl = document.getElementById('event-filter');
  var connEl = document.getElementById('connection');
  var connText = document.getElementById('connection-text');

  // Server wall-clock ms minus this browser's: deadlines and positions are server times.
  var offset = (Number(root.getAttribute('data-now-ms')) || Date.now()) - Date.now();
  var streams = {};       // id -> the live state of a running stream (see blank())
  var titles = {};        // id -> title, for every stream the snapshot named (the event log)
  var queueLengths = {};  // id -> queue length, every stream (the system's queued items)
  var lastId = null;      // the newest event id applied to the state
  var loggedId = null;    // the newest event id in the event log
  var ws = null;
  var attempt = 0;        // failed connections in a row
  var retryAt = 0;        // when the next attempt starts (local ms), while waiting
  var retryTimer = null;
  var stopped = false;    // signed out: no more attempts
  var eventTimes = [];    // local arrival times of recent events (events per second fallback)
  var statsRate = null;   // events_per_second from the last `stats`

  function serverNow() { return Date.now() + offset; }

  function parseTime(iso) {
    var t = Date.parse(iso);
    return isNaN(t) ? null : t;
  }

  // Redis Stream ids "ms-seq" compare as number pairs (ms fits a double exactly).
  function cmpId(a, b) {
    var pa = String(a).split('-'), pb = String(b).split('-');
    var d = Number(pa[0]) - Number(pb[0]);
    if (d === 0) d = Number(pa[1] || 0) - Number(pb[1] || 0);
    return d < 0 ? -1 : d > 0 ? 1 : 0;
  }

  function clock(sec) {
    sec = Math.max(0, Math.floor(sec));
    var h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    var mm = h > 0 && m < 10 ? '0' + m : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + (s < 10 ? '0' : '') + s;
  }

  function num(v) { return String(Math.round(v * 10) / 10); }

  function percent(v) { return typeof v === 'number' && isFinite(v) ? num(v) + ' %' : '\u2014'; }

  function uptime(s) {
    if (typeof s !== 'number' || s < 0) return '\u2014';
    s = Math.floor(s);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min';
    if (s < 86400) {
      var m = Math.floor(s / 60) % 60;
      return Math.floor(s / 3600) + ' h' + (m > 0 ? ' ' + m + ' min' : '');
    }
    var h = Math.floor(s / 3600) % 24;
    return Math.floor(s / 86400) + ' d' + (h > 0 ? ' ' + h + ' h' : '');
  }

  function bytes(b) {
    if (typeof b !== 'number' || b < 0) return '\u2014';
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'], u = 0, v = b;
    while (v >= 1024 && u < 4) { v /= 1024; u++; }
    return (u === 0 ? String(b) : num(v)) + ' ' + units[u];
  }

  function q(el, sel) { return el.querySelector(sel); }

  function setText(el, text) {
    if (el && el.textContent !== text) el.textContent = text;
  }

  // --- stream state --------------------------------------------------------------------------

  function blank(id) {
    return {
      id: id, slug: '', title: '', state: 'running', card: null,
      itemId: '', trackTitle: '', artist: '', playing: false,
      durationMs: 0, positionMs: 0, positionAt: Date.now(), looping: false,
      listeners: {total: 0, live: 0, bridge: 0},
      queue: {version: -1, length: 0, head: []},
      // deadline: server ms, or null when not armed; enabled/timeoutS null while unknown
      autoEnd: {enabled: null, timeoutS: null, deadline: null},
      spark: {values: [], lastMinute: 0}
    };
  }

  function sparkFromDom(svg, s) {
    var raw = svg ? svg.getAttribute('data-values') : '';
    var values = raw ? raw.split(',').map(Number) : [];
    while (values.length < SPARK_MINUTES) values.unshift(0);
    s.spark.values = values.slice(-SPARK_MINUTES);
    s.spark.lastMinute = Number(svg && svg.getAttribute('data-last-minute-ms')) ||
      Math.floor(serverNow() / MINUTE_MS) * MINUTE_MS;
  }

  // The cards the server drew.
  function readDom() {
    var cards = list.querySelectorAll('li.stream-card[data-stream-id]');
    for (var i = 0; i < cards.length; i++) {
      var card = cards[i];
      var id = Number(card.getAttribute('data-stream-id'));
      var s = blank(id);
      s.card = card;
      s.slug = card.getAttribute('data-slug') || '';
      s.title = q(card, '.stream-title a').textContent;
      s.state = q(card, '.stream-state').textContent;
      var now = q(card, '.now');
      s.itemId = now.getAttribute('data-item-id') || '';
      s.playing = !now.classList.contains('idle');
      s.trackTitle = q(card, '.now-title').textContent;
      s.artist = q(card, '.now-artist').textContent.replace(/^\u2014 /, '');
      s.durationMs = Number(now.getAttribute('data-duration-ms')) || 0;
      s.positionMs = Number(now.getAttribute('data-position-ms')) || 0;
      s.positionAt = (Number(now.getAttribute('data-position-at-ms')) || serverNow()) - offset;
      s.looping = now.getAttribute('data-looping') === '1';
      s.listeners = {
        total: Number(q(card, '.listeners-total').textContent) || 0,
        live: Number(q(card, '.listeners-live').textContent) || 0,
        bridge: Number(q(card, '.listeners-bridge').textContent) || 0
      };
      s.queue.length = Number(q(card, '.queue-length').textContent) || 0;
      s.queue.version = Number(card.getAttribute('data-queue-version'));
      var heads = card.querySelectorAll('.queue-head > li');
      for (var j = 0; j < heads.length; j++) {
        var artist = heads[j].querySelector('.muted');
        s.queue.head.push({
          id: heads[j].getAttribute('data-item-id'),
          track: {title: q(heads[j], '.queue-title').textContent,
            artist: artist ? artist.textContent.replace(/^\u2014 /, '') : ''}
        });
      }
      var ae = q(card, '.auto-end');
      var deadline = Number(ae.getAttribute('data-deadline-ms'));
      if (!ae.hidden && deadline > 0) s.autoEnd.deadline = deadline;
      sparkFromDom(q(card, 'svg.sparkline'), s);
      streams[id] = s;
      titles[id] = s.title;
    }
  }

  function ensure(id) {
    var s = streams[id];
    if (s) return s;
    s = streams[id] = blank(id);
    s.spark.values = [];
    for (var i = 0; i < SPARK_MINUTES; i++) s.spark.values.push(0);
    s.spark.lastMinute = Math.floor(serverNow() / MINUTE_MS) * MINUTE_MS;
    return s;
  }

  function remove(id) {
    var s = streams[id];
    if (!s) return;
    if (s.card && s.card.parentNode) s.card.parentNode.removeChild(s.card);
    delete streams[id];
    updateTotals();
  }

  function setTrack(s, track, itemId, positionMs, atLocal) {
    if (track) {
      s.playing = true;
      s.trackTitle = track.title || 'Untitled';
      s.artist = track.artist || '';
      s.durationMs = Number(track.duration_ms) || 0;
      s.looping = track.placeholder === true;
      s.itemId = itemId !== undefined && itemId !== null ? String(itemId)
        : track.item_id ? String(track.item_id) : '';
    } else {
      s.playing = false;
      s.trackTitle = '';
      s.artist = '';
      s.durationMs = 0;
      s.looping = false;
      s.itemId = '';
    }
    s.positionMs = positionMs || 0;
    s.positionAt = atLocal;
  }

  // Arms the countdown when a running stream with auto-end on has nobody: from `atServer` (the
  // moment the count reached 0) plus the timeout, as the streamer does. Cancels it otherwise.
  function noteListeners(s, total, atServer) {
    s.listeners.total = total;
    if (total > 0) {
      s.autoEnd.deadline = null;
    } else if (s.autoEnd.enabled && s.autoEnd.timeoutS && s.autoEnd.deadline === null) {
      s.autoEnd.deadline = atServer + s.autoEnd.timeoutS * 1000;
    }
  }

  // The auto-end settings of a stream that started after the snapshot: from the REST API.
  function fetchAutoEnd(s) {
    fetch('/api/v1/streams/' + s.id, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) {
        if (!v || !v.auto_end || streams[s.id] !== s) return;
        s.autoEnd.enabled = v.auto_end.enabled === true;
        s.autoEnd.timeoutS = Number(v.auto_end.timeout_s) || null;
        if (!s.title && v.title) {
          s.title = titles[s.id] = v.title;
          relabelLog(s.id, v.title);
        }
        if (s.listeners.total > 0 || !s.autoEnd.enabled) {
          s.autoEnd.deadline = null;
        } else if (v.auto_end.armed && v.auto_end.deadline) {
          s.autoEnd.deadline = parseTime(v.auto_end.deadline);
        } else if (s.autoEnd.deadline === null && s.startedAt) {
          s.autoEnd.deadline = s.startedAt + s.autoEnd.timeoutS * 1000;
        }
        render(s);
      })
      .catch(function () { /* the countdown shows with the first warning instead */ });
  }

  // --- drawing -------------------------------------------------------------------------------

  function cardFor(s) {
    if (s.card) return s.card;
    var card = template.content.firstElementChild.cloneNode(true);
    card.setAttribute('data-stream-id', String(s.id));
    q(card, '.stream-title a').setAttribute('href', '/admin/streams/' + s.id);
    // In title order, as the server draws them.
    var next = null;
    var cards = list.querySelectorAll('li.stream-card');
    for (var i = 0; i < cards.length; i++) {
      var t = q(cards[i], '.stream-title a').textContent;
      if (t.localeCompare(s.title) > 0) { next = cards[i]; break; }
    }
    list.insertBefore(card, next);
    s.card = card;
    return card;
  }

  function renderHead(card, head) {
    var ol = q(card, '.queue-head');
    while (ol.firstChild) ol.removeChild(ol.firstChild);
    (head || []).slice(0, 3).forEach(function (item) {
      var li = document.createElement('li');
      li.setAttribute('data-item-id', String(item.id));
      var t = document.createElement('span');
      t.className = 'queue-title';
      t.textContent = (item.track && item.track.title) || 'Untitled';
      li.appendChild(t);
      if (item.track && item.track.artist) {
        var a = document.createElement('span');
        a.className = 'muted';
        a.textContent = '\u2014 ' + item.track.artist;
        li.appendChild(document.createTextNode(' '));
        li.appendChild(a);
      }
      ol.appendChild(li);
    });
  }

  function render(s) {
    var card = cardFor(s);
    card.setAttribute('data-slug', s.slug);
    card.setAttribute('data-queue-version', String(s.queue.version));
    setText(q(card, '.stream-title a'), s.title || s.slug || ('Stream ' + s.id));
    var badge = q(card, '.stream-state');
    setText(badge, s.state);
    badge.className = 'badge state-' + s.state + ' stream-state';
    var now = q(card, '.now');
    now.classList.toggle('idle', !s.playing);
    now.setAttribute('data-item-id', s.itemId);
    setText(q(card, '.now-title'), s.playing ? s.trackTitle : 'Nothing is playing');
    setText(q(card, '.now-artist'), s.artist ? '\u2014 ' + s.artist : '');
    setText(q(card, '.listeners-total'), String(s.listeners.total));
    setText(q(card, '.listeners-live'), String(s.listeners.live));
    setText(q(card, '.listeners-bridge'), String(s.listeners.bridge));
    setText(q(card, '.queue-length'), String(s.queue.length));
    var ids = (s.queue.head || []).slice(0, 3).map(function (i) { return String(i.id); }).join();
    var shown = [].map.call(card.querySelectorAll('.queue-head > li'),
      function (li) { return li.getAttribute('data-item-id'); }).join();
    if (ids !== shown) renderHead(card, s.queue.head);
    tickCard(s);
    updateTotals();
  }

  // Progress, countdown and sparkline: every 250 ms and after every change.
  function tickCard(s) {
    var card = s.card;
    if (!card) return;
    var bar = q(card, '.now-progress');
    var pos = s.positionMs;
    if (s.playing && s.state === 'running' && s.durationMs > 0) {
      pos += Date.now() - s.positionAt;
      pos = s.looping ? pos % s.durationMs : Math.min(pos, s.durationMs);
    }
    pos = Math.max(0, pos);
    if (s.playing && s.durationMs > 0) {
      bar.max = s.durationMs;
      bar.value = pos;
      setText(q(card, '.now-duration'), clock(Math.ceil(s.durationMs / 1000)));
    } else {
      bar.max = 1;
      bar.value = 0;
      setText(q(card, '.now-duration'), '--:--');
    }
    setText(q(card, '.now-position'), clock(pos / 1000));

    var ae = q(card, '.auto-end');
    if (s.autoEnd.deadline === null) {
      if (!ae.hidden) ae.hidden = true;
      ae.classList.remove('warn-60', 'warn-30', 'warn-10');
    } else {
      var left = Math.max(0, Math.ceil((s.autoEnd.deadline - serverNow()) / 1000));
      // Never more than the timeout, whatever the clocks' difference.
      if (s.autoEnd.timeoutS) left = Math.min(left, s.autoEnd.timeoutS);
      ae.hidden = false;
      ae.setAttribute('data-deadline-ms', String(s.autoEnd.deadline));
      ae.setAttribute('data-seconds', String(left));
      setText(q(ae, '.auto-end-left'), clock(left));
      ae.classList.toggle('warn-10', left <= 10);
      ae.classList.toggle('warn-30', left > 10 && left <= 30);
      ae.classList.toggle('warn-60', left > 30 && left <= 60);
    }
    tickSpark(s);
  }

  function sparkPoints(values) {
    var svg = 120, h = 28, top = 1;
    values.forEach(function (v) { if (v > top) top = v; });
    var step = values.length > 1 ? (svg - 2) / (values.length - 1) : 0;
    return values.map(function (v, i) {
      return num(1 + step * i) + ',' + num(h - 2 - (h - 4) * Math.max(v, 0) / top);
    }).join(' ');
  }

  function tickSpark(s) {
    var sp = s.spark;
    var minute = Math.floor(serverNow() / MINUTE_MS) * MINUTE_MS;
    var changed = false;
    for (var n = 0; sp.lastMinute < minute && n < SPARK_MINUTES; n++) {
      sp.values.shift();
      sp.values.push(s.listeners.total);
      sp.lastMinute += MINUTE_MS;
      changed = true;
    }
    if (sp.lastMinute < minute) sp.lastMinute = minute;
    var last = sp.values.length - 1;
    if (s.listeners.total > sp.values[last]) {
      sp.values[last] = s.listeners.total;
      changed = true;
    }
    var svg = q(s.card, 'svg.sparkline');
    if (!svg || (!changed && svg.getAttribute('data-values'))) return;
    svg.setAttribute('data-values', sp.values.join(','));
    svg.setAttribute('data-last-minute-ms', String(sp.lastMinute));
    q(svg, 'polyline').setAttribute('points', sparkPoints(sp.values));
    var peak = Math.max.apply(null, sp.values);
    svg.setAttribute('aria-label', 'Listeners, last hour: at most ' + peak + ' at once');
  }

  function setStat(key, text) {
    var el = document.getElementById('stat-' + key);
    if (el) setText(q(el, '.stat-value'), text);
  }

  function updateTotals() {
    var n = 0, listeners = 0, queued = 0;
    Object.keys(streams).forEach(function (id) { n++; listeners += streams[id].listeners.total; });
    Object.keys(queueLengths).forEach(function (id) { queued += queueLengths[id]; });
    setStat('active-streams', String(n));
    setStat('total-listeners', String(listeners));
    setStat('queue-items', String(queued));
    document.getElementById('no-streams').hidden = n > 0;
  }

  function renderStreamers(list) {
    var body = document.querySelector('#streamers tbody');
    if (!body || !Array.isArray(list)) return;
    var seen = {};
    list.forEach(function (h) {
      var id = String(h.id);
      seen[id] = true;
      var tr = null;
      for (var i = 0; i < body.rows.length; i++) {
        if (body.rows[i].getAttribute('data-streamer-id') === id) tr = body.rows[i];
      }
      if (!tr) {
        tr = document.createElement('tr');
        tr.setAttribute('data-streamer-id', id);
        var th = document.createElement('th');
        th.scope = 'row';
        th.className = 'host';
        tr.appendChild(th);
        ['pid', 'cpu', 'memory', 'rss', 'uptime', 'streams'].forEach(function (c) {
          var td = document.createElement('td');
          td.className = c;
          tr.appendChild(td);
        });
        body.appendChild(tr);
      }
      setText(q(tr, '.host'), h.host || id);
      setText(q(tr, '.pid'), h.pid ? String(h.pid) : '\u2014');
      setText(q(tr, '.cpu'), percent(h.cpu_percent));
      setText(q(tr, '.memory'), percent(h.memory_percent));
      setText(q(tr, '.rss'), bytes(h.rss_bytes));
      setText(q(tr, '.uptime'), uptime(h.uptime_seconds));
      var ns = Array.isArray(h.streams) ? h.streams.length : h.streams;
      setText(q(tr, '.streams'), typeof ns === 'number' ? String(ns) : '\u2014');
    });
    [].slice.call(body.rows).forEach(function (tr) {
      if (!seen[tr.getAttribute('data-streamer-id')]) body.removeChild(tr);
    });
    document.getElementById('no-streamers').hidden = list.length > 0;
  }

  function applyStats(d) {
    if (!d) return;
    if (typeof d.active_streams === 'number') setStat('active-streams', String(d.active_streams));
    if (typeof d.total_listeners === 'number') setStat('total-listeners', String(d.total_listeners));
    if (typeof d.queue_items === 'number') setStat('queue-items', String(d.queue_items));
    setStat('cpu', percent(d.cpu_percent));
    setStat('memory', percent(d.memory_percent));
    setStat('uptime', uptime(d.uptime_seconds));
    if (typeof d.events_per_second === 'number') {
      statsRate = d.events_per_second;
      setStat('events-per-second', num(statsRate));
    }
    renderStreamers(d.streamers);
  }

  // --- messages ------------------------------------------------------------------------------

  // The snapshot replaces the whole state: cards for the running streams, every queue length.
  // (Its server_time may be a little old, as wsd reuses a snapshot for a moment: the clock offset
  // comes from hello.)
  function applySnapshot(m) {
    var running = {};
    queueLengths = {};
    (m.streams || []).forEach(function (v) {
      titles[v.id] = v.title;
      if (v.queue) queueLengths[v.id] = Number(v.queue.length) || 0;
      if (v.state !== 'running') return;
      running[v.id] = true;
      var s = ensure(v.id);
      s.slug = v.slug || s.slug;
      s.title = v.title || s.title;
      s.state = 'running';
      var np = v.now_playing;
      if (np && np.track) {
        var at = parseTime(np.position_at);
        setTrack(s, np.track, np.item_id, Number(np.position_ms) || 0,
          at === null ? Date.now() : at - offset);
      } else {
        setTrack(s, null, '', 0, Date.now());
      }
      if (v.listeners) {
        s.listeners = {total: Number(v.listeners.total) || 0, live: Number(v.listeners.live) || 0,
          bridge: Number(v.listeners.bridge) || 0};
      }
      if (v.queue) {
        s.queue = {version: Number(v.queue.version), length: Number(v.queue.length) || 0,
          head: v.queue.head || []};
      }
      var a = v.auto_end || {};
      s.autoEnd.enabled = a.enabled === true;
      s.autoEnd.timeoutS = Number(a.timeout_s) || null;
      s.autoEnd.deadline = a.enabled && a.deadline ? parseTime(a.deadline) : null;
      render(s);
    });
    Object.keys(streams).forEach(function (id) { if (!running[id]) remove(id); });
    lastId = m.last_event_id || null;
    updateTotals();
    applyStats(m.stats);
  }

  function onStreamUpdate(s, ev, tsServer) {
    var d = ev.data || {};
    if (d.slug) s.slug = d.slug;
    if (d.title && titles[s.id] !== d.title) {
      s.title = titles[s.id] = d.title;
      relabelLog(s.id, d.title);
    }
    if (!s.title) s.title = titles[s.id] || s.slug;
    if (d.event === 'started') {
      s.state = 'running';
      s.startedAt = tsServer;
      // A stream another streamer took over resumes its item where it was: keep the position
      // until the next stream_tick says where.
      var same = d.resumed === true && d.track && s.playing && String(d.track.item_id || '') === s.itemId;
      if (!same) setTrack(s, d.track, undefined, 0, tsServer - offset);
      if (typeof d.listeners === 'number') s.listeners.total = d.listeners;
      if (s.autoEnd.enabled === null) {
        fetchAutoEnd(s);
      } else if (s.listeners.total === 0) {
        s.autoEnd.deadline = null;
        noteListeners(s, 0, tsServer);
      }
    } else if (d.event === 'track_changed') {
      setTrack(s, d.track, undefined, 0, tsServer - offset);
      if (typeof d.listeners === 'number') s.listeners.total = d.listeners;
    }
  }

  function applyEvent(ev) {
    var sid = ev.stream_id;
    var d = ev.data || {};
    var ts = parseTime(ev.ts);
    if (ts === null) ts = serverNow();
    if (sid === null || sid === undefined) return;
    if (ev.type === 'stream_update') {
      if (d.event === 'stopped') {
        remove(sid);
        return;
      }
      var s = ensure(sid);
      onStreamUpdate(s, ev, ts);
      render(s);
      return;
    }
    if (ev.type === 'queue_update') {
      if (typeof d.length === 'number') queueLengths[sid] = d.length;
      var sq = streams[sid];
      if (sq) {
        sq.queue.version = Number(d.version);
        if (typeof d.length === 'number') sq.queue.length = d.length;
        if (Array.isArray(d.head)) sq.queue.head = d.head;
        else if (Array.isArray(d.items)) sq.queue.head = d.items.slice(0, 3);
        render(sq);
      }
      updateTotals();
      return;
    }
    var st = streams[sid];
    if (!st) return;
    if (ev.type === 'listeners_update') {
      var sinks = d.sinks || {};
      st.listeners.live = Number(sinks.live) || 0;
      st.listeners.bridge = Number(sinks.bridge) || 0;
      noteListeners(st, Number(d.count) || 0, ts);
    } else if (ev.type === 'auto_end_warning') {
      st.autoEnd.enabled = true;
      var dl = parseTime(d.deadline);
      st.autoEnd.deadline = dl !== null ? dl : ts + (Number(d.seconds_remaining) || 0) * 1000;
    } else if (ev.type === 'auto_end_cancelled') {
      st.autoEnd.deadline = null;
      if (d.reason === 'disabled') st.autoEnd.enabled = false;
    }
    render(st);
  }

  // A stream_tick: where each running stream is at `ts` (server time), and its listeners.
  function onTick(d, ts) {
    var at = parseTime(ts);
    if (at === null) at = serverNow();
    ((d && d.streams) || []).forEach(function (t) {
      var s = streams[t.stream_id];
      if (!s) return;
      if (typeof t.position_ms === 'number') {
        s.positionMs = t.position_ms;
        s.positionAt = at - offset;
      }
      if (typeof t.duration_ms === 'number') s.durationMs = t.duration_ms;
      if (t.item_id !== undefined && t.item_id !== null) s.itemId = String(t.item_id);
      if (t.listeners) {
        s.listeners.live = Number(t.listeners.live) || 0;
        s.listeners.bridge = Number(t.listeners.bridge) || 0;
        noteListeners(s, Number(t.listeners.total) || 0, at);
      }
      render(s);
    });
  }

  function eventText(ev) {
    var d = ev.data || {};
    switch (ev.type) {
      case 'stream_update':
        if (d.event === 'stopped') return 'stopped' + (d.reason ? ' (' + d.reason + ')' : '');
        if (d.event === 'track_changed') {
          return 'now playing: ' + ((d.track && d.track.title) || 'nothing');
        }
        return d.event || 'update';
      case 'queue_update':
        return (d.op ? d.op + ': ' : '') + d.length + ' in the queue (version ' + d.version + ')';
      case 'listeners_update':
        return d.count + ' listening (' + ((d.sinks && d.sinks.live) || 0) + ' live, ' +
          ((d.sinks && d.sinks.bridge) || 0) + ' in the call)';
      case 'auto_end_warning':
        return 'ends in ' + d.seconds_remaining + ' s without listeners';
      case 'auto_end_cancelled':
        return 'auto-end cancelled' + (d.reason ? ' (' + d.reason + ')' : '');
      case 'error':
        return (d.code || 'error') + (d.message ? ': ' + d.message : '');
      default:
        return '';
    }
  }

  // Events of a stream that started after the snapshot came before its title was known.
  function relabelLog(id, title) {
    [].forEach.call(logEl.querySelectorAll('li[data-stream-id="' + id + '"] .event-stream'),
      function (el) { setText(el, title); });
  }

  function logEvent(ev) {
    var li = document.createElement('li');
    li.setAttribute('data-event-id', ev.id);
    li.setAttribute('data-type', ev.type);
    if (ev.stream_id !== null && ev.stream_id !== undefined) {
      li.setAttribute('data-stream-id', String(ev.stream_id));
    }
    var time = document.createElement('time');
    time.setAttribute('datetime', ev.ts || '');
    var t = parseTime(ev.ts);
    time.textContent = t === null ? '' : new Date(t).toISOString().substr(11, 8);
    var type = document.createElement('code');
    type.className = 'event-type';
    type.textContent = ev.type;
    var who = document.createElement('span');
    who.className = 'event-stream';
    if (ev.stream_id !== null && ev.stream_id !== undefined) {
      who.textContent = titles[ev.stream_id] || (streams[ev.stream_id] && streams[ev.stream_id].title) ||
        ('stream ' + ev.stream_id);
    }
    var text = document.createElement('span');
    text.className = 'event-text';
    text.textContent = eventText(ev);
    [time, type, who, text].forEach(function (el, i) {
      if (i > 0) li.appendChild(document.createTextNode(' '));
      li.appendChild(el);
    });
    li.hidden = !!filterEl.value && filterEl.value !== ev.type;
    logEl.insertBefore(li, logEl.firstChild);
    while (logEl.children.length > MAX_LOG) logEl.removeChild(logEl.lastChild);
    document.getElementById('event-log-empty').hidden = true;
  }

  // A line of the log that is no event (data-type but no data-event-id): a resync.
  function logNotice(type, text) {
    var li = document.createElement('li');
    li.className = 'event-notice';
    li.setAttribute('data-type', type);
    var time = document.createElement('time');
    time.textContent = new Date(serverNow()).toISOString().substr(11, 8);
    var t = document.createElement('span');
    t.className = 'event-text';
    t.textContent = text;
    li.appendChild(time);
    li.appendChild(document.createTextNode(' '));
    li.appendChild(t);
    li.hidden = !!filterEl.value && filterEl.value !== type;
    logEl.insertBefore(li, logEl.firstChild);
    while (logEl.children.length > MAX_LOG) logEl.removeChild(logEl.lastChild);
    document.getElementById('event-log-empty').hidden = true;
  }

  function onEvent(ev) {
    // Applied once: a resume may send again what was already applied.
    if (lastId !== null && cmpId(ev.id, lastId) <= 0) return;
    lastId = ev.id;
    applyEvent(ev);
    eventTimes.push(Date.now());
    // After a new snapshot the events it is older than are applied again, not logged again.
    if (loggedId === null || cmpId(ev.id, loggedId) > 0) {
      loggedId = ev.id;
      logEvent(ev);
    }
  }

  function onMessage(e) {
    var m;
    try {
      m = JSON.parse(e.data);
    } catch (err) {
      return;
    }
    if (!m || typeof m !== 'object') return;
    if (m.id !== undefined && m.id !== null && m.type) {
      onEvent(m);
      return;
    }
    switch (m.type) {
      case 'hello':
        var t = parseTime(m.server_time);
        if (t !== null) offset = t - Date.now();
        attempt = 0;
        setConnection('live', 'live');
        break;
      case 'snapshot':
        applySnapshot(m);
        break;
      case 'stats':
        applyStats(m.data);
        break;
      case 'stream_tick':
        onTick(m.data, m.ts);
        break;
      case 'resync_required':
        // Events were lost for us: a new snapshot, then the events after it.
        logNotice('resync', 'Missed events: the page is redrawn from a new snapshot');
        send({type: 'snapshot'});
        break;
      default:
        break;
    }
  }

  // --- the connection ------------------------------------------------------------------------

  function setConnection(state, text) {
    connEl.setAttribute('data-state', state);
    setText(connText, text);
  }

  function send(obj) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(obj));
  }

  function connect() {
    retryTimer = null;
    retryAt = 0;
    if (stopped) return;
    if (navigator.onLine === false) {
      setConnection('offline', 'offline');
      return;
    }
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host +
      (root.getAttribute('data-ws-path') || '/ws/stats');
    if (lastId !== null) url += '?last_event_id=' + encodeURIComponent(lastId);
    setConnection(attempt > 0 ? 'reconnecting' : 'connecting',
      attempt > 0 ? 'reconnecting\u2026' : 'connecting\u2026');
    var sock;
    try {
      sock = new WebSocket(url);
    } catch (err) {
      scheduleRetry();
      return;
    }
    ws = sock;
    var greeted = false;
    sock.onmessage = function (e) {
      if (ws !== sock) return;
      if (!greeted) greeted = true;
      onMessage(e);
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      ws = null;
      if (!greeted && attempt >= 2) {
        checkSignedIn();
        return;
      }
      scheduleRetry();
    };
  }

  // A socket refused again and again may mean the session ended: stop rather than knock forever.
  function checkSignedIn() {
    fetch('/api/v1/auth/me', {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) {
        if (r.status === 401) {
          stopped = true;
          setConnection('offline', 'offline (signed out)');
        } else {
          scheduleRetry();
        }
      })
      .catch(function () { scheduleRetry(); });
  }

  function scheduleRetry() {
    if (stopped || retryTimer !== null) return;
    var base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * Math.pow(2, attempt));
    var delay = Math.round(base * (1 + (Math.random() * 2 - 1) * JITTER));
    attempt++;
    retryAt = Date.now() + delay;
    retryTimer = setTimeout(connect, delay);
    showRetry();
  }

  function showRetry() {
    if (retryTimer === null) return;
    if (navigator.onLine === false) {
      setConnection('offline', 'offline');
      return;
    }
    var left = Math.max(1, Math.ceil((retryAt - Date.now()) / 1000));
    setConnection('reconnecting', 'reconnecting in ' + left + ' s');
  }

  window.addEventListener('offline', function () {
    if (ws) ws.close();
    setConnection('offline', 'offline');
  });
  window.addEventListener('online', function () {
    if (retryTimer !== null) clearTimeout(retryTimer);
    retryTimer = null;
    if (!ws) connect();
  });

  filterEl.addEventListener('change', function () {
    var want = filterEl.value;
    [].forEach.call(logEl.children, function (li) {
      li.hidden = !!want && li.getAttribute('data-type') !== want;
    });
  });

  setInterval(function () {
    Object.keys(streams).forEach(function (id) { tickCard(streams[id]); });
    showRetry();
  }, 250);
  // Events per second over the last 10 s, until `stats` brings the server's figure.
  setInterval(function () {
    var cut = Date.now() - 10000;
    while (eventTimes.length && eventTimes[0] < cut) eventTimes.shift();
    if (statsRate === null && ws) setStat('events-per-second', num(eventTimes.length / 10));
  }, 1000);

  readDom();
  updateTotals();
  connect();
})();
