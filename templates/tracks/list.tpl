{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
<h1>Tracks</h1>
<p class="export-links"><a class="btn btn-small export-csv" href="{{EXPORT_CSV_HREF}}" download>Export CSV</a> <a class="btn btn-small export-json" href="{{EXPORT_JSON_HREF}}" download>Export JSON</a></p>
</div>
{{#MANAGE}}
<div class="columns tracks-add">
<section class="panel" aria-labelledby="upload-title">
<h2 id="upload-title">Upload</h2>
{{#UPLOAD_ERROR}}<div class="flash flash-error" role="alert" id="upload-errors">{{#LINE}}<p>{{TEXT}}</p>{{/LINE}}</div>{{/UPLOAD_ERROR}}
<form method="post" action="/admin/tracks/upload" enctype="multipart/form-data" id="upload-form" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="upload-files">Audio files</label>
<input id="upload-files" name="file" type="file" multiple required accept="audio/*,.mp3,.ogg,.oga,.opus,.flac,.wav,.m4a,.aac,.webm,.mka" aria-describedby="upload-hint">
<p class="hint" id="upload-hint">One or several files. Each is checked before it is stored; title and artist come from the file's tags or its name.</p>
</div>
<div class="form-actions"><button type="submit" class="btn btn-primary">Upload</button></div>
</form>
<ul id="upload-progress" class="upload-progress" aria-live="polite"></ul>
</section>
<section class="panel" aria-labelledby="url-title">
<h2 id="url-title">Add by URL</h2>
{{#URL_ERROR}}<div class="flash flash-error" role="alert" id="url-error"><p>{{TEXT}}</p></div>{{/URL_ERROR}}
<form method="post" action="/admin/tracks/url" id="url-form" class="stack">
<input type="hidden" name="csrf_token" value="{{CSRF_TOKEN}}">
<div class="field">
<label for="url-url">URL</label>
<input id="url-url" name="url" type="url" required maxlength="2048" value="{{URL}}" placeholder="https://example.com/song.mp3" aria-describedby="url-hint">
<p class="hint" id="url-hint">An http or https address of an audio file or stream. It is played from there, not copied.</p>
</div>
<div class="field">
<label for="url-title-in">Title <span class="muted">(optional)</span></label>
<input id="url-title-in" name="title" type="text" maxlength="500" value="{{URL_TITLE}}">
</div>
<div class="field">
<label for="url-artist-in">Artist <span class="muted">(optional)</span></label>
<input id="url-artist-in" name="artist" type="text" maxlength="500" value="{{URL_ARTIST}}">
</div>
<div class="form-actions"><button type="submit" class="btn">Add</button></div>
</form>
</section>
</div>
{{/MANAGE}}
<form method="get" action="/admin/tracks" class="filters" role="search" aria-label="Filter tracks">
<div class="field grow">
<label for="f-q">Search</label>
<input id="f-q" name="q" type="search" value="{{Q}}" placeholder="Title or artist" maxlength="200">
</div>
<div class="field">
<label for="f-codec">Codec</label>
<select id="f-codec" name="codec">
{{#CODEC_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/CODEC_OPT}}
</select>
</div>
<div class="field">
<label for="f-source">Source</label>
<select id="f-source" name="source">
{{#SOURCE_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/SOURCE_OPT}}
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
<p class="summary" id="tracks-summary">{{SUMMARY}}</p>
{{#EMPTY}}<p class="empty">No tracks to show. {{#FILTERED}}<a href="{{CLEAR_HREF}}">Clear the filters</a>{{/FILTERED}}</p>{{/EMPTY}}
{{#TABLE}}
<div class="table-wrap">
<table class="data" id="tracks-table" aria-describedby="tracks-summary">
<caption class="visually-hidden">Tracks; column headings sort the list</caption>
<thead>
<tr>
{{>COLUMNS}}
</tr>
</thead>
<tbody>
{{#ROW}}
<tr data-track-id="{{ID}}">
<td class="num">{{ID}}</td>
<th scope="row"><a href="/admin/tracks/{{ID}}">{{TITLE}}</a> <span class="badge source-{{SOURCE_KIND}}">{{SOURCE_KIND}}</span></th>
<td>{{ARTIST}}</td>
<td class="num nowrap">{{DURATION}}</td>
<td><code>{{CODEC}}</code></td>
<td class="num nowrap">{{BITRATE}}</td>
<td class="num nowrap">{{SAMPLE_RATE}}</td>
<td class="num nowrap">{{SIZE}}</td>
<td>{{#ADDED_BY_LINK}}<a href="{{HREF}}">{{LABEL}}</a>{{/ADDED_BY_LINK}}{{#ADDED_BY_TEXT}}{{LABEL}}{{/ADDED_BY_TEXT}}{{#ADDED_BY_NONE}}<span class="muted">unknown</span>{{/ADDED_BY_NONE}}</td>
<td class="nowrap"><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></td>
<td class="num queued" data-queued="{{QUEUED}}">{{QUEUED_TEXT}}</td>
</tr>
{{/ROW}}
</tbody>
</table>
</div>
{{/TABLE}}
{{>PAGER}}
