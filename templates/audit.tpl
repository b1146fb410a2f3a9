{{%AUTOESCAPE context="HTML"}}
<div class="page-head"><h1>Audit log</h1></div>
<form method="get" action="/admin/audit" class="filters" role="search" aria-label="Filter the audit log">
<div class="field">
<label for="a-actor">Actor</label>
<input id="a-actor" name="actor" type="text" value="{{ACTOR}}" placeholder="User ID or email" maxlength="320">
</div>
<div class="field">
<label for="a-action">Action</label>
<input id="a-action" name="action" type="text" value="{{ACTION}}" list="a-actions" placeholder="user.update or user." maxlength="100">
<datalist id="a-actions">
{{#KNOWN_ACTION}}<option value="{{NAME}}">
{{/KNOWN_ACTION}}
</datalist>
</div>
<div class="field">
<label for="a-ttype">Target type</label>
<input id="a-ttype" name="target_type" type="text" value="{{TARGET_TYPE}}" list="a-ttypes" maxlength="50">
<datalist id="a-ttypes">
{{#KNOWN_TARGET}}<option value="{{NAME}}">
{{/KNOWN_TARGET}}
</datalist>
</div>
<div class="field">
<label for="a-tid">Target ID</label>
<input id="a-tid" name="target_id" type="text" value="{{TARGET_ID}}" maxlength="100">
</div>
<div class="field">
<label for="a-since">From</label>
<input id="a-since" name="since" type="date" value="{{SINCE}}">
</div>
<div class="field">
<label for="a-until">To</label>
<input id="a-until" name="until" type="date" value="{{UNTIL}}">
</div>
{{#HIDDEN}}<input type="hidden" name="{{NAME}}" value="{{VALUE}}">
{{/HIDDEN}}
<div class="field actions">
<button type="submit" class="btn">Apply</button>
{{#FILTERED}}<a class="btn btn-quiet" href="/admin/audit">Clear</a>{{/FILTERED}}
</div>
<div class="field actions">
<a class="btn btn-quiet export-csv" href="{{EXPORT_CSV_HREF}}" download>Export CSV</a>
<a class="btn btn-quiet export-json" href="{{EXPORT_JSON_HREF}}" download>Export JSON</a>
</div>
</form>
{{#NOTICE}}<div class="flash flash-info" role="status"><p>{{TEXT}}</p></div>{{/NOTICE}}
<p class="summary" id="audit-summary">{{SUMMARY}}</p>
{{#EMPTY}}<p class="empty">No entries to show.</p>{{/EMPTY}}
{{#TABLE}}
<div class="table-wrap">
<table class="data audit" aria-describedby="audit-summary">
<caption class="visually-hidden">Audit log entries, newest first</caption>
<thead>
<tr>
<th scope="col">Time</th>
<th scope="col">Actor</th>
<th scope="col">Action</th>
<th scope="col">Target</th>
<th scope="col">Changes</th>
<th scope="col">IP</th>
</tr>
</thead>
<tbody>
{{#ROW}}
<tr>
<td class="nowrap"><time datetime="{{TIME}}">{{TIME_TEXT}}</time></td>
<td>{{#ACTOR_LINK}}<a href="{{HREF}}">{{TEXT}}</a>{{/ACTOR_LINK}}{{#ACTOR_TEXT}}{{TEXT}}{{/ACTOR_TEXT}}</td>
<th scope="row"><code>{{ACTION}}</code></th>
<td>{{#TARGET_LINK}}<a href="{{HREF}}">{{TEXT}}</a>{{/TARGET_LINK}}{{#TARGET_TEXT}}{{TEXT}}{{/TARGET_TEXT}}{{#NO_TARGET}}<span class="muted">—</span>{{/NO_TARGET}}</td>
<td>{{#CHANGES}}<pre class="json">{{JSON:pre_escape}}</pre>{{/CHANGES}}{{#NO_CHANGES}}<span class="muted">—</span>{{/NO_CHANGES}}</td>
<td class="nowrap"><span title="{{USER_AGENT}}">{{IP}}</span></td>
</tr>
{{/ROW}}
</tbody>
</table>
</div>
{{/TABLE}}
{{#PAGER}}
<div class="pager" role="navigation" aria-label="Pages">
{{#PREV}}<a class="btn btn-small" rel="prev" href="{{HREF}}">← Newer</a>{{/PREV}}{{#NO_PREV}}<span class="btn btn-small disabled" aria-disabled="true">← Newer</span>{{/NO_PREV}}
<span class="pager-pos">Page {{PAGE}} of {{PAGES}}</span>
{{#NEXT}}<a class="btn btn-small" rel="next" href="{{HREF}}">Older →</a>{{/NEXT}}{{#NO_NEXT}}<span class="btn btn-small disabled" aria-disabled="true">Older →</span>{{/NO_NEXT}}
</div>
{{/PAGER}}
