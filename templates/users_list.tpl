{{%AUTOESCAPE context="HTML"}}
<div class="page-head">
<h1>Users</h1>
{{#CAN_CREATE}}<a class="btn btn-primary" href="/admin/users/new">New user</a>{{/CAN_CREATE}}
</div>
<form method="get" action="/admin/users" class="filters" role="search" aria-label="Filter users">
<div class="field grow">
<label for="f-q">Search</label>
<input id="f-q" name="q" type="search" value="{{Q}}" placeholder="Email or name" maxlength="200">
</div>
<div class="field">
<label for="f-role">Role</label>
<select id="f-role" name="role">
{{#ROLE_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/ROLE_OPT}}
</select>
</div>
<div class="field">
<label for="f-status">Status</label>
<select id="f-status" name="status">
{{#STATUS_OPT}}<option value="{{VALUE}}"{{#SELECTED}} selected{{/SELECTED}}>{{LABEL}}</option>
{{/STATUS_OPT}}
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
<div class="field actions">
<a class="btn btn-quiet export-csv" href="{{EXPORT_CSV_HREF}}" download>Export CSV</a>
<a class="btn btn-quiet export-json" href="{{EXPORT_JSON_HREF}}" download>Export JSON</a>
</div>
</form>
<p class="summary" id="users-summary">{{SUMMARY}}</p>
{{#EMPTY}}<p class="empty">No users to show. {{#FILTERED}}<a href="/admin/users">Clear the filters</a>{{/FILTERED}}</p>{{/EMPTY}}
{{#TABLE}}
<div class="table-wrap">
<table class="data" aria-describedby="users-summary">
<caption class="visually-hidden">Users; column headings sort the list</caption>
<thead>
<tr>
{{>COLUMNS}}
</tr>
</thead>
<tbody>
{{#ROW}}
<tr>
<td class="num">{{ID}}</td>
<th scope="row"><a href="/admin/users/{{ID}}">{{EMAIL}}</a></th>
<td>{{DISPLAY_NAME}}</td>
<td><span class="badge role-{{ROLE}}">{{ROLE}}</span></td>
<td><span class="badge status-{{STATUS}}">{{STATUS}}</span></td>
<td class="nowrap"><time datetime="{{CREATED_AT}}">{{CREATED_AT_TEXT}}</time></td>
<td class="nowrap">{{#LAST_LOGIN}}<time datetime="{{ISO}}">{{TEXT}}</time>{{/LAST_LOGIN}}{{#LAST_LOGIN_NEVER}}<span class="muted">never</span>{{/LAST_LOGIN_NEVER}}</td>
</tr>
{{/ROW}}
</tbody>
</table>
</div>
{{/TABLE}}
{{>PAGER}}
