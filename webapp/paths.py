"""Where the checkout's folders are (templates, static, translations, migrations, instance): outside the package."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
