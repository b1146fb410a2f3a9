// The stream page, live: polls GET /api/v1/streams/{id} every 2 s (the session cookie
// authenticates it) for state, listeners, now playing and the queue version; moves the progress
// bar locally between polls; when the queue version moved on, redraws the queue panel
// (queue.js). Without this file the page shows the state as of its load.
(function () {
  'use strict';
  var root = document.getElementById('stream-live');
  if (!root) return;
  var id = root.getAttribute('data-stream-id');
  var progress = null;
  var position = 0;
  var duration = 0;
  var running = false;
  var looping = false;  // a placeholder starts over at its end
  var last = Date.now();

  function clock(sec) {
    sec = Math.max(0, Math.floor(sec));
    var h = Math.floor(sec / 3600), m = Math.floor(sec / 60) % 60, s = sec % 60;
    var mm = h > 0 && m < 10 ? '0' + m : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + (s < 10 ? '0' : '') + s;
  }

  function setText(elId, text) {
    var el = document.getElementById(elId);
    if (el) el.textContent = text;
  }

  function tick() {
    var now = Date.now();
    if (running && duration > 0) {
      position = looping ? (position + (now - last)) % duration
                         : Math.min(duration, position + (now - last));
    }
    last = now;
    progress = document.getElementById('now-progress');
    if (progress && duration > 0) {
      progress.max = duration;
      progress.value = position;
      setText('now-position', clock(position / 1000));
      setText('now-duration', clock(duration / 1000));
    }
  }

  function apply(s) {
    var np = s.now_playing;
    var card = document.getElementById('now-playing');
    running = s.state === 'running';
    if (card) card.classList.toggle('idle', !(np && np.track));
    if (np && np.track) {
      if (card) card.setAttribute('data-item-id', np.id || '');
      setText('now-title', np.track.title || 'Untitled');
      setText('now-artist', np.track.artist ? '\u2014 ' + np.track.artist : '');
      duration = np.track.duration_ms || 0;
      position = np.position_ms || 0;
      looping = np.placeholder === true;
    } else {
      if (card) card.setAttribute('data-item-id', '');
      setText('now-title', 'Nothing is playing');
      setText('now-artist', '');
      setText('now-position', '0:00');
      setText('now-duration', '--:--');
      duration = 0;
      position = 0;
      var p = document.getElementById('now-progress');
      if (p) { p.max = 1; p.value = 0; }
    }
    last = Date.now();
    var badge = document.getElementById('state-badge');
    if (badge) {
      badge.textContent = s.state;
      badge.className = 'badge state-' + s.state;
    }
    var ae = document.getElementById('auto-end-badge');
    if (ae && s.auto_end) {
      ae.hidden = !s.auto_end.armed;
      if (s.auto_end.armed) ae.textContent = 'ending in ' + clock(s.auto_end.seconds_remaining);
    }
    setText('listeners-total', String(s.listeners));
    if (s.listeners_live !== undefined) setText('listeners-live', String(s.listeners_live));
    if (s.listeners_bridge !== undefined) setText('listeners-bridge', String(s.listeners_bridge));
    var q = document.getElementById('queue');
    if (q && window.SattvaQueue && String(s.queue_version) !== q.getAttribute('data-version') &&
        !document.querySelector('.sortable-chosen')) {
      window.SattvaQueue.refresh();
    }
  }

  function poll() {
    if (document.hidden) return;
    fetch('/api/v1/streams/' + id, {credentials: 'same-origin', cache: 'no-store'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) { if (s) apply(s); })
      .catch(function () {});
  }

  var p0 = document.getElementById('now-progress');
  if (p0 && p0.hasAttribute('value')) {
    duration = Number(p0.max) || 0;
    position = Number(p0.value) || 0;
    running = p0.getAttribute('data-state') === 'running';
  }
  setInterval(tick, 250);
  setInterval(poll, 2000);
})();
