{{%AUTOESCAPE context="HTML"}}
{{!-- Previous / next links of a list (fcgi/admin/list.h, ListParams::FillFooter). --}}
<div class="pager" role="navigation" aria-label="Pages">
{{#PREV}}<a class="btn btn-small" rel="prev" href="{{HREF}}">← Previous</a>{{/PREV}}{{#NO_PREV}}<span class="btn btn-small disabled" aria-disabled="true">← Previous</span>{{/NO_PREV}}
<span class="pager-pos">Page {{PAGE}} of {{PAGES}}</span>
{{#NEXT}}<a class="btn btn-small" rel="next" href="{{HREF}}">Next →</a>{{/NEXT}}{{#NO_NEXT}}<span class="btn btn-small disabled" aria-disabled="true">Next →</span>{{/NO_NEXT}}
</div>
