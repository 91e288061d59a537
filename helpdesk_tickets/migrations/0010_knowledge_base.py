"""The knowledge base: articles and the tickets they saved.

On PostgreSQL only, ``search_vector``: a stored generated ``tsvector`` column
(the normalised titles weighted A, the bodies B), and ``search_title_vector``
(the titles alone), each with a GIN index, so the
suggestions of the Send-ticket form (``ArticleQuerySet.search``) match through
the index and rank without parsing any article's text again (parsing every
matching body on each keystroke took seconds at 10,000 articles; see
bench/findings.rst, "Knowledge-base suggestions"). PostgreSQL keeps the
column up to date itself, whatever writes the row. It is not a model field:
other databases search by token overlap and have no such column, and the
model state is the same everywhere, so ``makemigrations --check`` stays clean.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

#: column: (its index, the expression PostgreSQL keeps it equal to)
SEARCH_COLUMNS = {
    "search_vector": (
        "hdt_article_search_idx",
        "setweight(to_tsvector('simple'::regconfig, COALESCE(\"search_title\", '')), 'A') || "
        "setweight(to_tsvector('simple'::regconfig, COALESCE(\"search_body\", '')), 'B')",
    ),
    "search_title_vector": (
        "hdt_article_title_search_idx",
        "to_tsvector('simple'::regconfig, COALESCE(\"search_title\", ''))",
    ),
}


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("helpdesk_tickets", "Article")._meta.db_table)
    for column, (index, expression) in SEARCH_COLUMNS.items():
        schema_editor.execute(
            f'ALTER TABLE {table} ADD COLUMN IF NOT EXISTS "{column}" tsvector GENERATED ALWAYS AS ({expression}) STORED'
        )
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON {table} USING gin ("{column}")')


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("helpdesk_tickets", "Article")._meta.db_table)
    for column, (index, _expression) in SEARCH_COLUMNS.items():
        schema_editor.execute(f'DROP INDEX IF EXISTS "{index}"')
        schema_editor.execute(f'ALTER TABLE {table} DROP COLUMN IF EXISTS "{column}"')


class Migration(migrations.Migration):

    dependencies = [
        ('helpdesk_tickets', '0009_ticket_fields'),
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
        migrations.RunPython(add_search_vector, drop_search_vector, elidable=False),
    ]
