{{%AUTOESCAPE context="HTML"}}
{{!-- The page around every admin body: head, top bar with navigation, flash message. --}}
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{TITLE}} · Sattva admin</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/admin.css">
{{#STYLE}}<link rel="stylesheet" href="{{HREF}}">
{{/STYLE}}{{#SCRIPT}}<script src="{{SRC}}" defer></script>
{{/SCRIPT}}</head>
<body class="{{#ANON}}anon{{/ANON}}{{#NAV}}signed-in{{/NAV}}">
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
<div class="topbar-inner">
<a class="brand" href="/admin/"><img src="/static/favicon.svg" alt="" width="26" height="26"><span>Sattva</span></a>
{{#NAV}}
<nav class="mainnav" aria-label="Main">
<ul>
{{#NAV_ITEM}}
<li><a href="{{HREF}}"{{#CURRENT}} aria-current="page"{{/CURRENT}}>{{LABEL}}</a></li>
{{/NAV_ITEM}}
</ul>
</nav>
<div class="usermenu">
<a class="whoami" href="/admin/profile"{{#PROFILE_CURRENT}} aria-current="page"{{/PROFILE_CURRENT}}><span class="visually-hidden">Your profile: </span>{{USER_EMAIL}}</a>
<span class="badge role-{{USER_ROLE}}">{{USER_ROLE}}</span>
<form method="post" action="/admin/logout" class="inline">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<button type="submit" class="btn btn-quiet btn-small">Log out</button>
</form>
</div>
{{/NAV}}
</div>
</header>
<main id="main" class="content" tabindex="-1">
{{#FLASH}}
<div class="flash flash-{{KIND}}" role="{{ROLE}}">
<p>{{TEXT}}</p>
{{#SECRET}}<p><code class="secret">{{VALUE}}</code></p>{{/SECRET}}
</div>
{{/FLASH}}
{{>BODY}}
</main>
<footer class="footer"><p>Sattva · 24/7 audio streams</p></footer>
</body>
</html>
