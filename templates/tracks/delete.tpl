{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/tracks">Tracks</a></li><li><a href="/admin/tracks/{{ID}}">{{TITLE}}</a></li><li><span aria-current="page">Delete</span></li></ol></nav>
<div class="page-head"><h1>Delete this track?</h1></div>
<section class="panel narrow danger-zone">
{{#ERROR}}<div class="flash flash-error" role="alert" id="delete-error"><p>{{TEXT}}</p></div>{{/ERROR}}
<dl class="facts">
<dt>Title</dt><dd>{{TITLE}}</dd>
<dt>Artist</dt><dd>{{ARTIST}}</dd>
<dt>Source</dt><dd>{{SOURCE_KIND}}</dd>
</dl>
<div id="delete-consequences">
{{#NOT_QUEUED}}<p>No queue holds this track.</p>{{/NOT_QUEUED}}
{{#QUEUED}}<p><strong>{{ITEMS}}</strong> in {{STREAMS}} hold this track. They stay in their queues and are skipped when their turn comes.</p>{{/QUEUED}}
<p>Play history keeps its rows. The file itself is not removed.</p>
</div>
{{#PLACEHOLDER}}<div class="flash flash-error" role="alert"><p>This track is the placeholder of {{#STREAM}}<a href="/admin/streams/{{ID}}">{{SLUG}}</a>{{#STREAM_separator}}, {{/STREAM_separator}}{{/STREAM}}. Give those streams another placeholder first; until then it cannot be deleted.</p></div>{{/PLACEHOLDER}}
<form method="post" action="/admin/tracks/{{ID}}/delete" class="form-actions">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
{{#CAN_DELETE}}<button type="submit" class="btn btn-danger">Delete track</button>{{/CAN_DELETE}}
<a class="btn btn-quiet" href="/admin/tracks/{{ID}}">Cancel</a>
</form>
</section>
