// Upload progress for the tracks page (/admin/tracks): each chosen file is posted on its own
// (XMLHttpRequest, so upload progress events fire) to the same endpoint as the plain form,
// POST /admin/tracks/upload, with the form's CSRF token. One row per file in #upload-progress
// shows a <progress> bar and then the result: a link to the stored track, or the server's
// message. Without JavaScript the form posts every file at once and the page shows the result.
(function () {
  'use strict';

  function ready(fn) {
    if (document.readyState !== 'loading') fn();
    else document.addEventListener('DOMContentLoaded', fn);
  }

  // The message of a refused upload: the error box of the page the server answered with.
  function errorText(xhr) {
    var doc = xhr.response;
    if (doc && doc.querySelector) {
      var box = doc.querySelector('#upload-errors') || doc.querySelector('.error-page') ||
                doc.querySelector('.flash-error');
      if (box) return box.textContent.trim().replace(/\s+/g, ' ');
    }
    if (xhr.status === 413) return 'The file is larger than the upload limit.';
    if (xhr.status === 0) return 'The connection failed; nothing was stored.';
    return 'The upload failed (HTTP ' + xhr.status + ').';
  }

  function sendOne(form, file, row) {
    return new Promise(function (resolve) {
      var bar = row.querySelector('progress');
      var status = row.querySelector('.upload-status');
      var data = new FormData();
      data.append('csrf_token', form.elements.csrf_token.value);
      data.append('file', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.responseType = 'document';
      xhr.upload.addEventListener('progress', function (e) {
        if (e.lengthComputable) {
          bar.max = e.total;
          bar.value = e.loaded;
        }
      });
      xhr.upload.addEventListener('load', function () {
        status.textContent = 'Checking…';
      });
      xhr.addEventListener('loadend', function () {
        // Success is a redirect (followed) to the new track's page.
        var m = /\/admin\/tracks\/(\d+)(?:[?#]|$)/.exec(xhr.responseURL || '');
        status.textContent = '';
        if (xhr.status === 200 && m) {
          bar.value = bar.max;
          row.classList.add('upload-ok');
          var a = document.createElement('a');
          a.href = '/admin/tracks/' + m[1];
          var heading = xhr.response && xhr.response.querySelector &&
                        xhr.response.querySelector('#track-heading');
          a.textContent = heading ? heading.textContent : 'track ' + m[1];
          status.appendChild(document.createTextNode('Stored as '));
          status.appendChild(a);
        } else {
          row.classList.add('upload-failed');
          status.textContent = errorText(xhr);
        }
        resolve();
      });
      xhr.send(data);
    });
  }

  ready(function () {
    var form = document.getElementById('upload-form');
    var list = document.getElementById('upload-progress');
    if (!form || !list || !window.FormData || !window.Promise) return;
    var input = form.querySelector('input[type=file][name=file]');
    form.addEventListener('submit', function (e) {
      if (!input.files || input.files.length === 0) return;  // the browser says "required"
      e.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      var button = form.querySelector('button[type=submit]');
      button.disabled = true;
      list.textContent = '';
      var jobs = files.map(function (file) {
        var row = document.createElement('li');
        row.className = 'upload-row';
        var name = document.createElement('span');
        name.className = 'upload-name';
        name.textContent = file.name;
        var bar = document.createElement('progress');
        bar.max = file.size || 1;
        bar.value = 0;
        bar.setAttribute('aria-label', 'Upload of ' + file.name);
        var status = document.createElement('span');
        status.className = 'upload-status';
        status.textContent = 'Waiting…';
        row.appendChild(name);
        row.appendChild(bar);
        row.appendChild(status);
        list.appendChild(row);
        return { file: file, row: row };
      });
      // One at a time: the server probes each file, and the bars fill in order.
      jobs.reduce(function (prev, job) {
        return prev.then(function () {
          job.row.querySelector('.upload-status').textContent = 'Uploading…';
          return sendOne(form, job.file, job.row);
        });
      }, Promise.resolve()).then(function () {
        button.disabled = false;
        input.value = '';
        var done = document.createElement('li');
        done.className = 'upload-done';
        var a = document.createElement('a');
        a.href = '/admin/tracks?sort=id&order=desc';
        a.textContent = 'Show the newest tracks';
        done.appendChild(a);
        list.appendChild(done);
      });
    });
  });
})();
