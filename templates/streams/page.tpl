{{%AUTOESCAPE context="HTML"}}
{{!-- /admin/streams/{id}: the stream page (fcgi/admin/streams_views.h, FillStreamPage). --}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/streams">Streams</a></li><li><span aria-current="page">{{TITLE}}</span></li></ol></nav>
<div class="page-head">
<div>
<h1>{{TITLE}}</h1>
<p class="muted"><code>{{SLUG}}</code>{{#DESCRIPTION}} · {{TEXT}}{{/DESCRIPTION}}</p>
</div>
<p class="badges" id="stream-state"><span class="badge state-{{STATE}}" id="state-badge">{{STATE}}</span>{{#ENDING}} <span class="badge state-ending" id="auto-end-badge" data-seconds="{{SECONDS}}">ending in {{TEXT}}</span>{{/ENDING}}{{#HIDDEN_STREAM}} <span class="badge status-hidden">hidden</span>{{/HIDDEN_STREAM}}</p>
</div>
<div class="columns" id="stream-live" data-stream-id="{{ID}}">
<section class="panel" aria-labelledby="now-h">
<h2 id="now-h">Now playing</h2>
<div id="now-playing" data-item-id="{{NOW_ITEM_ID}}" class="{{#NOTHING_PLAYING}}idle{{/NOTHING_PLAYING}}">
<p class="now-line"><strong id="now-title">{{NOW_TITLE}}</strong> <span class="muted" id="now-artist">{{NOW_ARTIST}}</span></p>
<progress id="now-progress" data-state="{{STATE}}"{{#NOW_KNOWN}} max="{{MAX}}" value="{{VALUE}}"{{/NOW_KNOWN}}>{{NOW_POSITION}} of {{NOW_DURATION}}</progress>
<p class="muted small now-times"><span id="now-position">{{NOW_POSITION}}</span> / <span id="now-duration">{{NOW_DURATION}}</span></p>
</div>
<dl class="facts">
<dt>Listeners</dt><dd><span id="listeners-total">{{LISTENERS}}</span> <span class="muted">(<span id="listeners-live">{{LISTENERS_LIVE}}</span> on the live mounts, <span id="listeners-bridge">{{LISTENERS_BRIDGE}}</span> in the call)</span></dd>
<dt>Auto-end</dt><dd>{{AUTO_END}}</dd>
</dl>
{{#CONTROLS}}
<div class="form-actions controls">
{{#STOPPED}}<form method="post" action="{{BASE}}/start" class="inline"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><button type="submit" class="btn btn-primary" id="start-button">Start</button></form>{{/STOPPED}}
{{#RUNNING}}<form method="post" action="{{BASE}}/skip" class="inline"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><button type="submit" class="btn" id="skip-button">Skip</button></form>
<form method="post" action="{{BASE}}/stop" class="inline"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><button type="submit" class="btn btn-danger-quiet" id="stop-button">Stop</button></form>{{/RUNNING}}
</div>
{{/CONTROLS}}
</section>
<section class="panel" aria-labelledby="listen-h">
<h2 id="listen-h">Listen</h2>
<audio id="player" controls preload="none">
{{#MOUNT}}<source src="{{PATH}}" type="{{TYPE}}">
{{/MOUNT}}Your browser cannot play audio here; use a mount URL below.
</audio>
<ul class="mounts" id="mount-urls">
{{#MOUNT}}<li><label for="mount-{{EXT}}">{{EXT}}</label> <input id="mount-{{EXT}}" type="text" readonly value="{{URL}}" class="mount-url"></li>
{{/MOUNT}}</ul>
</section>
</div>
<section class="panel" aria-labelledby="queue-h" id="queue-panel">
<div class="panel-head"><h2 id="queue-h">Queue <span class="muted small" id="queue-count">({{QUEUE_LENGTH}})</span></h2>
{{#CAN_CLEAR}}<a class="btn btn-small btn-danger-quiet" id="clear-queue" href="{{BASE}}/queue/clear">Clear…</a>{{/CAN_CLEAR}}</div>
{{#QUEUE_CONFLICT}}<div class="flash flash-error" role="alert" id="queue-conflict"><p>The queue changed; here it is now.</p><p class="small">Nothing was changed. Check the queue below and try again.</p></div>{{/QUEUE_CONFLICT}}
{{#QUEUE_ERROR}}<div class="flash flash-error" role="alert" id="queue-error"><p>{{TEXT}}</p></div>{{/QUEUE_ERROR}}
{{#QUEUE_EMPTY}}<p class="empty" id="queue-empty">The queue is empty: the placeholder plays.</p>{{/QUEUE_EMPTY}}
{{#QUEUE_MORE}}<p class="summary" id="queue-more">Showing the first {{SHOWN}} of {{TOTAL}} items. <a href="{{BASE}}?queue=all#queue-panel" id="queue-show-all">Show all</a></p>{{/QUEUE_MORE}}
{{#QUEUE_FIRST_ONLY}}<p class="summary"><a href="{{BASE}}#queue-panel">Show only the first items</a></p>{{/QUEUE_FIRST_ONLY}}
<ol id="queue" class="queue{{#QUEUE_MANAGE}} sortable{{/QUEUE_MANAGE}}" data-version="{{QUEUE_VERSION}}" data-stream-id="{{ID}}">
{{#ITEM}}<li data-item-id="{{ITEM_ID}}">{{#MANAGE}}<span class="drag-handle" aria-hidden="true">⠿</span>{{/MANAGE}}<span class="queue-pos">{{POSITION}}</span><span class="queue-main"><span class="queue-title">{{TITLE}}</span>{{#ARTIST}} <span class="muted">— {{TEXT}}</span>{{/ARTIST}}{{#DURATION}} <small>{{TEXT}}</small>{{/DURATION}} <small>added by {{ADDED_BY}}</small></span>
{{#MANAGE}}<form method="post" action="{{BASE}}/queue/{{ITEM_ID}}/move" class="queue-actions"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><input type="hidden" name="if_version" value="{{QUEUE_VERSION}}"><input name="to" type="number" min="1" max="{{MAX}}" value="{{POSITION}}" aria-label="Position" class="pos-input"><button type="submit" class="move">Move</button><button type="submit" class="play-next" formaction="{{BASE}}/queue/{{ITEM_ID}}/next">Play next</button><button type="submit" class="remove" formaction="{{BASE}}/queue/{{ITEM_ID}}/remove">Remove</button></form>{{/MANAGE}}
{{#REMOVE_ONLY}}<form method="post" action="{{BASE}}/queue/{{ITEM_ID}}/remove" class="queue-actions"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><input type="hidden" name="if_version" value="{{QUEUE_VERSION}}"><button type="submit" class="remove">Remove</button></form>{{/REMOVE_ONLY}}
</li>
{{/ITEM}}</ol>
{{#ADD}}
<h3 class="sub">Add from the catalog</h3>
<form method="get" action="{{BASE}}#add" id="track-search" class="filters" role="search" aria-label="Search the catalog">
<div class="field grow"><label for="track-q">Title or artist</label><input id="track-q" name="track_q" type="search" maxlength="200" value="{{TRACK_Q}}" autocomplete="off"></div>
<div class="field actions"><button type="submit" class="btn">Search</button></div>
</form>
<div id="add" class="track-results-wrap">
<p class="summary" id="track-results-summary">{{RESULT_SUMMARY}}{{#NO_RESULTS}}No track matches.{{/NO_RESULTS}}</p>
<ul id="track-results" class="track-results">
{{#RESULT}}<li data-track-id="{{TRACK_ID}}"><span class="track-title">{{TITLE}}</span> <span class="muted">{{ARTIST}}</span>{{#DURATION}} <span class="muted small">{{TEXT}}</span>{{/DURATION}}
<form method="post" action="{{BASE}}/queue" class="inline add-form"><input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}"><input type="hidden" name="if_version" value="{{QUEUE_VERSION}}"><input type="hidden" name="track_id" value="{{TRACK_ID}}"><button type="submit" name="at" value="end" class="btn btn-small add-track">Add</button> <button type="submit" name="at" value="next" class="btn btn-small add-next">Play next</button></form></li>
{{/RESULT}}</ul>
</div>
{{/ADD}}
</section>
<section class="panel" aria-label="Listeners">
{{!-- The chart's own caption names it ("Listeners, last 24 hours"). --}}
{{>LISTENER_CHART}}
</section>
{{>HISTORY}}
{{#SETTINGS}}
<section class="panel" aria-labelledby="settings-h">
<h2 id="settings-h">Settings</h2>
{{#ERROR}}<div class="flash flash-error" role="alert" id="settings-error"><p>{{TEXT}}</p></div>{{/ERROR}}
<form method="post" action="{{BASE}}" id="settings-form" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="s-title">Title</label>
<input id="s-title" name="title" type="text" maxlength="200" required value="{{TITLE}}"{{#ERR_TITLE}} aria-invalid="true" aria-describedby="s-title-err"{{/ERR_TITLE}}>
{{#ERR_TITLE}}<p class="field-error" id="s-title-err">{{TEXT}}</p>{{/ERR_TITLE}}
</div>
<div class="field">
<label for="s-slug">Slug</label>
<input id="s-slug" name="slug" type="text" maxlength="63" required value="{{SLUG}}" aria-describedby="s-slug-hint{{#ERR_SLUG}} s-slug-err{{/ERR_SLUG}}"{{#ERR_SLUG}} aria-invalid="true"{{/ERR_SLUG}}>
<p class="hint" id="s-slug-hint">Changing it moves the mounts to the new name.</p>
{{#ERR_SLUG}}<p class="field-error" id="s-slug-err">{{TEXT}}</p>{{/ERR_SLUG}}
</div>
<div class="field">
<label for="s-description">Description</label>
<textarea id="s-description" name="description" rows="3" maxlength="5000"{{#ERR_DESCRIPTION}} aria-invalid="true"{{/ERR_DESCRIPTION}}>{{DESCRIPTION}}</textarea>
{{#ERR_DESCRIPTION}}<p class="field-error">{{TEXT}}</p>{{/ERR_DESCRIPTION}}
</div>
<div class="field">
<label for="s-placeholder">Placeholder track</label>
<select id="s-placeholder" name="placeholder_track_id" aria-describedby="s-placeholder-hint"{{#ERR_PLACEHOLDER_TRACK_ID}} aria-invalid="true"{{/ERR_PLACEHOLDER_TRACK_ID}}>
{{#PLACEHOLDER_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/PLACEHOLDER_OPT}}</select>
<p class="hint" id="s-placeholder-hint">Loops while the queue is empty. To choose another, search the catalog above: the matches are offered here.</p>
{{#ERR_PLACEHOLDER_TRACK_ID}}<p class="field-error">{{TEXT}}</p>{{/ERR_PLACEHOLDER_TRACK_ID}}
</div>
<div class="field checkbox"><label><input type="checkbox" name="auto_end_enabled" value="1"{{#AUTO_END_CHECKED}} checked{{/AUTO_END_CHECKED}}> End the stream automatically when nobody listens</label></div>
<div class="field">
<label for="s-timeout">Auto-end timeout (seconds)</label>
<input id="s-timeout" name="auto_end_timeout_s" type="number" min="10" max="86400" required value="{{AUTO_END_TIMEOUT_S}}"{{#ERR_AUTO_END_TIMEOUT_S}} aria-invalid="true" aria-describedby="s-timeout-err"{{/ERR_AUTO_END_TIMEOUT_S}}>
{{#ERR_AUTO_END_TIMEOUT_S}}<p class="field-error" id="s-timeout-err">{{TEXT}}</p>{{/ERR_AUTO_END_TIMEOUT_S}}
</div>
<div class="field checkbox"><label><input type="checkbox" name="public" value="1"{{#PUBLIC_CHECKED}} checked{{/PUBLIC_CHECKED}}> Public: show it on the status page</label></div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Save settings</button><a class="btn btn-quiet" href="{{BASE}}">Reset</a></div>
</form>
</section>
{{/SETTINGS}}
{{#DANGER}}
<section class="panel danger-zone" aria-labelledby="danger-h">
<h2 id="danger-h">Delete</h2>
<p>Deleting stops the stream and drops its queue. Its sessions and history stay.</p>
<p><a class="btn btn-danger" href="{{BASE}}/delete" id="delete-stream">Delete this stream…</a></p>
</section>
{{/DANGER}}
