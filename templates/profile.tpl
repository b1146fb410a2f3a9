{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
<div>
<h1>Your profile</h1>
<p class="muted">{{EMAIL}}</p>
</div>
<p class="badges"><span class="badge role-{{ROLE}}">{{ROLE}}</span></p>
</div>
<div class="columns">
<section class="panel" aria-labelledby="p-profile-title">
<h2 id="p-profile-title">Profile</h2>
{{#PROFILE_ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/PROFILE_ERROR}}
<form method="post" action="/admin/profile" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="p-name">Display name</label>
<input id="p-name" name="display_name" type="text" maxlength="200" value="{{DISPLAY_NAME}}">
</div>
<div class="field">
<label for="p-tg">Telegram ID</label>
<input id="p-tg" name="telegram_id" type="text" inputmode="numeric" pattern="[0-9]*" maxlength="19" value="{{TELEGRAM_ID}}" aria-describedby="p-tg-hint">
<p class="hint" id="p-tg-hint">A positive number; leave empty for none.</p>
</div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Save profile</button></div>
</form>
<dl class="facts">
<dt>Member since</dt><dd><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></dd>
<dt>Last login</dt><dd>{{#LAST_LOGIN}}<time datetime="{{ISO}}">{{TEXT}}</time>{{/LAST_LOGIN}}{{#LAST_LOGIN_NEVER}}never{{/LAST_LOGIN_NEVER}}</dd>
</dl>
<details class="perms">
<summary>What your role can do</summary>
<ul>
{{#PERMISSION}}<li>{{TEXT}}</li>
{{/PERMISSION}}
</ul>
</details>
</section>
<section class="panel" aria-labelledby="p-password-title">
<h2 id="p-password-title">Password</h2>
{{#PASSWORD_ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/PASSWORD_ERROR}}
{{#NO_PASSWORD}}<p class="muted">Your account has no password. Ask an admin to set one.</p>{{/NO_PASSWORD}}
{{#HAS_PASSWORD}}
<form method="post" action="/admin/profile/password" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="p-current">Current password</label>
<input id="p-current" name="current_password" type="password" autocomplete="current-password" required maxlength="1024">
</div>
<div class="field">
<label for="p-new">New password</label>
<input id="p-new" name="new_password" type="password" autocomplete="new-password" required minlength="{{MIN}}" maxlength="1024" aria-describedby="p-new-hint">
<p class="hint" id="p-new-hint">At least {{MIN}} characters. Your other sessions will be signed out.</p>
</div>
<div class="field">
<label for="p-confirm">New password again</label>
<input id="p-confirm" name="confirm_password" type="password" autocomplete="new-password" required minlength="{{MIN}}" maxlength="1024">
</div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Change password</button></div>
</form>
{{/HAS_PASSWORD}}
</section>
</div>
<section class="panel" aria-labelledby="p-tokens-title">
<h2 id="p-tokens-title">API tokens</h2>
<p class="muted">For bots and voice-call connectors: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you, with your role.</p>
{{#NO_TOKENS}}<p class="empty">You have no API tokens.</p>{{/NO_TOKENS}}
{{#TOKENS}}
<div class="table-wrap">
<table class="data">
<caption class="visually-hidden">Your API tokens</caption>
<thead>
<tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr>
</thead>
<tbody>
{{#TOKEN}}
<tr>
<th scope="row">{{NAME}}</th>
<td><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></td>
<td>{{#LAST_USED}}<time datetime="{{ISO}}">{{TEXT}}</time>{{/LAST_USED}}{{#LAST_USED_NEVER}}<span class="muted">never</span>{{/LAST_USED_NEVER}}</td>
<td>{{#LIVE}}<span class="badge status-active">active</span>{{/LIVE}}{{#REVOKED}}<span class="badge status-deleted">revoked</span> <span class="muted">{{TEXT}}</span>{{/REVOKED}}</td>
<td class="row-actions">{{#LIVE}}<form method="post" action="/admin/profile/tokens/{{ID}}/revoke" class="inline">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<button type="submit" class="btn btn-small btn-danger-quiet">Revoke<span class="visually-hidden"> {{NAME}}</span></button>
</form>{{/LIVE}}</td>
</tr>
{{/TOKEN}}
</tbody>
</table>
</div>
{{/TOKENS}}
{{#TOKEN_ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/TOKEN_ERROR}}
<form method="post" action="/admin/profile/tokens" class="filters">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field grow">
<label for="p-token-name">New token name</label>
<input id="p-token-name" name="name" type="text" required maxlength="100" value="{{TOKEN_NAME}}" placeholder="e.g. telegram-connector">
</div>
<div class="field actions"><button type="submit" class="btn btn-primary">Create token</button></div>
</form>
</section>
