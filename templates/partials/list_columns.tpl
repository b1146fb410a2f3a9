{{%AUTOESCAPE context="HTML"}}
{{!-- Column headings of a list table (fcgi/admin/list.h, ListParams::FillColumns). --}}
{{#COL}}<th scope="col"{{#ARIA}} aria-sort="{{ARIA_SORT}}"{{/ARIA}}>{{#PLAIN}}{{LABEL}}{{/PLAIN}}{{#SORT}}<a href="{{HREF}}">{{LABEL}}{{#SORTED}} <span aria-hidden="true">{{ARROW}}</span><span class="visually-hidden">, sorted {{ARIA_SORT}}; select to sort {{NEXT_ORDER}}</span>{{/SORTED}}</a>{{/SORT}}</th>
{{/COL}}
