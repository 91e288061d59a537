"""The demo's help articles: a few real answers in Persian and English, published (found by slug)."""

from ...models import Article, Product

ARTICLES = [
    {
        "slug": "double-payment-refund",
        "departments": ["billing"],
        "products": [],
        "title_fa": "پرداخت دوباره یا مبلغ کسرشده بدون فاکتور پرداخت‌شده",
        "title_en": "Charged twice, or charged but the invoice is unpaid",
        "body_fa": (
            "اگر مبلغ از حساب شما کسر شده ولی فاکتور هنوز **پرداخت‌نشده** است، نگران نباشید:\n\n"
            "1. بانک معمولاً تا **۷۲ ساعت** پرداخت ناموفق را خودکار برمی‌گرداند.\n"
            "2. اگر دو بار پرداخت کرده‌اید، مبلغ دوم ظرف سه روز کاری به همان کارت بازمی‌گردد.\n"
            "3. پس از ۷۲ ساعت، شماره پیگیری بانک را در یک تیکت به واحد مالی بفرستید.\n\n"
            "راهنمای کامل در [صفحه صورتحساب‌ها](https://example.com/billing) آمده است."
        ),
        "body_en": (
            "If your account was charged but the invoice still says **unpaid**, there is no need to worry:\n\n"
            "1. The bank usually returns a failed payment by itself within **72 hours**.\n"
            "2. If you paid twice, the second amount goes back to the same card within three working days.\n"
            "3. After 72 hours, send us the bank's tracking number in a ticket to Billing.\n\n"
            "See also the [invoices page](https://example.com/billing)."
        ),
    },
    {
        "slug": "invoice-with-vat-number",
        "departments": ["billing"],
        "products": [],
        "title_fa": "فاکتور رسمی با شناسه ملی و کد اقتصادی",
        "title_en": "An official invoice with your VAT number",
        "body_fa": (
            "برای فاکتور رسمی، در **پنل کاربری ← اطلاعات حساب** نام شرکت، شناسه ملی و کد اقتصادی را وارد کنید. "
            "فاکتورهای بعدی با این اطلاعات صادر می‌شوند؛ برای فاکتورهای گذشته یک تیکت به واحد مالی بفرستید."
        ),
        "body_en": (
            "For an official invoice, enter your company name and VAT number under **Account → Billing details**. "
            "Every invoice from then on carries them; for past invoices, send Billing a ticket."
        ),
    },
    {
        "slug": "connect-your-domain",
        "departments": ["technical-support"],
        "products": ["domain-registration", "shop-builder"],
        "title_fa": "اتصال دامنه به فروشگاه یا هاست",
        "title_en": "Connecting your domain to your shop or hosting",
        "body_fa": (
            "در تنظیمات دامنه، رکوردهای زیر را بگذارید:\n\n"
            "| نوع | نام | مقدار |\n|---|---|---|\n| A | @ | 203.0.113.10 |\n| CNAME | www | shop.example.com |\n\n"
            "تغییرات DNS تا ۲۴ ساعت طول می‌کشد. اگر دامنه نزد ما ثبت شده، این کار خودکار انجام می‌شود."
        ),
        "body_en": (
            "In your domain's DNS settings, add these records:\n\n"
            "| Type | Name | Value |\n|---|---|---|\n| A | @ | 203.0.113.10 |\n| CNAME | www | shop.example.com |\n\n"
            "DNS changes take up to 24 hours. A domain registered with us is connected automatically."
        ),
    },
    {
        "slug": "site-down-after-upgrade",
        "departments": ["technical-support"],
        "products": ["cloud-hosting"],
        "title_fa": "سایت بعد از ارتقای پلن بالا نمی‌آید",
        "title_en": "The website does not load after a plan upgrade",
        "body_fa": (
            "پس از ارتقا، سرور شما به ماشین تازه‌ای منتقل می‌شود و نشانی IP عوض می‌شود.\n\n"
            "- اگر DNS دامنه را خودتان مدیریت می‌کنید، رکورد A را به IP تازه (در پنل، بخش «سرور») تغییر دهید.\n"
            "- حافظه نهان مرورگر را پاک کنید یا سایت را در پنجره ناشناس باز کنید.\n"
            "- اگر پس از یک ساعت هنوز خطای ۵۰۲ می‌بینید، یک تیکت بفرستید."
        ),
        "body_en": (
            "After an upgrade your server moves to a new machine, and its IP address changes.\n\n"
            "- If you manage your domain's DNS yourself, point the A record at the new IP (panel, *Server*).\n"
            "- Clear the browser's cache, or open the site in a private window.\n"
            "- Still seeing error 502 after an hour? Send us a ticket."
        ),
    },
    {
        "slug": "nightly-backups",
        "departments": ["technical-support"],
        "products": ["cloud-hosting"],
        "title_fa": "پشتیبان‌گیری شبانه و بازیابی",
        "title_en": "Nightly backups and restoring one",
        "body_fa": (
            "هر شب ساعت ۳ بامداد از سایت و پایگاه داده پشتیبان گرفته می‌شود و ۱۴ نسخه آخر نگه داشته می‌شود. "
            "برای بازیابی، در پنل به **پشتیبان‌ها** بروید و نسخه دلخواه را انتخاب کنید. "
            "اگر پشتیبان‌گیری ناموفق بود، معمولاً فضای دیسک پر شده است."
        ),
        "body_en": (
            "Every night at 3 a.m. the site and its database are backed up; the last 14 are kept. "
            "To restore one, open **Backups** in the panel and pick it. "
            "A failed backup usually means the disk is full."
        ),
    },
    {
        "slug": "yearly-plan-discount",
        "departments": ["sales"],
        "products": [],
        "title_fa": "تخفیف خرید سالانه و چند دامنه",
        "title_en": "Discounts for yearly plans and several domains",
        "body_fa": (
            "پرداخت سالانه هر پلن **۲ ماه رایگان** دارد. برای ثبت بیش از ۵ دامنه، "
            "با واحد فروش تماس بگیرید تا پیش‌فاکتور ویژه برایتان صادر شود."
        ),
        "body_en": (
            "Paying yearly gives **2 months free** on every plan. Registering more than 5 domains? "
            "Ask Sales for a quote with a volume price."
        ),
    },
]


def load(departments):
    """The demo articles, ``departments`` by slug; an article already there is left as it is."""
    products = {product.slug: product for product in Product.objects.all()}
    for spec in ARTICLES:
        spec = dict(spec)
        department_slugs, product_slugs = spec.pop("departments"), spec.pop("products")
        article, created = Article.objects.get_or_create(slug=spec.pop("slug"), defaults={**spec, "published": True})
        if created:
            article.departments.set([departments[slug] for slug in department_slugs if slug in departments])
            article.products.set([products[slug] for slug in product_slugs if slug in products])
