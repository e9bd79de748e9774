"""The Vietnamese catalogue is the one source of the interface's Vietnamese (issue 17 §7):
every string the code and templates mark for translation has a translation in
translations/vi/LC_MESSAGES/messages.po that is neither empty nor fuzzy. After adding a _("…"):
`make translations-update`, then fill in its msgstr."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def untranslated(pot_path: Path, po_path: Path) -> list[str]:
    with open(po_path, "rb") as f:
        catalogue = read_po(f)
    with open(pot_path, "rb") as f:
        wanted = [m.id for m in read_po(f) if m.id]
    out = []
    for msgid in wanted:
        entry = catalogue.get(msgid)
        strings = () if entry is None else entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry is None or entry.fuzzy or not all(strings):
            out.append(msgid if isinstance(msgid, str) else msgid[0])
    return out


def _extract(tmp_path: Path) -> Path:
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), "-q", "extract", "-F", "babel.cfg", "-k", "_l",
                    "--no-wrap", "-o", str(pot), "."], cwd=ROOT, check=True, capture_output=True)
    return pot


def test_every_marked_string_has_a_vietnamese_translation(tmp_path):
    assert untranslated(_extract(tmp_path), PO) == []


def test_a_missing_empty_or_fuzzy_entry_is_reported(tmp_path):
    pot = tmp_path / "t.pot"
    pot.write_text('msgid ""\nmsgstr ""\n\nmsgid "Saved"\nmsgstr ""\n\nmsgid "Empty"\nmsgstr ""\n\n'
                   'msgid "Fuzzy"\nmsgstr ""\n\nmsgid "New"\nmsgstr ""\n', encoding="utf-8")
    po = tmp_path / "t.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Saved"\nmsgstr "Đã lưu"\n\nmsgid "Empty"\nmsgstr ""\n\n'
                  '#, fuzzy\nmsgid "Fuzzy"\nmsgstr "Mờ"\n', encoding="utf-8")
    assert untranslated(pot, po) == ["Empty", "Fuzzy", "New"]
