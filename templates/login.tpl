{{%AUTOESCAPE context="HTML"}}
<section class="card auth-card" aria-labelledby="login-title">
<h1 id="login-title">Sign in</h1>
<p class="muted">Sattva admin panel</p>
{{#NOTICE}}<div class="flash flash-info" role="status"><p>{{TEXT}}</p></div>{{/NOTICE}}
{{#ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/ERROR}}
<form method="post" action="/admin/login" class="stack">
<input type="hidden" name="next" value="{{NEXT}}">
<div class="field">
<label for="login-email">Email</label>
<input id="login-email" name="email" type="email" autocomplete="username" required maxlength="254" value="{{EMAIL}}"{{#FOCUS_EMAIL}} autofocus{{/FOCUS_EMAIL}}>
</div>
<div class="field">
<label for="login-password">Password</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" required maxlength="1024"{{#FOCUS_PASSWORD}} autofocus{{/FOCUS_PASSWORD}}>
</div>
<button type="submit" class="btn btn-primary btn-block">Sign in</button>
</form>
</section>
