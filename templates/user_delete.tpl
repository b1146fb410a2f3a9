{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/users">Users</a></li><li><a href="/admin/users/{{ID}}">{{EMAIL}}</a></li><li><span aria-current="page">Delete</span></li></ol></nav>
<div class="page-head"><h1>Delete this user?</h1></div>
<section class="panel narrow danger-zone">
<dl class="facts">
<dt>Email</dt><dd>{{EMAIL}}</dd>
<dt>Name</dt><dd>{{DISPLAY_NAME}}</dd>
<dt>Role</dt><dd>{{ROLE}}</dd>
<dt>Status</dt><dd>{{STATUS}}</dd>
</dl>
<div class="flash flash-error"><p><strong>Warning:</strong> the user is signed out at once, their API tokens are revoked and they can no longer log in.</p></div>
<form method="post" action="/admin/users/{{ID}}/delete" class="form-actions">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<button type="submit" class="btn btn-danger">Delete user</button>
<a class="btn btn-quiet" href="/admin/users/{{ID}}">Cancel</a>
</form>
</section>
