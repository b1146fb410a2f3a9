{{%AUTOESCAPE context="HTML"}}
{{!-- One running stream on /admin/monitoring (fcgi/admin/monitoring_views.h, FillCard). The
page also renders it empty inside <template id="stream-card-template">, which
static/js/monitoring.js clones for streams that start later: one markup for both. --}}
<li class="card stream-card" data-stream-id="{{ID}}" data-slug="{{SLUG}}" data-queue-version="{{QUEUE_VERSION}}">
<div class="stream-card-head">
<h3 class="stream-title"><a href="/admin/streams/{{ID}}">{{TITLE}}</a></h3>
<span class="badge state-{{STATE}} stream-state">{{STATE}}</span>
</div>
<div class="now {{IDLE}}" data-item-id="{{ITEM_ID}}" data-position-ms="{{POSITION_MS}}" data-position-at-ms="{{POSITION_AT_MS}}" data-duration-ms="{{DURATION_MS}}"{{#LOOPING}} data-looping="1"{{/LOOPING}}>
<p class="now-line"><strong class="now-title">{{NOW_TITLE}}</strong> <span class="now-artist muted">{{NOW_ARTIST}}</span></p>
<progress class="now-progress" max="{{MAX}}" value="{{VALUE}}">{{NOW_POSITION}} of {{NOW_DURATION}}</progress>
<p class="muted small now-times"><span class="now-position">{{NOW_POSITION}}</span> / <span class="now-duration">{{NOW_DURATION}}</span></p>
</div>
<p class="auto-end {{AUTO_END_CLASS}}" data-deadline-ms="{{DEADLINE_MS}}"{{#AUTO_END_HIDDEN}} hidden{{/AUTO_END_HIDDEN}}>Ends in <span class="auto-end-left">{{AUTO_END_TEXT}}</span> without listeners</p>
<dl class="facts stream-facts">
<dt>Listeners</dt><dd><span class="listeners-total">{{LISTENERS}}</span> <span class="muted">(<span class="listeners-live">{{LISTENERS_LIVE}}</span> live, <span class="listeners-bridge">{{LISTENERS_BRIDGE}}</span> in the call)</span></dd>
<dt>Queued</dt><dd><span class="queue-length">{{QUEUE_LENGTH}}</span></dd>
</dl>
<ol class="queue-head" aria-label="Next up">
{{#HEAD}}<li data-item-id="{{ITEM_ID}}"><span class="queue-title">{{TITLE}}</span>{{#ARTIST}} <span class="muted">— {{TEXT}}</span>{{/ARTIST}}</li>
{{/HEAD}}</ol>
<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{{SPARK_W}}" height="{{SPARK_H}}" viewBox="0 0 {{SPARK_W}} {{SPARK_H}}" role="img" aria-label="{{SPARK_LABEL}}" focusable="false" data-values="{{SPARK_VALUES}}" data-last-minute-ms="{{SPARK_MINUTE}}"><polyline class="sparkline-line" points="{{SPARK_POINTS}}" fill="none" stroke="#9a4a17" stroke-width="1.5"/></svg>
</li>
