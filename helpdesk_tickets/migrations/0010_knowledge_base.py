"""The knowledge base: articles and the tickets they saved.

On PostgreSQL, a GIN index over the articles' normalised text, so that the
suggestions of the Send-ticket form (``ArticleQuerySet.search``) are an index
lookup rather than a parse of every article. The expression is exactly the
one the ORM writes for ``SearchVector("search_title", "search_body",
config="simple")``, so the planner matches it. Other databases search by
token overlap and get no such index; the model state is the same everywhere,
so ``makemigrations --check`` stays clean.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

SEARCH_INDEX = "hdt_article_search_idx"
SEARCH_DEFINITION = (
    "USING gin (to_tsvector('simple'::regconfig, "
    "COALESCE(\"search_title\", '') || ' ' || COALESCE(\"search_body\", '')))"
)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = apps.get_model("helpdesk_tickets", "Article")._meta.db_table
    schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{SEARCH_INDEX}" ON "{table}" {SEARCH_DEFINITION}')


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{SEARCH_INDEX}"')


class Migration(migrations.Migration):

    dependencies = [
        ('helpdesk_tickets', '0006_canned_reply_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Article',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(max_length=80, unique=True, verbose_name='slug')),
                ('title_fa', models.CharField(blank=True, max_length=200, verbose_name='title (Persian)')),
                ('title_en', models.CharField(blank=True, max_length=200, verbose_name='title (English)')),
                ('body_fa', models.TextField(blank=True, help_text='Markdown.', verbose_name='body (Persian)')),
                ('body_en', models.TextField(blank=True, help_text='Markdown.', verbose_name='body (English)')),
                ('published', models.BooleanField(default=False, help_text='Only published articles are shown to customers.', verbose_name='published')),
                ('helpful_count', models.PositiveIntegerField(default=0, editable=False, help_text='How often a customer said "this answered my question".', verbose_name='answered a question')),
                ('search_title', models.TextField(default='', editable=False)),
                ('search_body', models.TextField(default='', editable=False)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated')),
                ('departments', models.ManyToManyField(blank=True, help_text='Departments this article answers for; none means all.', related_name='articles', to='helpdesk_tickets.department', verbose_name='departments')),
                ('products', models.ManyToManyField(blank=True, help_text='Products this article is about; none means all.', related_name='articles', to='helpdesk_tickets.product', verbose_name='products')),
            ],
            options={
                'verbose_name': 'article',
                'verbose_name_plural': 'articles',
                'ordering': ('-updated_at', '-id'),
            },
        ),
        migrations.CreateModel(
            name='ArticleDeflection',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name='when')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
                ('article', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deflections', to='helpdesk_tickets.article', verbose_name='article')),
                ('department', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='helpdesk_tickets.department', verbose_name='department')),
            ],
            options={
                'verbose_name': 'ticket saved by an article',
                'verbose_name_plural': 'tickets saved by articles',
                'ordering': ('-created_at', '-id'),
            },
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(fields=['published', '-updated_at'], name='hdt_article_published_idx'),
        ),
        migrations.RunPython(create_search_index, drop_search_index, elidable=False),
    ]
