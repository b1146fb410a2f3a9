{{%AUTOESCAPE context="HTML"}}
{{!-- The stream page's sessions and play history (fcgi/admin/history_section.cc). --}}
<section class="panel" id="history-panel" aria-labelledby="history-heading">
<div class="panel-head">
<h2 id="history-heading">Sessions and play history</h2>
<p class="form-actions">
<a class="btn btn-small export-csv" id="history-export-csv" href="{{EXPORT_CSV_HREF}}" download>Export history as CSV</a>
<a class="btn btn-small export-json" id="history-export-json" href="{{EXPORT_JSON_HREF}}" download>Export as JSON</a>
</p>
</div>
<form method="get" action="{{FORM_ACTION}}" class="filters" id="history-filters" role="search" aria-label="Filter sessions and play history">
<div class="field">
<label for="h-since">From</label>
<input id="h-since" name="history_since" type="date" value="{{SINCE}}">
</div>
<div class="field">
<label for="h-until">To</label>
<input id="h-until" name="history_until" type="date" value="{{UNTIL}}">
</div>
<div class="field">
<label for="h-status">End reason</label>
<select id="h-status" name="history_status">
{{#STATUS_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/STATUS_OPT}}
</select>
</div>
{{#HIDDEN}}<input type="hidden" name="{{NAME}}" value="{{VALUE}}">
{{/HIDDEN}}
<div class="field actions">
<button type="submit" class="btn">Apply</button>
{{#FILTERED}}<a class="btn btn-quiet" href="{{CLEAR_HREF}}">Clear</a>{{/FILTERED}}
</div>
</form>

<h3 id="sessions-heading">Sessions</h3>
<p class="summary" id="sessions-summary">{{SESSIONS_SUMMARY}}</p>
<div class="table-wrap">
<table class="data" id="sessions" aria-describedby="sessions-summary">
<caption class="visually-hidden">Sessions of this stream, newest first</caption>
<thead>
<tr>
<th scope="col">Started</th>
<th scope="col">Ended</th>
<th scope="col">End reason</th>
<th scope="col">Ended by</th>
<th scope="col" class="num">Peak listeners</th>
<th scope="col" class="num">Tracks played</th>
</tr>
</thead>
<tbody>
{{#SESSION}}
<tr data-session-id="{{ID}}">
<th scope="row" class="nowrap"><time datetime="{{STARTED}}">{{STARTED_TEXT}}</time></th>
<td class="nowrap">{{#ENDED}}<time datetime="{{ISO}}">{{TEXT}}</time>{{/ENDED}}{{#OPEN}}<span class="badge status-active">on air</span>{{/OPEN}}</td>
<td>{{#REASON}}<span class="badge {{CLASS}}">{{LABEL}}</span>{{#DETAIL}} <span class="muted">{{TEXT}}</span>{{/DETAIL}}{{/REASON}}</td>
<td>{{#ENDED_BY}}{{NAME}}{{/ENDED_BY}}</td>
<td class="num">{{PEAK}}</td>
<td class="num">{{TRACKS}}</td>
</tr>
{{/SESSION}}
{{#NO_SESSIONS}}<tr><td colspan="6" class="empty">No sessions in this period.</td></tr>{{/NO_SESSIONS}}
</tbody>
</table>
</div>
{{#SESSIONS_PAGER}}
<div class="pager" role="navigation" aria-label="Session pages">
{{#PREV}}<a class="btn btn-small" rel="prev" href="{{HREF}}">← Newer</a>{{/PREV}}{{#NO_PREV}}<span class="btn btn-small disabled" aria-disabled="true">← Newer</span>{{/NO_PREV}}
<span class="pager-pos">Page {{PAGE}} of {{PAGES}}</span>
{{#NEXT}}<a class="btn btn-small" rel="next" href="{{HREF}}">Older →</a>{{/NEXT}}{{#NO_NEXT}}<span class="btn btn-small disabled" aria-disabled="true">Older →</span>{{/NO_NEXT}}
</div>
{{/SESSIONS_PAGER}}

<h3 id="plays-heading">Play history</h3>
<p class="summary" id="history-summary">{{HISTORY_SUMMARY}}</p>
<div class="table-wrap">
<table class="data" id="history" aria-describedby="history-summary">
<caption class="visually-hidden">Tracks this stream played, newest first</caption>
<thead>
<tr>
<th scope="col">Started</th>
<th scope="col">Track</th>
<th scope="col">Queued by</th>
<th scope="col" class="num">Played</th>
<th scope="col">Result</th>
</tr>
</thead>
<tbody>
{{#PLAY}}
<tr data-play-id="{{ID}}" data-end-reason="{{REASON_NAME}}">
<td class="nowrap"><time datetime="{{STARTED}}">{{STARTED_TEXT}}</time></td>
<th scope="row">{{#TRACK_LINK}}<a href="{{HREF}}">{{TITLE}}</a>{{/TRACK_LINK}}{{#TRACK_TEXT}}{{TITLE}}{{/TRACK_TEXT}}{{#ARTIST}} <span class="muted">— {{TEXT}}</span>{{/ARTIST}}</th>
<td class="queued-by">{{#QUEUED_BY}}{{NAME}}{{/QUEUED_BY}}{{#NO_QUEUED_BY}}<span class="muted">—</span>{{/NO_QUEUED_BY}}</td>
<td class="num nowrap">{{PLAYED}}</td>
<td>{{#REASON}}<span class="badge {{CLASS}}">{{LABEL}}</span>{{/REASON}}{{#PLAYING}}<span class="badge status-active">playing</span>{{/PLAYING}}{{#ERROR}} <span class="muted">{{TEXT}}</span>{{/ERROR}}</td>
</tr>
{{/PLAY}}
{{#NO_PLAYS}}<tr><td colspan="5" class="empty">Nothing played that matches.</td></tr>{{/NO_PLAYS}}
</tbody>
</table>
</div>
{{#HISTORY_PAGER}}
<div class="pager" role="navigation" aria-label="Play history pages">
{{#PREV}}<a class="btn btn-small" rel="prev" href="{{HREF}}">← Newer</a>{{/PREV}}{{#NO_PREV}}<span class="btn btn-small disabled" aria-disabled="true">← Newer</span>{{/NO_PREV}}
<span class="pager-pos">Page {{PAGE}} of {{PAGES}}</span>
{{#NEXT}}<a class="btn btn-small" rel="next" href="{{HREF}}">Older →</a>{{/NEXT}}{{#NO_NEXT}}<span class="btn btn-small disabled" aria-disabled="true">Older →</span>{{/NO_NEXT}}
</div>
{{/HISTORY_PAGER}}
</section>
