{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/streams">Streams</a></li><li><a href="/admin/streams/{{ID}}">{{TITLE}}</a></li><li><span aria-current="page">Clear the queue</span></li></ol></nav>
<div class="page-head"><h1>Clear the queue?</h1></div>
<section class="panel narrow danger-zone">
<p>All {{QUEUE_LENGTH}} queued items of “{{TITLE}}” are removed. What plays now keeps playing; then the placeholder loops until something is added.</p>
<form method="post" action="/admin/streams/{{ID}}/queue/clear" class="form-actions" id="clear-queue-form">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<input type="hidden" name="if_version" value="{{VERSION}}">
<button type="submit" class="btn btn-danger" id="confirm-clear">Clear the queue</button>
<a class="btn btn-quiet" href="/admin/streams/{{ID}}#queue">Cancel</a>
</form>
</section>
