"""Refresh the message catalogue: extract strings, update vi, fill in tools/vi_strings.py, report gaps.

    .venv/bin/python tools/i18n.py     (then `make translations` compiles the .mo)
"""
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from vi_strings import VI  # noqa: E402

PO = ROOT / "translations/vi/LC_MESSAGES/messages.po"
bin_dir = Path(sys.executable).parent
subprocess.run([bin_dir / "pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o",
                "translations/messages.pot", "."], cwd=ROOT, check=True)
subprocess.run([bin_dir / "pybabel", "-q", "update", "-N", "-i", "translations/messages.pot", "-d", "translations",
                "-l", "vi"], cwd=ROOT, check=True)
with PO.open("rb") as f:
    catalog = read_po(f)
missing = []
for message in catalog:
    if not message.id:
        continue
    if message.id in VI:
        message.string = VI[message.id]
        message.flags.discard("fuzzy")
    else:
        missing.append(message.id)
with PO.open("wb") as f:
    write_po(f, catalog, width=100)
print(f"{len(catalog)} messages; missing: {missing}")
sys.exit(1 if missing else 0)
