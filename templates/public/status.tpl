{{%AUTOESCAPE context="HTML"}}
{{!-- The public status page (/): the live public streams, what each plays, its listeners and
a player. No login, no JavaScript, nothing private (fcgi/public_views.h). --}}
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sattva · live now</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<main class="page">
<header class="brand">
<img src="/static/favicon.svg" alt="" width="48" height="48">
<h1>Sattva</h1>
</header>
<p class="lead">24/7 audio streams. Pick one and press play.</p>
<section aria-labelledby="live-title">
<h2 id="live-title">Live now</h2>
{{#NONE}}<p class="none" id="no-streams">No stream is live right now. Check back soon.</p>{{/NONE}}
<ul class="streams" id="public-streams">
{{#STREAM}}
<li class="stream" data-slug="{{SLUG}}">
<div class="stream-head">
<h3 class="stream-title">{{TITLE}}</h3>
<span class="listeners"><span class="count">{{LISTENERS}}</span> {{LISTENERS_WORD}}</span>
</div>
{{#DESCRIPTION}}<p class="description">{{TEXT}}</p>{{/DESCRIPTION}}
{{#NOW}}<div class="now">
<p><span class="now-label">Now playing</span> <span class="now-title">{{TRACK_TITLE}}</span>{{#ARTIST}} <span class="now-by">by</span> <span class="now-artist">{{TEXT}}</span>{{/ARTIST}}</p>
{{#PROGRESS}}<p class="progress-line"><progress class="now-progress" max="{{MAX}}" value="{{VALUE}}">{{POSITION_TEXT}}</progress> <span class="times">{{POSITION_TEXT}} / {{DURATION_TEXT}}</span></p>{{/PROGRESS}}
</div>{{/NOW}}
{{#NO_NOW}}<p class="now between">Between tracks.</p>{{/NO_NOW}}
<audio class="player" controls preload="none">
<source src="{{OGG}}" type="audio/ogg">
<source src="{{MP3}}" type="audio/mpeg">
<a href="{{MP3}}">Listen (MP3)</a>
</audio>
<p class="mounts"><a href="{{OGG}}">Ogg/Opus</a> · <a href="{{MP3}}">MP3</a></p>
</li>
{{/STREAM}}
</ul>
<p class="updated">As of <time datetime="{{GENERATED_AT}}">{{GENERATED_TEXT}}</time>. Reload for the latest.</p>
</section>
<ul class="links">
<li><a href="/admin/">Admin panel</a> <span>streams, queues, tracks and users (sign-in required)</span></li>
<li><a href="/api/v1/public/now-playing">Now playing as JSON</a> <span>the same list for other sites and bots</span></li>
</ul>
</main>
</body>
</html>
