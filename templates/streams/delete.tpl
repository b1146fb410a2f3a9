{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/streams">Streams</a></li><li><a href="/admin/streams/{{ID}}">{{TITLE}}</a></li><li><span aria-current="page">Delete</span></li></ol></nav>
<div class="page-head"><h1>Delete this stream?</h1></div>
<section class="panel narrow danger-zone">
<dl class="facts">
<dt>Title</dt><dd>{{TITLE}}</dd>
<dt>Slug</dt><dd><code>{{SLUG}}</code></dd>
<dt>State</dt><dd>{{STATE}}</dd>
<dt>Queue</dt><dd>{{QUEUE_LENGTH}} items</dd>
</dl>
<div class="flash flash-error"><p><strong>Warning:</strong> {{#RUNNING}}the stream stops at once and its listeners are cut off; {{/RUNNING}}its queue is dropped. Its sessions and play history stay, and the slug can be used again.</p></div>
<form method="post" action="/admin/streams/{{ID}}/delete" class="form-actions" id="delete-stream-form">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<button type="submit" class="btn btn-danger" id="confirm-delete">Delete stream</button>
<a class="btn btn-quiet" href="/admin/streams/{{ID}}">Cancel</a>
</form>
</section>
