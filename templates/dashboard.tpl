{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
<h1>Dashboard</h1>
<p class="muted">Signed in as {{NAME}}</p>
</div>
<ul class="cards" aria-label="Counts">
{{#CARD}}
<li class="card stat">
{{#LINK}}<a class="stat-link" href="{{HREF}}">{{/LINK}}
<span class="stat-label">{{LABEL}}</span>
<span class="stat-value">{{VALUE}}</span>
{{#HINT}}<span class="stat-hint">{{TEXT}}</span>{{/HINT}}
{{#LINK}}</a>{{/LINK}}
</li>
{{/CARD}}
</ul>
{{#RECENT}}
<section class="panel" aria-labelledby="recent-title">
<div class="panel-head">
<h2 id="recent-title">Recent activity</h2>
<a href="/admin/audit">Full audit log</a>
</div>
{{#NONE}}<p class="empty">Nothing has happened yet.</p>{{/NONE}}
<ul class="activity">
{{#ROW}}
<li><time datetime="{{TIME}}">{{TIME_TEXT}}</time> <span class="actor">{{ACTOR}}</span> <code>{{ACTION}}</code> <span class="muted">{{TARGET}}</span></li>
{{/ROW}}
</ul>
</section>
{{/RECENT}}
