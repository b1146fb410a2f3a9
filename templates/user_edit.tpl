{{%AUTOESCAPE context="HTML"}}
<nav class="crumbs" aria-label="Breadcrumb"><ol><li><a href="/admin/users">Users</a></li><li><span aria-current="page">{{EMAIL}}</span></li></ol></nav>
<div class="page-head">
<div>
<h1>{{HEADING}}</h1>
{{#SUBTITLE_EMAIL}}<p class="muted">{{EMAIL}}</p>{{/SUBTITLE_EMAIL}}
</div>
<p class="badges"><span class="badge role-{{ROLE}}">{{ROLE}}</span> <span class="badge status-{{STATUS}}">{{STATUS}}</span></p>
</div>
{{#SELF}}<div class="flash flash-info" role="status"><p>This is your own account. You can also change your password and API tokens on <a href="/admin/profile">your profile</a>.</p></div>{{/SELF}}
<div class="columns">
<section class="panel" aria-labelledby="facts-title">
<h2 id="facts-title">Account</h2>
<dl class="facts">
<dt>ID</dt><dd>{{ID}}</dd>
<dt>Email</dt><dd>{{EMAIL}}</dd>
<dt>Telegram ID</dt><dd>{{TELEGRAM_ID_TEXT}}</dd>
<dt>Password</dt><dd>{{PASSWORD_TEXT}}</dd>
<dt>Created</dt><dd><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></dd>
<dt>Updated</dt><dd><time datetime="{{UPDATED_AT}}">{{UPDATED_AT_TEXT}}</time></dd>
<dt>Last login</dt><dd>{{#LAST_LOGIN}}<time datetime="{{ISO}}">{{TEXT}}</time>{{/LAST_LOGIN}}{{#LAST_LOGIN_NEVER}}never{{/LAST_LOGIN_NEVER}}</dd>
</dl>
{{#AUDIT_LINK}}<p><a href="{{HREF}}">Audit history of this user</a></p>{{/AUDIT_LINK}}
</section>
{{#READ_ONLY}}
<section class="panel" aria-labelledby="ro-title">
<h2 id="ro-title">Read only</h2>
<p>{{TEXT}}</p>
</section>
{{/READ_ONLY}}
{{#EDIT}}
<section class="panel" aria-labelledby="edit-title">
<h2 id="edit-title">Edit</h2>
{{#ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/ERROR}}
<form method="post" action="/admin/users/{{ID}}" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="u-name">Display name</label>
<input id="u-name" name="display_name" type="text" maxlength="200" value="{{DISPLAY_NAME}}">
</div>
<div class="field">
<label for="u-tg">Telegram ID</label>
<input id="u-tg" name="telegram_id" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="19" value="{{TELEGRAM_ID}}" aria-describedby="u-tg-hint">
<p class="hint" id="u-tg-hint">A positive number; leave empty for none.</p>
</div>
{{#STATUS_SELECT}}
<div class="field">
<label for="u-status">Status</label>
<select id="u-status" name="status">
{{#OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/OPT}}
</select>
</div>
{{/STATUS_SELECT}}
{{#ROLE_SELECT}}
<div class="field">
<label for="u-role">Role</label>
<select id="u-role" name="role">
{{#OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/OPT}}
</select>
</div>
{{/ROLE_SELECT}}
{{#PASSWORD}}
<div class="field">
<label for="u-password">New password</label>
<input id="u-password" name="password" type="password" autocomplete="new-password" minlength="{{MIN}}" maxlength="1024" aria-describedby="u-password-hint">
<p class="hint" id="u-password-hint">Leave empty to keep the current one. At least {{MIN}} characters. Setting one signs the user out everywhere.</p>
</div>
{{/PASSWORD}}
<div class="form-actions">
<button type="submit" class="btn btn-primary">Save changes</button>
<a class="btn btn-quiet" href="/admin/users/{{ID}}">Reset</a>
</div>
</form>
</section>
{{/EDIT}}
</div>
{{#DELETE}}
<section class="panel danger-zone" aria-labelledby="danger-title">
<h2 id="danger-title">Delete</h2>
<p>Deleting signs the user out, revokes their API tokens and stops them logging in. The record stays for the audit log.</p>
<p><a class="btn btn-danger" href="/admin/users/{{ID}}/delete">Delete this user…</a></p>
</section>
{{/DELETE}}
