{{%AUTOESCAPE context="HTML"}}
{{!-- /admin/monitoring (fcgi/admin/monitoring_views.h, FillMonitoring): the figures as of the
page's load; static/js/monitoring.js keeps them live over /ws/stats. docs/admin.md lists the
ids and classes. --}}
<div class="page-head">
<div>
<h1>Monitoring</h1>
<p class="muted">Streams, listeners and streamer hosts, live.</p>
</div>
<p class="connection" id="connection" data-state="offline" role="status" aria-live="polite"><span class="connection-dot" aria-hidden="true"></span> <span id="connection-text">offline</span></p>
</div>
<div id="monitoring" data-now-ms="{{NOW_MS}}" data-ws-path="/ws/stats">
<section class="panel" id="system" aria-labelledby="system-h">
<h2 id="system-h">System</h2>
<ul class="cards mon-stats">
{{#STAT}}<li class="card stat" id="stat-{{KEY}}"><span class="stat-label">{{LABEL}}</span> <span class="stat-value">{{VALUE}}</span> <span class="stat-hint">{{HINT}}</span></li>
{{/STAT}}</ul>
<div class="table-wrap">
<table class="data" id="streamers">
<caption class="visually-hidden">Streamer hosts</caption>
<thead><tr><th scope="col">Streamer</th><th scope="col">PID</th><th scope="col">CPU</th><th scope="col">Memory</th><th scope="col">RSS</th><th scope="col">Uptime</th><th scope="col">Streams</th></tr></thead>
<tbody>
{{#STREAMER}}<tr data-streamer-id="{{ID}}"><th scope="row" class="host">{{HOST}}</th><td class="pid">{{PID}}</td><td class="cpu">{{CPU}}</td><td class="memory">{{MEMORY}}</td><td class="rss">{{RSS}}</td><td class="uptime">{{UPTIME}}</td><td class="streams">{{STREAMS}}</td></tr>
{{/STREAMER}}</tbody>
</table>
</div>
<p class="empty" id="no-streamers"{{#NO_STREAMERS_HIDDEN}} hidden{{/NO_STREAMERS_HIDDEN}}>No streamer is running: streams cannot play.</p>
</section>
<section class="mon-streams" aria-labelledby="streams-h">
<h2 id="streams-h">Running streams</h2>
<p class="empty" id="no-streams"{{#NO_STREAMS_HIDDEN}} hidden{{/NO_STREAMS_HIDDEN}}>No stream is running.</p>
<ul class="stream-cards" id="stream-cards">
{{>CARD}}</ul>
<template id="stream-card-template">{{>CARD_TEMPLATE}}</template>
</section>
<section class="panel" id="event-log-panel" aria-labelledby="events-h">
<div class="panel-head">
<h2 id="events-h">Events</h2>
<p class="event-filter"><label for="event-filter">Show</label> <select id="event-filter">
<option value="">all types</option>
{{#EVENT_TYPE}}<option value="{{TYPE}}">{{TYPE}}</option>
{{/EVENT_TYPE}}</select></p>
</div>
<p class="empty" id="event-log-empty">The last 50 events appear here while the page is live.</p>
<ol class="event-log" id="event-log" reversed></ol>
</section>
</div>
