"""Render every .docx under a folder to PNG page images, to look at reports without Word.

    .venv/bin/python tools/preview.py output            # -> preview/<path of each docx>/<name>-<n>.png
    .venv/bin/python tools/preview.py output --out /tmp/pv --dpi 80

Uses LibreOffice (`soffice --headless --convert-to pdf`) and poppler (`pdftoppm -png`). Fonts
the documents name but the machine lacks (仿宋_GB2312, 方正小标宋简体, ...) are substituted by
LibreOffice, so the pages show layout — tables, widths, line breaks — not the exact typeface.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def find_documents(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.docx") if not p.name.startswith(("~$", ".")))


def convert(documents: list[Path], root: Path, out: Path, dpi: int) -> list[Path]:
    soffice, pdftoppm = shutil.which("soffice") or shutil.which("libreoffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        raise SystemExit("preview needs LibreOffice (soffice) and poppler-utils (pdftoppm) on PATH")
    pages: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="preview-") as tmp:
        profile = Path(tmp, "profile").as_uri()     # a private profile: works beside a running LibreOffice
        by_folder: dict[Path, list[Path]] = {}
        for doc in documents:
            by_folder.setdefault(doc.parent, []).append(doc)
        for folder, docs in by_folder.items():
            pdf_dir = Path(tmp, "pdf", str(len(pages)), folder.name)
            pdf_dir.mkdir(parents=True, exist_ok=True)
            subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                            "--outdir", str(pdf_dir), *map(str, docs)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
            for doc in docs:
                pdf = pdf_dir / (doc.stem + ".pdf")
                if not pdf.exists():
                    print(f"not converted: {doc}", file=sys.stderr)
                    continue
                rel = doc.relative_to(root) if root.is_dir() else Path(doc.name)
                target = out / rel.with_suffix("")
                if target.exists():
                    shutil.rmtree(target)
                target.mkdir(parents=True)
                subprocess.run([pdftoppm, "-r", str(dpi), "-png", str(pdf), str(target / doc.stem)],
                               check=True, timeout=600)
                pages.extend(sorted(target.glob("*.png")))
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder (searched recursively) or a single .docx")
    parser.add_argument("--out", type=Path, default=Path("preview"), help="where the PNG pages go (default: preview)")
    parser.add_argument("--dpi", type=int, default=60, help="resolution of the pages (default: 60)")
    args = parser.parse_args(argv)
    documents = find_documents(args.folder)
    if not documents:
        print(f"no .docx under {args.folder}", file=sys.stderr)
        return 1
    pages = convert(documents, args.folder, args.out, args.dpi)
    print(f"{len(documents)} documents, {len(pages)} pages -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
