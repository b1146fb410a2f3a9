{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
<h1>Dashboard</h1>
<p class="muted">Signed in as {{NAME}}</p>
</div>
{{#GROUP}}
<section class="dash-group" id="{{GID}}" aria-labelledby="{{GID}}-title">
<h2 id="{{GID}}-title">{{GTITLE}}</h2>
<ul class="cards">
{{#CARD}}
<li class="card stat" id="card-{{KEY}}">
{{#LINK}}<a class="stat-link" href="{{HREF}}">{{/LINK}}
<span class="stat-label">{{LABEL}}</span>
<span class="stat-value">{{VALUE}}</span>
{{#HINT}}<span class="stat-hint">{{TEXT}}</span>{{/HINT}}
{{#LINK}}</a>{{/LINK}}
</li>
{{/CARD}}
</ul>
</section>
{{/GROUP}}
<div class="dash-charts">
<section class="panel" id="listeners-panel" aria-label="Listeners">
{{>LISTENER_CHART}}
</section>
<section class="panel" id="plays-panel" aria-label="Plays">
{{>PLAYS_CHART}}
</section>
</div>
{{#RECENT}}
<section class="panel" aria-labelledby="recent-title">
<div class="panel-head">
<h2 id="recent-title">Recent activity</h2>
<a href="/admin/audit">Full audit log</a>
</div>
{{#NONE}}<p class="empty">Nothing has happened yet.</p>{{/NONE}}
<ul class="activity" id="recent-activity">
{{#ROW}}
<li><time datetime="{{TIME}}">{{TIME_TEXT}}</time> <span class="actor">{{ACTOR}}</span> <code>{{ACTION}}</code> {{#TARGET_LINK}}<span class="target"><a href="{{HREF}}">{{TEXT}}</a></span>{{/TARGET_LINK}}{{#TARGET_TEXT}}<span class="target muted">{{TEXT}}</span>{{/TARGET_TEXT}}</li>
{{/ROW}}
</ul>
</section>
{{/RECENT}}
