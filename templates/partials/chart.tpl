{{%AUTOESCAPE context="HTML"}}
{{!-- One chart (fcgi/admin/charts.h): an inline SVG drawn from numbers, a text summary and the
numbers as a table. Presentation attributes keep it legible without static/css/charts.css. --}}
<figure class="chart" id="{{ID}}">
<figcaption class="chart-title">{{TITLE}}</figcaption>
<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {{WIDTH}} {{HEIGHT}}" role="img" aria-labelledby="{{ID}}-svg-title {{ID}}-svg-desc" focusable="false">
<title id="{{ID}}-svg-title">{{TITLE}}</title>
<desc id="{{ID}}-svg-desc">{{SUMMARY}}</desc>
<g class="chart-grid" stroke="#d9d4c7" stroke-width="1">
{{#GRID}}<line x1="{{X1}}" x2="{{X2}}" y1="{{Y}}" y2="{{Y}}"/>
{{/GRID}}</g>
<g class="chart-labels" fill="#5b6470" font-size="11">
{{#GRID}}<text class="chart-ylabel" x="{{LABEL_X}}" y="{{LABEL_Y}}" text-anchor="end">{{LABEL}}</text>
{{/GRID}}{{#XTICK}}<text class="chart-xlabel" x="{{X}}" y="{{Y}}" text-anchor="middle">{{LABEL}}</text>
{{/XTICK}}</g>
<line class="chart-axis" x1="{{X1}}" x2="{{X2}}" y1="{{AXIS_Y}}" y2="{{AXIS_Y}}" stroke="#5b6470" stroke-width="1"/>
{{#BAR}}<rect class="chart-bar" x="{{X}}" y="{{Y}}" width="{{W}}" height="{{H}}" fill="#b4541a"><title>{{TITLE}}</title></rect>
{{/BAR}}{{#LINE}}<polyline class="chart-line {{CLASS}}" fill="none" stroke="#b4541a" stroke-width="2" stroke-linejoin="round"{{#DASHED}} stroke-dasharray="5 4"{{/DASHED}} points="{{POINTS}}"/>
{{/LINE}}{{#EMPTY}}<text class="chart-empty" x="{{X}}" y="{{Y}}" text-anchor="middle" fill="#5b6470" font-size="14">No data yet</text>
{{/EMPTY}}</svg>
<p class="chart-summary">{{SUMMARY}}</p>
{{#LEGEND}}<ul class="chart-legend">
{{#ITEM}}<li class="{{CLASS}}">{{LABEL}}</li>
{{/ITEM}}</ul>
{{/LEGEND}}{{#TABLE}}<details class="chart-table">
<summary>The numbers</summary>
<table>
<thead><tr>{{#HEAD}}<th scope="col">{{TEXT}}</th>{{/HEAD}}</tr></thead>
<tbody>
{{#ROW}}<tr>{{#TH}}<th scope="row">{{TEXT}}</th>{{/TH}}{{#TD}}<td>{{TEXT}}</td>{{/TD}}</tr>
{{/ROW}}</tbody>
</table>
</details>
{{/TABLE}}</figure>
