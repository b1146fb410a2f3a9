{{%AUTOESCAPE context="HTML"}}
{{!-- /admin/streams: the streams list (fcgi/admin/streams_views.h, FillStreamsList). --}}
<div class="page-head">
<h1>Streams</h1>
</div>
{{#NEW_STREAM}}
<details class="panel new-stream"{{#OPEN}} open{{/OPEN}}>
<summary class="btn btn-primary">New stream</summary>
<form method="post" action="/admin/streams" id="new-stream-form" class="stack new-stream-form">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
{{#ERROR}}<div class="flash flash-error" role="alert"><p>{{TEXT}}</p></div>{{/ERROR}}
<div class="field">
<label for="ns-title">Title</label>
<input id="ns-title" name="title" type="text" maxlength="200" required value="{{TITLE}}"{{#ERR_TITLE}} aria-invalid="true" aria-describedby="ns-title-err"{{/ERR_TITLE}}>
{{#ERR_TITLE}}<p class="field-error" id="ns-title-err">{{TEXT}}</p>{{/ERR_TITLE}}
</div>
<div class="field">
<label for="ns-slug">Slug</label>
<input id="ns-slug" name="slug" type="text" maxlength="63" required pattern="[a-z0-9][a-z0-9\-]{0,62}" value="{{SLUG}}" aria-describedby="ns-slug-hint{{#ERR_SLUG}} ns-slug-err{{/ERR_SLUG}}"{{#ERR_SLUG}} aria-invalid="true"{{/ERR_SLUG}}>
<p class="hint" id="ns-slug-hint">Lower-case letters, digits and '-'; the mounts are /live/&lt;slug&gt;.ogg and .mp3.</p>
{{#ERR_SLUG}}<p class="field-error" id="ns-slug-err">{{TEXT}}</p>{{/ERR_SLUG}}
</div>
<div class="field">
<label for="ns-description">Description</label>
<textarea id="ns-description" name="description" rows="2" maxlength="5000"{{#ERR_DESCRIPTION}} aria-invalid="true"{{/ERR_DESCRIPTION}}>{{DESCRIPTION}}</textarea>
{{#ERR_DESCRIPTION}}<p class="field-error">{{TEXT}}</p>{{/ERR_DESCRIPTION}}
</div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Create stream</button></div>
</form>
</details>
{{/NEW_STREAM}}
<form method="get" action="/admin/streams" class="filters" role="search" aria-label="Filter streams">
<div class="field grow">
<label for="f-q">Search</label>
<input id="f-q" name="q" type="search" value="{{Q}}" placeholder="Title or slug" maxlength="200">
</div>
<div class="field">
<label for="f-state">State</label>
<select id="f-state" name="state">
{{#STATE_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/STATE_OPT}}
</select>
</div>
<div class="field">
<label for="f-per-page">Per page</label>
<select id="f-per-page" name="per_page">
{{#PER_PAGE_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/PER_PAGE_OPT}}
</select>
</div>
{{#HIDDEN}}<input type="hidden" name="{{NAME}}" value="{{VALUE}}">
{{/HIDDEN}}
<div class="field actions">
<button type="submit" class="btn">Apply</button>
{{#FILTERED}}<a class="btn btn-quiet" href="{{CLEAR_HREF}}">Clear</a>{{/FILTERED}}
</div>
</form>
<p class="summary" id="streams-summary">{{SUMMARY}}</p>
{{#EMPTY}}<p class="empty">{{TEXT}} {{#FILTERED}}<a href="{{CLEAR_HREF}}">Clear the filters</a>{{/FILTERED}}</p>{{/EMPTY}}
{{#TABLE}}
<div class="table-wrap">
<table class="data streams" id="streams-table" aria-describedby="streams-summary">
<caption class="visually-hidden">Streams; column headings with links sort the list</caption>
<thead><tr>{{>COLUMNS}}<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody>
{{#ROW}}
<tr data-stream-id="{{ID}}">
<td class="num">{{ID}}</td>
<th scope="row"><a href="/admin/streams/{{ID}}">{{TITLE}}</a>{{#HIDDEN_STREAM}} <span class="badge status-hidden" title="Not on the public status page">hidden</span>{{/HIDDEN_STREAM}}</th>
<td><code>{{SLUG}}</code></td>
<td class="nowrap"><span class="badge state-{{STATE}}">{{STATE}}</span>{{#ENDING}} <span class="badge state-ending" data-seconds="{{SECONDS}}">ending in {{TEXT}}</span>{{/ENDING}}</td>
<td class="now-cell">{{#PLAYING}}<span class="now-title">{{TITLE}}</span>{{#ARTIST}} <span class="muted">— {{TEXT}}</span>{{/ARTIST}}{{#DURATION}}<progress max="{{MS}}" value="{{POSITION_MS}}">{{POSITION_TEXT}} of {{TEXT}}</progress>{{/DURATION}}{{/PLAYING}}{{#NOTHING_PLAYING}}<span class="muted">—</span>{{/NOTHING_PLAYING}}</td>
<td class="num nowrap" title="live mount {{LISTENERS_LIVE}}, bridge {{LISTENERS_BRIDGE}}">{{LISTENERS}} <span class="muted small">({{LISTENERS_LIVE}} live · {{LISTENERS_BRIDGE}} bridge)</span></td>
<td class="num">{{QUEUE_LENGTH}}</td>
<td class="small">{{AUTO_END}}</td>
<td class="nowrap small">{{#LAST_END}}{{REASON}}<br><time datetime="{{AT}}">{{AT_TEXT}}</time>{{/LAST_END}}{{#NEVER_ENDED}}<span class="muted">never</span>{{/NEVER_ENDED}}</td>
<td class="nowrap small"><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></td>
<td class="row-actions">{{#CAN_DELETE}}<a class="btn btn-small btn-danger-quiet" href="/admin/streams/{{ID}}/delete">Delete…</a>{{/CAN_DELETE}}</td>
</tr>
{{/ROW}}
</tbody>
</table>
</div>
{{/TABLE}}
{{>PAGER}}
