"""Latency of the Send-ticket form's article suggestions at 10,000 articles (target: p95 ≤ 30 ms).

::

    python bench/kb_suggest.py                       # PostgreSQL: seed 10,000 articles, then measure
    python bench/kb_suggest.py --reuse               # measure again on the seeded database
    python bench/kb_suggest.py --database sqlite     # the portable fallback, for comparison

Seeds ``bench_kb`` with articles of realistic length (a title of 4–9 words and
a body of 60–250, Persian or English or both) drawn with a fixed seed from a
vocabulary per language of 3,000 words whose frequencies follow Zipf's law, as
words of real text do (the 60 real support words of each language among them,
at random ranks); three quarters are linked to one of five departments, nine
in ten published. Then, in one process, asks for the suggestions of subjects
as a customer types them (each prefix the form's 300 ms pause would send:
word by word, the last word half typed): seven in ten subjects reuse words of
an article's title, the others are drawn from the vocabulary; Persian ones get
Arabic letters and digits mixed in. Requests go to ``kb/suggest.json`` through
Django's test client, logged in, so the figure includes the session, the view
and the JSON. ``--common`` draws every word from the 60 real ones only: nearly
every article then shares a word with every subject, the worst case.
Prints one JSON line: articles, requests, p50/p95/max milliseconds for the
whole request and for the search query alone. Figures in bench/findings.rst,
"Knowledge-base suggestions".
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DBNAME = "bench_kb"

FA = (
    "پرداخت فاکتور تمدید دامنه هاست ایمیل رمز عبور ورود حساب کاربری سرور پشتیبان گیری بازیابی نصب وردپرس "
    "گواهی امنیتی خطا صفحه سایت سرعت پایین اتصال پایگاه داده انتقال میزبانی پنل مدیریت تنظیمات پیکربندی "
    "درگاه بانکی بازپرداخت وجه قرارداد تخفیف سفارش ارسال دریافت پیامک اعلان گزارش مصرف پهنای باند فضای "
    "دیسک ارتقا کاهش لغو اشتراک ماهانه سالانه تیکت کارشناس پاسخ زمان ساعت کاری تعطیلات نام سرور رکورد"
).split()
EN = (
    "invoice payment renew domain hosting email password login account server backup restore install "
    "wordpress certificate ssl error page website slow connection database transfer panel settings "
    "configuration gateway refund contract discount order send receive sms notification report usage "
    "bandwidth disk upgrade downgrade cancel subscription monthly yearly ticket expert answer time hours "
    "holiday nameserver record dns mailbox quota spam forward alias cron php version memory limit upload"
).split()
ARABIC = str.maketrans("یک۰۱۲۳۴۵۶۷۸۹", "يك٠١٢٣٤٥٦٧٨٩")


def env(database):
    from bench.run import database_url

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_DATABASE_URL": database_url(database, DBNAME),
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'example_project'}",
    }


VOCABULARY_SIZE = 3000
FA_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
EN_LETTERS = "abcdefghijklmnopqrstuvwxyz"


class Vocabulary:
    """One language's words with Zipf frequencies.

    As in real text, the most frequent words are the function words ("the", "to", "از", "به": the app's
    stopwords, ``stopwords``); then the ``real`` support words at random ranks among made-up ones.
    """

    def __init__(self, rng, real, letters, stopwords, common_only=False):
        made_up = set()
        while len(made_up) < VOCABULARY_SIZE - len(real) - len(stopwords):
            made_up.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 9))))
        self.words = sorted(made_up)
        rng.shuffle(self.words)
        for word in real:
            self.words.insert(rng.randrange(len(self.words)), word)
        self.words = sorted(stopwords) + self.words
        if common_only:
            self.words = list(real)
        self.weights = [1 / (rank + 1) ** 1.07 for rank in range(len(self.words))]

    def draw(self, rng, low, high):
        return " ".join(rng.choices(self.words, self.weights, k=rng.randint(low, high)))


def vocabularies(common_only):
    from helpdesk_tickets.text import STOPWORDS

    rng = random.Random(20261201)
    fa_stop = [word for word in STOPWORDS if word[0] in FA_LETTERS + "آ"]
    en_stop = [word for word in STOPWORDS if word[0] in EN_LETTERS]
    return (
        Vocabulary(rng, FA, FA_LETTERS, fa_stop, common_only),
        Vocabulary(rng, EN, EN_LETTERS, en_stop, common_only),
    )


def seed_articles(count, common_only):
    import django

    django.setup()
    from django.db import transaction

    from helpdesk_tickets.models import Article, Department

    fa, en = vocabularies(common_only)
    rng = random.Random(20261201)
    departments = [
        Department.objects.create(name=f"Department {n}", slug=f"department-{n}", ordering=n) for n in range(5)
    ]
    through = Article.departments.through
    with transaction.atomic():
        batch = []
        for n in range(count):
            language = rng.choice(("fa", "en", "both"))
            article = Article(slug=f"article-{n}", published=rng.random() < 0.9)
            if language in ("fa", "both"):
                article.title_fa = fa.draw(rng, 4, 9)
                article.body_fa = fa.draw(rng, 60, 250)
            if language in ("en", "both"):
                article.title_en = en.draw(rng, 4, 9).capitalize()
                article.body_en = en.draw(rng, 60, 250)
            article.set_search_text()
            batch.append(article)
        Article.objects.bulk_create(batch, batch_size=1000)
        links = [
            through(article_id=article.pk, department_id=rng.choice(departments).pk)
            for article in Article.objects.only("pk")
            if rng.random() < 0.75
        ]
        through.objects.bulk_create(links, batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE helpdesk_tickets_article")
            cursor.execute(f"ANALYZE {through._meta.db_table}")


def typed_prefixes(rng, subjects):
    """What the form asks for while each subject is typed: word by word, the last one half typed."""
    for subject in subjects:
        parts = subject.split()
        for end in range(1, len(parts) + 1):
            last = parts[end - 1]
            yield " ".join(parts[: end - 1] + [last[: max(3, len(last) // 2)]])
            yield " ".join(parts[:end])


def measure(requests, common_only):
    import django

    django.setup()
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    from helpdesk_tickets import users
    from helpdesk_tickets.models import Article, Department

    fa, en = vocabularies(common_only)
    rng = random.Random(7)
    customer = users.by_username("bench-customer") or users.create_user(
        "bench-customer", email="bench-customer@example.com", password="x"
    )
    client = Client()
    client.force_login(customer)
    departments = list(Department.objects.values_list("slug", flat=True))
    titles = [t for pair in Article.objects.values_list("title_fa", "title_en")[:2000] for t in pair if t]
    subjects = []
    while len(subjects) * 8 < requests:
        if rng.random() < 0.7:
            words = rng.choice(titles).split()
            subject = " ".join(rng.sample(words, min(len(words), rng.randint(2, 4))))
        else:
            subject = rng.choice((fa, en)).draw(rng, 3, 6)
        if subject[0] in FA_LETTERS and rng.random() < 0.5:
            subject = subject.translate(ARABIC) + " " + rng.choice(("۵۰۰", "٥٠٠", "500", "۴۰۴"))
        subjects.append(subject)
    queries = list(typed_prefixes(rng, subjects))[:requests]
    whole, search, found = [], [], 0
    with override_settings(DEBUG=True):  # connection.queries, to time the search query alone
        for query in queries:
            reset_queries()
            start = time.perf_counter()
            response = client.get("/support/kb/suggest.json", {"q": query, "department": rng.choice(departments)})
            whole.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.status_code
            found += bool(response.json()["results"])
            timed = [float(q["time"]) * 1000 for q in connection.queries if "helpdesk_tickets_article" in q["sql"]]
            if timed:
                search.append(max(timed))

    def figures(values):
        values = sorted(values)
        return {
            "p50": round(statistics.median(values), 1),
            "p95": round(values[int(len(values) * 0.95) - 1], 1),
            "max": round(values[-1], 1),
        }

    print(
        json.dumps(
            {
                "database": connection.vendor,
                "vocabulary": "60 common words" if common_only else f"Zipf, {VOCABULARY_SIZE} words per language",
                "articles": Article.objects.count(),
                "published": Article.objects.published().count(),
                "requests": len(queries),
                "with_suggestions": found,
                "request_ms": figures(whole),
                "search_query_ms": figures(search),
            }
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--reuse", action="store_true", help="measure on the database seeded before")
    parser.add_argument("--common", action="store_true", help="the worst case: only the 60 common words")
    parser.add_argument("--seed-only", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only is not None:
        return seed_articles(args.seed_only, args.common)
    if args.measure_only is not None:
        return measure(args.measure_only, args.common)
    common = ["--common"] if args.common else []
    sys.path.insert(0, str(ROOT))
    if not args.reuse:
        from bench.run import recreate

        recreate(args.database, DBNAME)
        subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], cwd=ROOT, env=env(args.database), check=True)
        subprocess.run(
            [sys.executable, __file__, "--seed-only", str(args.articles), *common],
            cwd=ROOT,
            env=env(args.database),
            check=True,
        )
    subprocess.run(
        [sys.executable, __file__, "--measure-only", str(args.requests), *common],
        cwd=ROOT,
        env=env(args.database),
        check=True,
    )


if __name__ == "__main__":
    main()
