// The stream page's queue, enhanced: drag and drop (SortableJS) sends the same move form the
// page has without JavaScript; the catalog search suggests as you type (GET /api/v1/tracks).
// Every change still goes through the page's forms, with the if_version the queue was drawn
// from; the answer (the page again, or its 409 "the queue changed" version) replaces the queue
// panel in place. Without this file every form works as a plain POST.
(function () {
  'use strict';

  var panelId = 'queue-panel';

  function csrfToken() {
    var el = document.querySelector('input[name="csrf_token"]');
    return el ? el.value : '';
  }

  function queueVersion() {
    var q = document.getElementById('queue');
    return q ? q.getAttribute('data-version') : '';
  }

  // Every request that may redraw the panel takes a ticket; an answer older than the panel on
  // screen is dropped, so a refresh that was under way when a form's answer (a 409 with "The
  // queue changed") arrived cannot draw over it.
  var issued = 0;
  var drawn = 0;

  // Puts the queue panel (and the flash) of a freshly rendered page in place of ours.
  function swapPanel(html, ticket) {
    if (ticket < drawn) return true;  // a newer answer is already on screen
    drawn = ticket;
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById(panelId);
    var mine = document.getElementById(panelId);
    if (!fresh || !mine) return false;
    var search = mine.querySelector('#track-search');
    var results = mine.querySelector('#add');
    mine.replaceWith(fresh);
    // Keep what the user was searching for.
    if (search && results) {
      var fs = fresh.querySelector('#track-search');
      var fr = fresh.querySelector('#add');
      if (fs) fs.replaceWith(search);
      if (fr) fr.replaceWith(results);
      refreshAddForms();
    }
    init();
    return true;
  }

  function refresh() {
    var ticket = ++issued;
    return fetch(window.location.pathname + window.location.search, {credentials: 'same-origin'})
      .then(function (r) { return r.text(); })
      .then(function (html) { return swapPanel(html, ticket); });
  }

  // Posts one of the page's forms (with the button that was used) and shows the outcome.
  function submitForm(form, action, extra) {
    var body = new URLSearchParams(new FormData(form));
    if (extra) Object.keys(extra).forEach(function (k) { body.set(k, extra[k]); });
    var ticket = ++issued;
    return fetch(action || form.action, {
      method: 'POST',
      credentials: 'same-origin',
      headers: {'Content-Type': 'application/x-www-form-urlencoded'},
      body: body.toString()
    }).then(function (r) {
      return r.text().then(function (html) {
        if (r.status === 200 && r.redirected) return refresh();
        if (!swapPanel(html, ticket)) window.location.reload();
      });
    }).catch(function () { window.location.reload(); });
  }

  // The add forms carry the version too; keep them current after a swap.
  function refreshAddForms() {
    var v = queueVersion();
    document.querySelectorAll('#track-results input[name="if_version"]').forEach(function (i) {
      i.value = v;
    });
  }

  function initSortable() {
    var list = document.getElementById('queue');
    if (!list || !list.classList.contains('sortable') || typeof Sortable === 'undefined') return;
    list.classList.add('drag-ready');
    Sortable.create(list, {
      animation: 120,
      handle: '.drag-handle',
      onEnd: function (ev) {
        if (ev.oldIndex === ev.newIndex) return;
        var form = ev.item.querySelector('form.queue-actions');
        if (!form) return;
        var move = form.getAttribute('action');
        submitForm(form, move, {to: String(ev.newIndex + 1)});
      }
    });
  }

  function renderResults(items) {
    var ul = document.getElementById('track-results');
    var summary = document.getElementById('track-results-summary');
    if (!ul) return;
    var base = document.getElementById('queue').getAttribute('data-stream-id');
    ul.textContent = '';
    items.forEach(function (t) {
      var li = document.createElement('li');
      li.setAttribute('data-track-id', t.id);
      var title = document.createElement('span');
      title.className = 'track-title';
      title.textContent = t.title;
      var artist = document.createElement('span');
      artist.className = 'muted';
      artist.textContent = ' ' + (t.artist || '');
      var form = document.createElement('form');
      form.method = 'post';
      form.action = '/admin/streams/' + base + '/queue';
      form.className = 'inline add-form';
      [['csrf_token', csrfToken()], ['if_version', queueVersion()], ['track_id', String(t.id)]]
        .forEach(function (f) {
          var i = document.createElement('input');
          i.type = 'hidden';
          i.name = f[0];
          i.value = f[1];
          form.appendChild(i);
        });
      [['end', 'Add', 'add-track'], ['next', 'Play next', 'add-next']].forEach(function (b) {
        var btn = document.createElement('button');
        btn.type = 'submit';
        btn.name = 'at';
        btn.value = b[0];
        btn.className = 'btn btn-small ' + b[2];
        btn.textContent = b[1];
        form.appendChild(btn);
        form.appendChild(document.createTextNode(' '));
      });
      li.appendChild(title);
      li.appendChild(artist);
      li.appendChild(document.createTextNode(' '));
      li.appendChild(form);
      ul.appendChild(li);
    });
    if (summary) summary.textContent = items.length === 1 ? '1 suggestion' : items.length ? items.length + ' suggestions' : 'No track matches.';
  }

  var timer = null;
  function suggest(q) {
    if (q.trim() === '') return;
    fetch('/api/v1/tracks?per_page=10&q=' + encodeURIComponent(q), {credentials: 'same-origin'})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j && j.items) renderResults(j.items); })
      .catch(function () {});
  }

  function init() {
    initSortable();
    var input = document.getElementById('track-q');
    if (input && !input.dataset.enhanced) {
      input.dataset.enhanced = '1';
      input.addEventListener('input', function () {
        clearTimeout(timer);
        timer = setTimeout(function () { suggest(input.value); }, 200);
      });
    }
  }

  // Forms inside the queue panel post in place, so the page (and the player) keeps going.
  document.addEventListener('submit', function (ev) {
    var form = ev.target;
    if (!form.closest || !form.closest('#' + panelId) || form.method.toLowerCase() !== 'post') return;
    ev.preventDefault();
    var btn = ev.submitter;
    var extra = null;
    if (btn && btn.name) { extra = {}; extra[btn.name] = btn.value; }
    var action = btn && btn.hasAttribute('formaction') ? btn.formAction : form.action;
    submitForm(form, action, extra);
  });

  window.SattvaQueue = {refresh: refresh, version: queueVersion};
  init();
})();
