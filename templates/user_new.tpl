{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/users">Users</a></li><li><span aria-current="page">New user</span></li></ol></nav>
<div class="page-head"><h1>New user</h1></div>
<section class="panel narrow">
{{#ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/ERROR}}
<form method="post" action="/admin/users" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="n-email">Email</label>
<input id="n-email" name="email" type="email" required maxlength="254" autocomplete="off" value="{{EMAIL}}">
</div>
<div class="field">
<label for="n-name">Display name</label>
<input id="n-name" name="display_name" type="text" maxlength="200" value="{{DISPLAY_NAME}}">
</div>
<div class="field">
<label for="n-role">Role</label>
<select id="n-role" name="role">
{{#ROLE_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/ROLE_OPT}}
</select>
</div>
<div class="field">
<label for="n-password">Password</label>
<input id="n-password" name="password" type="password" autocomplete="new-password" minlength="{{MIN}}" maxlength="1024" aria-describedby="n-password-hint">
<p class="hint" id="n-password-hint">At least {{MIN}} characters. Leave empty to generate one; it is shown once on the next page.</p>
</div>
<div class="form-actions">
<button type="submit" class="btn btn-primary">Create user</button>
<a class="btn btn-quiet" href="/admin/users">Cancel</a>
</div>
</form>
</section>
