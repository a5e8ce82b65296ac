"""The city profile's four charts drawn on matplotlib Axes (no Qt): residents by number of departments,
defect rates per department, the age pyramid and neighbourhood sizes. Each says so in plain words when it
has nothing to show, and returns its bar containers so tests can read the numbers back."""

from __future__ import annotations

from matplotlib.ticker import FuncFormatter, MaxNLocator

from sandbox_app.explore.city_profile import DEFECT_KINDS, CityProfile
from sandbox_app.ui.common.chart_image import RenderedChart, render_figure

BAR = "#3b6ea8"
KIND_COLOURS = {"missing": "#8c8c8c", "duplicate": "#7a52a3", "wrong_zip": "#ef8f00",
                "swapped_day_month": "#2e7d32", "name": "#c62828"}
SEX_WORDS = {"F": "women", "M": "men"}
SEX_COLOURS = ("#3b6ea8", "#c2185b", "#2e7d32", "#ef8f00")


def _count(value: float, _pos=None) -> str:
    return f"{abs(value):,.0f}"


def _empty(ax, title: str, message: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True, transform=ax.transAxes, color="#555")
    ax.set_xticks([])
    ax.set_yticks([])


def _wrap(text: str, width: int = 22) -> str:
    """A long department name on two lines at most, so the axis labels stay narrow."""
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else width
    rest = text[cut:].strip()
    return text[:cut] + "\n" + (rest if len(rest) <= width else rest[:width - 1] + "…")


def draw_departments_per_resident(ax, profile: CityProfile):
    """Bars of residents with records in 1, 2, 3… departments (those in none are said in the title: a bar for
    them would flatten the rest). Returns the BarContainer, or None when no resident is in any department."""
    title = "How many departments hold a record about each resident"
    shown = [(n, count) for n, count in profile.departments_per_resident if n > 0]
    none = dict(profile.departments_per_resident).get(0, 0)
    if not any(count for _n, count in shown):
        _empty(ax, title, "No resident has a record in any department\n(the city has no department records)."
               if profile.departments else "This city has no department tables.")
        return None
    bars = ax.bar([str(n) for n, _c in shown], [c for _n, c in shown], color=BAR)
    ax.bar_label(bars, labels=[f"{c:,}" for _n, c in shown], fontsize=8, padding=2)
    ax.set_title(f"{title}\n{none:,} of {profile.residents:,} residents "
                 f"({none / max(profile.residents, 1):.0%}) are in none, so have no bar", fontsize=10)
    ax.set_xlabel(f"number of departments (of {profile.departments})")
    ax.set_ylabel("residents")
    ax.yaxis.set_major_formatter(FuncFormatter(_count))
    ax.margins(y=0.15)
    return bars


def draw_defects(ax, profile: CityProfile) -> dict:
    """Horizontal bars per department, one per kind of defect measured (percent of what could have it), with a
    black tick at the rate the scenario asks for; each department's label says how many records it has, since
    a few dozen records cannot show a rate of 1 %. Returns {kind: BarContainer} (widths in percent)."""
    title = "Defects found per department\n(share of the values or records each kind could touch)"
    departments = [d for d in profile.defects if d.kinds]
    if not departments:
        _empty(ax, title, "This city has no department tables, so there is nothing to check.")
        return {}
    kinds = [k for k in DEFECT_KINDS if any(k in d.kinds for d in departments)]
    height = 0.8 / len(kinds)
    out = {}
    asked_x, asked_y = [], []
    for j, kind in enumerate(kinds):
        ys, widths = [], []
        for i, d in enumerate(departments):
            rate = d.kinds.get(kind)
            y = i - 0.4 + height * (j + 0.5)
            ys.append(y)
            widths.append(100 * (rate.rate or 0.0) if rate else 0.0)
            if rate is not None and rate.asked is not None:
                asked_x.append(100 * rate.asked)
                asked_y.append(y)
        out[kind] = ax.barh(ys, widths, height=height * 0.9, color=KIND_COLOURS[kind], label=DEFECT_KINDS[kind])
    if asked_x:
        ax.scatter(asked_x, asked_y, marker="|", s=90, color="black", linewidths=1.6, zorder=3,
                   label="asked for in the scenario")
    ax.set_yticks(range(len(departments)), [f"{_wrap(d.name)}\n{d.records:,} records" for d in departments],
                  fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("percent")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:g}%"))
    ax.set_xlim(left=0)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title(title, fontsize=10)
    if not any(r.affected for d in departments for r in d.kinds.values()):
        asks_none = all(not r.asked for d in departments for r in d.kinds.values())
        ax.text(0.5, 0.5, "No defect found in what is checked" + (":\nthe scenario asks for none." if asks_none
                                                                  else "."),
                ha="center", va="center", transform=ax.transAxes, fontsize=10, color="#555",
                bbox={"facecolor": "white", "edgecolor": "#ccc"})
        ax.set_xlim(0, 1)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=2, fontsize=7, frameon=False)
    return out


def draw_age_pyramid(ax, profile: CityProfile) -> dict:
    """Residents per 10-year age band: with two sexes, one to the left (men, when the codes are M and F) and
    one to the right; otherwise side by side. Returns {sex code: BarContainer} (left widths are negative)."""
    age = profile.age
    title = f"Residents by age on {profile.reference_date} and sex"
    if not age.sexes:
        _empty(ax, title, "No resident has a birth date, so there are no ages to show.")
        return {}
    sexes = (["M", "F"] if set(age.sexes) == {"M", "F"} else list(age.sexes))
    y = list(range(len(age.bands)))
    out = {}
    if len(sexes) == 2:
        for side, sex, colour in ((-1, sexes[0], SEX_COLOURS[0]), (1, sexes[1], SEX_COLOURS[1])):
            out[sex] = ax.barh(y, [side * n for n in age.counts[sex]], color=colour, height=0.85,
                               label=f"{SEX_WORDS.get(sex, f'sex {sex}')} ({sum(age.counts[sex]):,})")
        ax.axvline(0, color="#333", lw=0.8)
        widest = max(max(age.counts[s]) for s in sexes) * 1.08 or 1
        ax.set_xlim(-widest, widest)
    else:
        height = 0.85 / len(sexes)
        for j, sex in enumerate(sexes):
            out[sex] = ax.barh([v - 0.425 + height * (j + 0.5) for v in y], age.counts[sex], height=height,
                               color=SEX_COLOURS[j % len(SEX_COLOURS)],
                               label=f"{SEX_WORDS.get(sex, f'sex {sex}')} ({sum(age.counts[sex]):,})")
    ax.set_yticks(y, age.bands, fontsize=8)
    ax.set_ylabel("age (years)")
    ax.set_xlabel("residents")
    ax.xaxis.set_major_formatter(FuncFormatter(_count))
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_title(title, fontsize=10)
    ax.legend(loc="upper right", fontsize=8)
    return out


def draw_neighbourhoods(ax, profile: CityProfile):
    """Residents per neighbourhood, largest at the top, each bar labelled with its count and share."""
    title = "Residents per neighbourhood"
    if not profile.neighbourhoods:
        _empty(ax, title, "This city has no residents.")
        return None
    names = [_wrap(n) for n, _c in profile.neighbourhoods]
    counts = [c for _n, c in profile.neighbourhoods]
    bars = ax.barh(range(len(names)), counts, color=BAR, height=0.7)
    total = max(sum(counts), 1)
    ax.bar_label(bars, labels=[f"{c:,} ({c / total:.0%})" for c in counts], fontsize=8, padding=3)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("residents")
    ax.xaxis.set_major_formatter(FuncFormatter(_count))
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.margins(x=0.22)
    ax.set_title(f"{title}\n({len(names)} neighbourhoods, {sum(counts):,} residents)", fontsize=10)
    return bars


CHARTS = {"departments": draw_departments_per_resident, "defects": draw_defects, "ages": draw_age_pyramid,
          "neighbourhoods": draw_neighbourhoods}



def render_chart(key: str, profile: CityProfile, width: int = 680, height: int = 600, dpi: int = 100
                 ) -> RenderedChart:
    """Draw chart `key` and rasterise it, off the GUI thread (chart_image.render_figure)."""
    return render_figure(lambda ax: CHARTS[key](ax, profile), width, height, dpi)


__all__ = ["CHARTS", "RenderedChart", "draw_age_pyramid", "draw_defects", "draw_departments_per_resident",
           "draw_neighbourhoods", "render_chart"]
