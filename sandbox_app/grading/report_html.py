"""The debrief as one static HTML file: charts are inline SVG, nothing is fetched, it opens offline.

Every bar and point carries its numbers as data-* attributes (data-count, data-privacy…), so the figures
can be read back from the file, by a test or by anyone viewing the source.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import tempfile
from collections import Counter
from pathlib import Path

from sandbox_app import __version__
from sandbox_app.grading.grade import FLAGS, Grading
from sandbox_app.grading.summary import VERDICTS, ExerciseSummary, not_graded, summarise

BINS = [(lo, lo + 9) for lo in range(0, 90, 10)] + [(90, 100)]
VERDICT_COLOURS = {"approve": "#2e7d32", "revise": "#ef8f00", "reject": "#c62828"}
CHAR_WIDTH = 6.4   # of an 11px label, near enough to keep labels apart
REFERENCE_COLOURS = {"model": "#1565c0", "bad": "#6a1b9a"}   # as the dashboard's room view
STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;color:#1d1d1d;
padding:0 1rem;line-height:1.4} h1{font-size:1.7rem} h2{border-top:2px solid #ddd;padding-top:1rem;margin-top:2.5rem}
table{border-collapse:collapse;margin:.5rem 0 1rem} th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e3e3;
text-align:left;vertical-align:top} th{background:#f4f4f4} td.n{text-align:right;font-variant-numeric:tabular-nums}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem} figure{margin:0} figcaption{font-weight:600;margin-bottom:.3rem}
.flag{color:#8a1c1c} .muted{color:#666} svg text{font-size:11px;fill:#333}
"""


def _e(value) -> str:
    return html.escape(str(value), quote=True)


def _histogram(values: list[int], title: str, colour: str) -> str:
    counts = [sum(lo <= v <= hi for v in values) for lo, hi in BINS]
    width, height, left, bottom = 340, 170, 30, 28
    top = max(counts, default=0) or 1
    bar_w = (width - left - 10) / len(BINS)
    parts = [f'<svg class="histogram" data-title="{_e(title)}" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}">']
    parts.append(f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" stroke="#999"/>')
    for i, ((lo, hi), n) in enumerate(zip(BINS, counts, strict=True)):
        h = (height - bottom - 16) * n / top
        x = left + i * bar_w
        y = height - bottom - h
        parts.append(f'<rect class="bar" data-bin="{lo}-{hi}" data-count="{n}" x="{x + 2:.1f}" y="{y:.1f}" '
                     f'width="{bar_w - 4:.1f}" height="{h:.1f}" fill="{colour}"><title>{lo}-{hi}: {n}</title></rect>')
        if n:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle">{n}</text>')
        parts.append(f'<text x="{x + 2:.1f}" y="{height - bottom + 14}">{lo if hi < 100 else "90+"}</text>')
    parts.append(f'<text x="{left}" y="{height - 2}" class="muted">score (trainees per band of 10)</text></svg>')
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


def _verdict_bars(verdicts: dict[str, int]) -> str:
    width, row = 340, 26
    top = max(verdicts.values(), default=0) or 1
    parts = [f'<svg class="verdicts" width="{width}" height="{row * 3 + 8}" role="img" aria-label="verdicts">']
    for i, verdict in enumerate(VERDICTS):
        n = verdicts[verdict]
        w = (width - 130) * n / top
        y = 4 + i * row
        parts.append(f'<text x="0" y="{y + 15}">{verdict}</text>')
        parts.append(f'<rect class="bar" data-verdict="{verdict}" data-count="{n}" x="60" y="{y}" width="{w:.1f}" '
                     f'height="{row - 8}" fill="{VERDICT_COLOURS[verdict]}"/>')
        parts.append(f'<text x="{66 + w:.1f}" y="{y + 15}">{n}</text>')
    parts.append("</svg>")
    return f"<figure><figcaption>Verdicts</figcaption>{''.join(parts)}</figure>"


def _star(x: float, y: float, outer: float = 10, inner: float = 4.2) -> str:
    corners = []
    for i in range(10):
        r, angle = (outer if i % 2 == 0 else inner), math.pi / 2 + i * math.pi / 5
        corners.append(f"{x + r * math.cos(angle):.1f},{y - r * math.sin(angle):.1f}")
    return "M" + "L".join(corners) + "Z"


def _plus(x: float, y: float, arm: float = 8, half: float = 2.8) -> str:
    a, h = arm, half
    pts = [(-h, -a), (h, -a), (h, -h), (a, -h), (a, h), (h, h), (h, a), (-h, a), (-h, h), (-a, h), (-a, -h), (-h, -h)]
    return "M" + "L".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in pts) + "Z"


def _references(refs, at, stacks: list[tuple], bounds: tuple[float, float]) -> list[str]:
    """The model answer (a hollow blue star) and the known-bad answers (hollow purple crosses), behind the
    trainees, each spot labelled once, as the dashboard's room view marks them. `stacks`: the boxes of the
    "×n" texts, which no label may cover; `bounds`: the chart's left and right edges."""
    parts, labels = [], {}
    for ref in sorted(refs, key=lambda r: r.kind != "bad"):   # the model answer last: on top of a bad one
        x, y = at(ref.privacy, ref.usefulness)
        model = ref.kind == "model"
        colour = REFERENCE_COLOURS[ref.kind]
        shape = _star(x, y) if model else _plus(x, y)
        label = f"{ref.label}: {ref.verdict}, privacy {ref.privacy}, usefulness {ref.usefulness}"
        parts.append(f'<path class="reference" data-kind="{ref.kind}" data-privacy="{ref.privacy}" '
                     f'data-usefulness="{ref.usefulness}" d="{shape}" fill="none" stroke="{colour}" '
                     f'stroke-width="1.8"><title>{_e(label)}</title></path>')
        labels.setdefault((ref.kind, x, y), []).append(ref)
    taken = list(stacks)
    for (kind, x, y), same in sorted(labels.items(), key=lambda kv: kv[0][0] != "model"):  # the model's first
        text = "model answer" if kind == "model" else (f"{len(same)} bad answers" if len(same) > 1 else "bad answer")
        tx, ty = _place(text, x, y, taken, bounds)
        where = f'x="{tx:.1f}" y="{ty:.1f}"'
        colour = REFERENCE_COLOURS[kind]
        # a white halo (a copy stroked white, drawn first: every SVG renderer draws that) keeps it legible
        parts.append(f'<text {where} style="fill:white" stroke="white" stroke-width="3.5">{text}</text>'
                     f'<text class="reference-label" {where} fill="{colour}" style="fill:{colour}">{text}</text>')
    return parts


def _place(text: str, x: float, y: float, taken: list[tuple], bounds: tuple[float, float]):
    """Where a label of the mark at (x, y) starts (left, baseline): over it, else under, hanging towards the
    middle first, on the chart and clear of every box in `taken` (the first place tried if none is clear)."""
    width = CHAR_WIDTH * len(text)
    lefts = (x + 8 - width, x - 8)                      # hanging left of the mark, or right of it
    if x <= (bounds[0] + bounds[1]) / 2:
        lefts = lefts[::-1]
    tried = []
    for dy in (-13, 24, -27, 38):
        for left in lefts:
            left = min(max(left, bounds[0] + 2), bounds[1] - 2 - width)
            box = (left, y + dy - 10, left + width, y + dy + 3)
            tried.append((left, y + dy, box))
            if not any(_overlap(box, other) for other in taken):
                taken.append(box)
                return left, y + dy
    taken.append(tried[0][2])
    return tried[0][:2]


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _room_view(ex: ExerciseSummary, names: dict[str, str], refs=()) -> str:
    """Privacy (across) against usefulness (up): one point per trainee; the shape also says the verdict; the
    model and known-bad answers marked."""
    size, pad, top, inset = 336, 40, 26, 18
    span = size - pad - 24
    mid = top + span / 2

    def at(privacy: float, usefulness: float) -> tuple[float, float]:   # inset: a 0 or 100 clears the frame
        inner = span - 2 * inset
        return pad + inset + inner * privacy / 100, top + inset + inner * (1 - usefulness / 100)
    parts = [f'<svg class="room" width="{size + 10}" height="{size}" role="img" aria-label="room view">',
             f'<rect x="{pad}" y="{top}" width="{span}" height="{span}" fill="none" stroke="#999"/>',
             f'<text x="{pad + span / 2}" y="{top + span + 30}" text-anchor="middle">privacy</text>',
             f'<text x="14" y="{mid}" text-anchor="middle" transform="rotate(-90 14 {mid})">usefulness</text>']
    for tick in (0, 50, 100):
        x, y = at(tick, tick)
        parts.append(f'<text x="{x:.1f}" y="{top + span + 14}" text-anchor="middle">{tick}</text>')
        parts.append(f'<text x="{pad - 4}" y="{at(0, tick)[1] + 4:.1f}" text-anchor="end">{tick}</text>')
    stacked = Counter((r.scored.privacy, r.scored.usefulness) for r in ex.counted)
    stacks = []
    for (privacy, usefulness), n in stacked.items():
        x, y = at(privacy, usefulness)
        stacks.append((x + 9, y - 8, x + 13 + CHAR_WIDTH * len(f"×{n}"), y + 6))
    parts += _references(refs, at, stacks, (pad, pad + span))
    for r in ex.counted:
        s = r.scored
        x, y = at(s.privacy, s.usefulness)
        colour = VERDICT_COLOURS[s.verdict]
        label = f"{names[r.trainee]}: {s.verdict}, privacy {s.privacy}, usefulness {s.usefulness}"
        marker = {"approve": f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5"',
                  "revise": f'<rect x="{x - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9"',
                  "reject": f'<path d="M{x - 5:.1f},{y - 5:.1f}L{x + 5:.1f},{y + 5:.1f}M{x - 5:.1f},{y + 5:.1f}'
                            f'L{x + 5:.1f},{y - 5:.1f}" stroke-width="2.5" stroke="{colour}"'}[s.verdict]
        parts.append(f'{marker} class="point" data-trainee="{_e(names[r.trainee])}" data-privacy="{s.privacy}" '
                     f'data-usefulness="{s.usefulness}" fill="{colour}" fill-opacity="0.7">'
                     f'<title>{_e(label)}</title></{marker.split()[0][1:]}>')
    for (privacy, usefulness), n in sorted(stacked.items()):
        if n > 1:  # trainees with the same scores sit on one spot: say how many
            x, y = at(privacy, usefulness)
            parts.append(f'<text class="stack" x="{x + 11:.1f}" y="{y + 4:.1f}" data-count="{n}">×{n}</text>')
    parts.append("</svg>")
    caption = ("Room view: privacy against usefulness (● approve, ■ revise, ✕ reject; ×n: n trainees on one "
               "spot" + ("; ☆ the model answer, ✚ a known-bad answer" if refs else "") + ")")
    return f"<figure><figcaption>{caption}</figcaption>{''.join(parts)}</figure>"


def _rules_table(ex: ExerciseSummary) -> str:
    rules = ex.rules()
    if not rules:
        return '<p class="muted">No rule was broken.</p>'
    total = len(ex.counted) or 1
    rows = "".join(f'<tr class="rule" data-rule="{_e(r.rule)}" data-results="{r.results}"><td><code>{_e(r.rule)}'
                   f"</code></td><td>{_e(r.title)}</td><td>{_e(r.severity)}</td><td>{_e(r.citation)}</td>"
                   f'<td class="n">{r.results}</td><td class="n">{r.results / total:.0%}</td></tr>'
                   for r in rules)
    return ("<table><tr><th>rule</th><th>what it checks</th><th>severity</th><th>law or source</th>"
            f"<th>trainees</th><th>share</th></tr>{rows}</table>")


def _trainee_table(ex: ExerciseSummary, names: dict[str, str]) -> str:
    rows = []
    for r in sorted(ex.results, key=lambda r: (names[r.trainee].casefold(), r.file)):
        s = r.scored
        cells = (f"<td>{s.verdict}</td><td class='n'>{s.privacy}</td><td class='n'>{s.usefulness}</td>" if s
                 else "<td>-</td><td class='n'>-</td><td class='n'>-</td>")
        flags = ", ".join(r.flags)
        rows.append(f"<tr><td>{_e(names[r.trainee])}</td>{cells}<td class='n'>{r.attempts}</td>"
                    f"<td class='flag'>{_e(flags)}</td></tr>")
    return ("<table><tr><th>trainee</th><th>verdict</th><th>privacy</th><th>usefulness</th><th>attempts</th>"
            f"<th>flags</th></tr>{''.join(rows)}</table>")


def _names(grading: Grading, anonymise: bool) -> dict[str, str]:
    trainees = sorted({r.trainee for r in grading.results if r.trainee}, key=str.casefold)
    names = {"": "(no name)"}
    names.update({t: f"Trainee {i}" if anonymise else t for i, t in enumerate(trainees, start=1)})
    return names


def debrief_html(grading: Grading, *, title: str = "Workshop debrief", anonymise: bool = False) -> str:
    """The whole debrief as one HTML string (no external files, no scripts)."""
    names = _names(grading, anonymise)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = [f"<h1>{_e(title)}</h1>",
            f'<p class="muted">{len(grading.results)} result files, {len(grading.flagged)} flagged; every share '
            f"re-scored by city-sandbox {__version__} on {when}. Scores are the engine's, never the file's.</p>"]
    for ex in summarise(grading):
        body.append(f'<section class="exercise" data-exercise="{_e(ex.exercise)}">'
                    f"<h2>{_e(ex.scenario)} / {_e(ex.exercise)}</h2>"
                    f'<p class="muted">{len(ex.counted)} trainees counted · {_e(ex.source)}</p>'
                    '<div class="charts">' + _verdict_bars(ex.verdicts)
                    + _histogram(ex.privacy, "Privacy scores", "#3b6ea8")
                    + _histogram(ex.usefulness, "Usefulness scores", "#7a52a3")
                    + _room_view(ex, names, grading.references.get((ex.source, ex.exercise), ())) + "</div>"
                    "<h3>Rules broken most often</h3>" + _rules_table(ex)
                    + "<h3>Trainees</h3>" + _trainee_table(ex, names) + "</section>")
    flagged = grading.flagged
    if flagged:
        # file names often hold the trainee's name: anonymised, they are not shown
        rows = "".join(f"<tr><td>{'(hidden)' if anonymise else _e(Path(r.file).name)}</td>"
                       f"<td>{_e(names.get(r.trainee, ''))}</td>"
                       f"<td><code>{_e(code)}</code></td><td>{_e(reason if not anonymise else FLAGS[code])}</td></tr>"
                       for r in flagged for code, reason in r.flags.items())
        body.append("<h2>Flagged result files</h2><table><tr><th>file</th><th>trainee</th><th>flag</th>"
                    f"<th>why</th></tr>{rows}</table>")
    if not_graded(grading):
        body.append(f'<p class="muted">{len(not_graded(grading))} files could not be graded at all '
                    "(listed above with their reason).</p>")
    legend = "".join(f"<li><code>{_e(code)}</code>: {_e(text)}</li>" for code, text in FLAGS.items())
    body.append(f"<h2>What the flags mean</h2><ul>{legend}</ul>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{STYLE}</style></head><body>{''.join(body)}</body></html>\n")


def write_debrief(grading: Grading, path: str | Path, **options) -> Path:
    """Write the debrief HTML atomically."""
    path = Path(path)
    text = debrief_html(grading, **options)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".html", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
