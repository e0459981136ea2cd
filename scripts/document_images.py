"""Render every kind of document from the demo workspace to PNG (pdftoppm), to compare with the GB/T 9704 layout.

    .venv/bin/python scripts/document_images.py [OUT_DIR]      (default: a temporary folder; prints where)

Also writes docs/images/document-decision.png (the two pages of a sealed 问责决定书) for the README.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from sqlalchemy import select  # noqa: E402

from wenze_desktop.domain.models import Case  # noqa: E402
from wenze_desktop.security.kdf import FAST_TEST_PARAMS  # noqa: E402
from wenze_desktop.services.demo import build_demo  # noqa: E402


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo(Path(tmp) / "demo", today=date(2026, 11, 23), params=FAST_TEST_PARAMS)
        with ws.ctx.workspace.session() as s:
            cases = list(s.execute(select(Case.id, Case.number).order_by(Case.number)))
        cases.sort(key=lambda row: not row[1].startswith("gz2009"))  # its decision shows all seven elements
        done: dict[str, Path] = {}
        for case_id, number in cases:
            for choice in ws.documents.choices(case_id):
                if choice.refusal is None and choice.kind not in done:
                    info = ws.documents.issue(case_id, choice.kind)
                    pdf = out / f"{choice.kind}.pdf"
                    pdf.write_bytes(ws.documents.read(info.id, purpose="export"))
                    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(out / choice.kind)], check=True)
                    done[choice.kind] = pdf
                    print(f"{choice.label}\t{info.number}\t{number}\t{pdf}")
        ws.close()
    # Both pages of the decision side by side: the red header on the first, the seal on the second.
    subprocess.run(["pdftoppm", "-r", "70", "-png", "-f", "1", "-l", "2", str(done["decision"]),
                    str(out / "readme")], check=True)
    pages = [Image.open(p) for p in sorted(out.glob("readme-*.png"))]
    sheet = Image.new("RGB", (sum(p.width for p in pages) + 12 * (len(pages) + 1), pages[0].height + 24), "#888")
    for i, page in enumerate(pages):
        sheet.paste(page, (12 + i * (page.width + 12), 12))
    sheet.save(ROOT / "docs/images/document-decision.png", optimize=True)
    print(f"PNG pages in {out}; README image: docs/images/document-decision.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="wenze-documents-")))
