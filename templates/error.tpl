{{%AUTOESCAPE context="HTML"}}
<section class="error-page" aria-labelledby="error-title">
<p class="error-code">{{STATUS}}</p>
<h1 id="error-title">{{HEADING}}</h1>
<p>{{MESSAGE}}</p>
<p><a class="btn" href="{{BACK_HREF}}">{{BACK_LABEL}}</a></p>
</section>
