{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/tracks">Tracks</a></li><li><span aria-current="page">{{TITLE}}</span></li></ol></nav>
<div class="page-head">
<div>
<h1 id="track-heading">{{TITLE}}</h1>
<p class="muted">{{ARTIST}}</p>
</div>
<p class="badges"><span class="badge source-{{SOURCE_KIND}}">{{SOURCE_KIND}}</span></p>
</div>
<section class="panel" aria-labelledby="listen-title">
<h2 id="listen-title">Listen</h2>
{{#PLAYER}}<audio id="track-audio" class="track-audio" controls preload="metadata" src="{{SRC}}">Your browser cannot play this audio; <a href="{{SRC}}">download it</a>.</audio>{{/PLAYER}}
{{#REMOTE}}<p id="track-remote">This track is played from a URL and has no local file to play here. Open it at its source: <a href="{{URL}}" rel="noopener noreferrer nofollow" target="_blank">{{URL}}</a></p>{{/REMOTE}}
</section>
<div class="columns">
<section class="panel" aria-labelledby="facts-title">
<h2 id="facts-title">Track</h2>
<dl class="facts" id="track-facts">
<dt>ID</dt><dd>{{ID}}</dd>
<dt>Source</dt><dd><code class="break">{{SOURCE}}</code></dd>
<dt>Duration</dt><dd>{{DURATION}}</dd>
<dt>Codec</dt><dd><code>{{CODEC}}</code></dd>
<dt>Bitrate</dt><dd>{{BITRATE}}</dd>
<dt>Sample rate</dt><dd>{{SAMPLE_RATE}}</dd>
<dt>Channels</dt><dd>{{CHANNELS}}</dd>
<dt>Size</dt><dd>{{SIZE}}</dd>
<dt>Added by</dt><dd>{{#ADDED_BY_LINK}}<a href="{{HREF}}">{{LABEL}}</a>{{/ADDED_BY_LINK}}{{#ADDED_BY_TEXT}}{{LABEL}}{{/ADDED_BY_TEXT}}{{#ADDED_BY_NONE}}<span class="muted">unknown</span>{{/ADDED_BY_NONE}}</dd>
<dt>Added</dt><dd><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></dd>
<dt>Played</dt><dd id="play-count" data-count="{{PLAY_COUNT}}">{{PLAY_COUNT}} {{PLAY_COUNT_TEXT}}</dd>
</dl>
{{#AUDIT_LINK}}<p><a href="{{HREF}}">Audit history of this track</a></p>{{/AUDIT_LINK}}
</section>
<section class="panel" aria-labelledby="queued-title">
<h2 id="queued-title">Queued in</h2>
{{#NOT_QUEUED}}<p id="queued-in" class="muted">No stream's queue holds this track.</p>{{/NOT_QUEUED}}
{{#QUEUED}}<ul id="queued-in">
{{#STREAM}}<li data-stream-id="{{ID}}"><a href="/admin/streams/{{ID}}">{{TITLE}}</a>: {{ITEMS}}{{#GONE}} <span class="muted">(stream deleted)</span>{{/GONE}}</li>
{{/STREAM}}</ul>{{/QUEUED}}
</section>
</div>
{{#EDIT}}
<section class="panel" aria-labelledby="edit-title">
<h2 id="edit-title">Edit</h2>
{{#ERROR}}<div class="flash flash-error" role="alert" id="track-form-error"><p>{{TEXT}}</p></div>{{/ERROR}}
<form method="post" action="/admin/tracks/{{ID}}" id="track-form" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="t-title">Title</label>
<input id="t-title" name="title" type="text" required maxlength="500" value="{{FORM_TITLE}}">
</div>
<div class="field">
<label for="t-artist">Artist</label>
<input id="t-artist" name="artist" type="text" maxlength="500" value="{{FORM_ARTIST}}">
</div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Save</button></div>
</form>
</section>
{{/EDIT}}
{{#DANGER}}
<section class="panel danger-zone" aria-labelledby="danger-title">
<h2 id="danger-title">Danger zone</h2>
<p>Deleting removes the track from the catalog. Queue items that hold it stay and are skipped when their turn comes; play history keeps it.</p>
<p><a class="btn btn-danger-quiet" id="delete-link" href="/admin/tracks/{{ID}}/delete">Delete track…</a></p>
</section>
{{/DANGER}}
