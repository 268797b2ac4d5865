"""OCR benchmark of a returned 確認書 (benefit confirmation letter): how well the paper intake reads its return part.

    .venv/bin/python -m bench.ocr.kakuninsho --letters 24 --seed 1 [--layouts a4,hagaki] [--workers 2]

1. Letters: `--letters` 確認書 drawn with the product's own renderer (`benefits.letters.render_letters`, A4 and
   圧着はがき alternating), each for a person of the demo town. Each is filled in by hand, glyph by glyph in a
   handwriting-style font with jitter (bench/ocr/corpus.HandWriter, as the hand-print set of the OCR bench):
   in four letters of ten only the box 「内容を確認しました」 is ticked, in four the tick and a new account, in one
   the account alone, and in one only the box 「給付金の受給を辞退します」 (辞退). The account: a real bank and branch
   of zengin-code, 普通/当座/貯蓄, 5–7 digits, the holder's name in katakana (a blank cell between family and
   given name). (Before the 辞退 box, the tenth letter had an account alone too; it still draws the same random
   numbers, so the other nine letters of ten are the same as then.)
2. The page the resident returns (A4: the letter; はがき: its inside) is rasterised at 200 or 300 dpi and put
   through the OCR bench's scan-noise model (rotation ±3°, scale ±3 %, shift, blur, faint print, noise, JPEG).
3. The intake engine reads it (`PageReader.read` with the letter's layout named by its QR code, then
   `read_form` with the 確認書's spec), and every field of the return part is scored against what was written
   (an empty box must be read as empty): share accepted at the shipped threshold, accuracy of the accepted
   fields, accuracy before verification, per field and per layout; pages per minute.

No database: the layout and spec of the return part are pure (`benefits.letters`); the benefits services'
checks (does the bank exist, which household) come after reading and are not measured here.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import sys
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.ocr import corpus  # noqa: E402
from madoguchi.benefits import letters  # noqa: E402
from madoguchi.intake.engine import ACCEPT_THRESHOLD, PageReader, load_pages, read_form  # noqa: E402

SLUG, TITLE = "midori-bukka-2026", "みどり市物価高騰対策給付金"
FIELDS = (letters.CONFIRM, *letters.ACCOUNT_FIELDS, letters.DECLINE)
KINDS = {
    letters.CONFIRM: "tick (checkbox)",
    letters.DECLINE: "tick (辞退, checkbox)",
    letters.BANK_CODE: "digits (bank)",
    letters.BRANCH_CODE: "digits (branch)",
    letters.ACCOUNT_TYPE: "ticks (account type)",
    letters.ACCOUNT_NUMBER: "digits (account no.)",
    letters.HOLDER: "katakana cells (holder)",
}

_state: dict = {}


@dataclass
class Returned:
    index: int
    layout: str
    dpi: int
    written: dict  # what the resident wrote, as text (digits, katakana; "1" ticks an account type)
    truth: dict  # what each field should read as (the value the case would store)
    scan: bytes = b""
    form_layout: object = None
    spec: object = None
    extras: dict = field(default_factory=dict)


def _banks(rng: random.Random, count: int) -> list[tuple[str, str]]:
    import zengin_code

    pairs = [(code, branch) for code, bank in zengin_code.Bank.all.items() for branch in bank.branches]
    return [rng.choice(pairs) for _ in range(count)]


def build(count: int, seed: int, layouts: list[str]) -> list[Returned]:
    rng = random.Random(seed)
    persons = corpus.people(count, seed)
    banks = _banks(rng, count)
    out = []
    for n in range(count):
        person = persons[n % len(persons)]
        variant = n % 10
        tick = variant < 8  # 0–3 tick only, 4–7 tick + account, 8–9 one account only and one 辞退 only
        declines = variant == 9 - (n // 10) % 2  # 9, 18, 29, 38 …: on both layouts when they alternate
        account = variant >= 4 and not declines
        written: dict = {letters.CONFIRM: tick, letters.DECLINE: declines}
        truth: dict = {
            letters.CONFIRM: tick, letters.BANK_CODE: None, letters.BRANCH_CODE: None,
            letters.ACCOUNT_TYPE: None, letters.ACCOUNT_NUMBER: None, letters.HOLDER: "",
            letters.DECLINE: declines,
        }  # fmt: skip
        if declines:  # the random draws an account takes, so that the other letters stay as they were
            rng.choices(["1", "2", "4"], weights=(8, 1, 1))
            rng.randint(10_000, 9_999_999)
        if account:
            bank, branch = banks[n]
            kind = rng.choices(["1", "2", "4"], weights=(8, 1, 1))[0]
            number = str(rng.randint(10_000, 9_999_999))
            holder = unicodedata.normalize("NFKC", person.name_kana).replace("\u3000", " ")
            holder = " ".join(unicodedata.normalize("NFKC", holder).split())
            written.update(
                {letters.BANK_CODE: bank, letters.BRANCH_CODE: branch, letters.ACCOUNT_TYPE: kind,
                 letters.ACCOUNT_NUMBER: number, letters.HOLDER: holder}
            )  # fmt: skip
            truth.update(
                {letters.BANK_CODE: int(bank), letters.BRANCH_CODE: int(branch), letters.ACCOUNT_TYPE: kind,
                 letters.ACCOUNT_NUMBER: int(number), letters.HOLDER: holder.replace(" ", "\u3000")}
            )  # fmt: skip
        out.append(
            Returned(n, layouts[n % len(layouts)], (200, 300)[(n // len(layouts)) % 2], written, truth)
        )
    return out


def _letter(item: Returned) -> letters.Letter:
    return letters.Letter(
        number=f"C1-{item.index + 1}", program_slug=SLUG, program_title=TITLE, postal_code="0000021",
        address="みどり県みどり市緑町一丁目2番3号", name="緑川　花子", amount=50_000, members=2, counted=1,
        deadline=None, bank_name="みずほ", branch_name="東京営業部", account_type="1", masked_account="****567",
        holder="ﾐﾄﾞﾘｶﾜ ﾊﾅｺ", reference=f"{item.index:032x}",
    )  # fmt: skip


def scan(item: Returned, seed: int) -> Returned:
    """Print the letter, write on its return part by hand, scan it (in a worker process)."""
    rng = random.Random(seed * 1_000_003 + item.index)
    pdf, _pages = letters.render_letters([_letter(item)], city_name=corpus.CITY, layout=item.layout)
    page = corpus.rasterise(pdf, item.dpi)[letters.PAGES_PER_LETTER[item.layout] - 1]
    layout = letters.letter_form_layout(item.layout, slug=SLUG, title_ja=TITLE)
    writer = corpus.HandWriter(item.dpi, rng)
    from PIL import Image

    image = Image.fromarray(page)
    for box in layout.boxes:
        value = item.written.get(box.field_id)
        if value in (None, "", False):
            continue
        if box.kind == "checkbox":
            writer.tick(image, box.rects[0])
        elif box.kind == "choices":
            writer.tick(image, box.rects[box.choices.index(value)])
        else:
            size = box.rects[0].height * 0.72
            for rect, ch in zip(box.rects, str(value), strict=False):
                if not ch.isspace():
                    writer.glyph(
                        image,
                        ch,
                        writer.px(rect.x + rect.width / 2),
                        writer.px(rect.y + rect.height / 2),
                        size,
                    )
    item.scan = corpus.encode(corpus.scan_noise(np.asarray(image), rng, item.dpi), rng)
    return item


def _init() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    _state["reader"] = PageReader("rapidocr", second="tesseract")


def _warm(_n: int) -> bool:
    return _state["reader"] is not None


def _same(value, truth) -> bool:
    if isinstance(truth, bool):
        return bool(value) is truth
    if truth in (None, ""):
        return value in (None, "", [], {})
    if isinstance(truth, str):
        return unicodedata.normalize("NFKC", str(value or "")) == unicodedata.normalize("NFKC", truth)
    return value == truth


def _read(item: Returned) -> dict:
    reader: PageReader = _state["reader"]
    layout = letters.letter_form_layout(item.layout, slug=SLUG, title_ja=TITLE)
    spec = letters.confirmation_spec(slug=SLUG, title_ja=TITLE)
    started = time.perf_counter()
    results = [
        reader.read(source.image, lambda payload, layout=layout: layout)
        for source in load_pages(item.scan, f"{item.index}.jpg")
    ]
    reading = read_form(results, spec, layout)
    seconds = time.perf_counter() - started
    records = []
    for field_id in FIELDS:
        value = reading.fields.get(field_id)
        truth = item.truth[field_id]
        written = truth not in (None, "", False)
        if value is None:
            records.append((field_id, item.layout, written, False, 0.0, False))
            continue
        records.append(
            (field_id, item.layout, written, _same(value.value, truth), value.confidence, value.valid)
        )
    return {"records": records, "statuses": [r.status for r in results], "seconds": seconds}


def table(records, title: str) -> dict:
    print(f"\n{title} (shipped threshold {ACCEPT_THRESHOLD})")
    print(f"  {'field':<32}{'fields':>7}{'auto-acc.':>11}{'acc. of auto':>14}{'acc. before':>13}")
    groups = defaultdict(list)
    for r in records:
        groups[KINDS[r[0]] + ("" if r[2] else " — empty")].append(r)
    summary = {}
    for name in [*sorted(groups), "ALL"]:
        rows = records if name == "ALL" else groups[name]
        auto = [r for r in rows if r[5] and r[4] >= ACCEPT_THRESHOLD]
        share = len(auto) / len(rows) if rows else 0.0
        auto_acc = sum(r[3] for r in auto) / len(auto) if auto else float("nan")
        before = sum(r[3] for r in rows) / len(rows) if rows else float("nan")
        summary[name] = (len(rows), share, auto_acc, before)
        print(f"  {name:<32}{len(rows):>7}{share:>10.1%}{auto_acc:>13.2%} {before:>12.2%}")
    return summary


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--letters", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--layouts", default="a4,hagaki")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    font, real = corpus.hand_font()
    print(f"確認書 OCR bench: {args.letters} letters ({', '.join(layouts)}), seed {args.seed}, {args.workers} "
          f"workers, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; hand-print font {Path(font).name}"
          f"{'' if real else ' (no handwriting font installed: a gothic font with per-glyph jitter)'}")  # fmt: skip
    items = build(args.letters, args.seed, layouts)
    ctx = mp.get_context("fork")
    started = time.perf_counter()
    with ctx.Pool(args.workers) as pool:
        items = pool.starmap(scan, [(item, args.seed) for item in items], chunksize=1)
    print(f"letters printed, written and scanned in {time.perf_counter() - started:.1f}s")
    with ctx.Pool(args.workers, initializer=_init) as pool:
        pool.map(_warm, range(args.workers), chunksize=1)
        started = time.perf_counter()
        out = pool.map(_read, items, chunksize=1)
        wall = time.perf_counter() - started
    statuses = defaultdict(int)
    for o in out:
        for s in o["statuses"]:
            statuses[s] += 1
    pages = sum(len(o["statuses"]) for o in out)
    print(f"read {pages} pages in {wall:.1f}s wall = {pages / wall * 60:.1f} pages/min on {args.workers} "
          f"processes; page statuses {dict(statuses)}")  # fmt: skip
    records = [r for o in out for r in o["records"]]
    for layout in layouts:
        table([r for r in records if r[1] == layout], f"{layout}: every field of the return part")
    total = table(records, "all layouts")
    n, share, auto_acc, before = total["ALL"]
    print(f"\nSUMMARY {n} fields: accepted {share:.1%}, accuracy of accepted {auto_acc:.2%}, before verification "
          f"{before:.2%}; load {os.getloadavg()[0]:.1f} at the end")  # fmt: skip


if __name__ == "__main__":
    main()
