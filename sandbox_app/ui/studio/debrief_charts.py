"""The debrief's charts drawn on matplotlib Axes (no Qt): the room view, score histograms, an attempt path,
and the PDF of every exercise's room view and distributions (written atomically, nothing fetched)."""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

from sandbox_app.ui.studio.debrief_data import Debrief, ExerciseDebrief

VERDICT_COLOURS = {"approve": "#2e7d32", "revise": "#ef8f00", "reject": "#c62828"}
VERDICT_MARKERS = {"approve": "o", "revise": "s", "reject": "X"}
BINS = list(range(0, 101, 10))
TRAINEE_GID = "trainees"
REFERENCE_GIDS = {"model": "model-answer", "bad": "bad-answers"}   # the answers' scatter collections


def draw_room(ax, ex: ExerciseDebrief, selected=None) -> list:
    """Every trainee as a point (privacy across, usefulness up), coloured and shaped by verdict; the model and
    bad answers marked. Returns the trainee collections, each with `.points` (TraineePoint, in offset order)."""
    collections = []
    for verdict, colour in VERDICT_COLOURS.items():
        points = [p for p in ex.points if p.result.verdict == verdict]
        if not points:
            continue
        coll = ax.scatter([p.privacy for p in points], [p.usefulness for p in points], s=70, c=colour,
                          marker=VERDICT_MARKERS[verdict], alpha=0.75, picker=True, edgecolors="white",
                          label=f"trainee: {verdict} ({len(points)})", zorder=3)
        coll.set_gid(TRAINEE_GID)
        coll.points = points
        collections.append(coll)
    for kind, marker, colour in (("model", "*", "#1565c0"), ("bad", "P", "#6a1b9a")):
        refs = [r for r in ex.references if r.kind == kind]
        if refs:  # hollow and behind, so the trainees on the same spot still show
            marks = ax.scatter([r.privacy for r in refs], [r.usefulness for r in refs],
                               s=420 if kind == "model" else 300, marker=marker, facecolors="none", edgecolors=colour,
                               linewidths=1.8, zorder=2, label="model answer" if kind == "model" else "known-bad answer")
            marks.set_gid(REFERENCE_GIDS[kind])
            for r in refs:  # the model's label under its star, the bad answers' above theirs: never on each other
                # left of the spot (the "×n" sits right of it) unless that runs off the chart
                right = r.privacy > (75 if kind == "model" else 25)
                offset = ((8 if right else -8), -26) if kind == "model" else ((-12 if right else 12), 10)
                ax.annotate("model answer" if kind == "model" else "bad answer", (r.privacy, r.usefulness),
                            xytext=offset, textcoords="offset points", fontsize=8, color=colour,
                            ha="right" if right else "left")
    stacked = Counter((p.privacy, p.usefulness) for p in ex.points)
    for (privacy, usefulness), n in sorted(stacked.items()):
        if n > 1:  # trainees with the same scores sit on one spot: say how many
            ax.annotate(f"×{n}", (privacy, usefulness), xytext=(7, 4), textcoords="offset points", fontsize=9,
                        fontweight="bold", gid="stack")
    if selected is not None:
        ax.scatter([selected.privacy], [selected.usefulness], s=260, facecolors="none", edgecolors="black",
                   linewidths=2, zorder=5, label="chosen trainee")
    ax.set_xlim(-4, 107)   # room on the right for the "×n" beside a perfect score
    ax.set_ylim(-4, 105)
    ax.set_xlabel("privacy score (higher: less over-shared)")
    ax.set_ylabel("usefulness score (higher: less under-shared)")
    ax.set_title(f"Room view: {ex.label} ({len(ex.points)} trainees)")
    ax.grid(True, alpha=0.3)
    ax.axvline(90, color="#999", lw=0.8, ls="--")
    ax.axhline(90, color="#999", lw=0.8, ls="--")
    if collections or ex.references:
        ax.legend(loc="lower left", fontsize=8, framealpha=0.85, markerscale=0.6)
    return collections


def draw_histograms(ax_privacy, ax_usefulness, ex: ExerciseDebrief) -> None:
    """Trainees per band of 10 points, for each score (the last band holds 90 to 100)."""
    for ax, values, colour, what in ((ax_privacy, ex.summary.privacy, "#3b6ea8", "Privacy"),
                                     (ax_usefulness, ex.summary.usefulness, "#7a52a3", "Usefulness")):
        ax.hist(values, bins=BINS, color=colour, edgecolor="white")
        ax.set_title(f"{what} scores")
        ax.set_xlabel("score")
        ax.set_ylabel("trainees")
        ax.set_xlim(0, 100)
        ax.yaxis.get_major_locator().set_params(integer=True)


def draw_attempts(ax, point, name: str) -> None:
    """One trainee's privacy and usefulness at each attempt (as the result file recorded them)."""
    steps = list(range(1, len(point.attempts) + 1))
    ax.plot(steps, [a[0] for a in point.attempts], "o-", color="#3b6ea8", label="privacy")
    ax.plot(steps, [a[1] for a in point.attempts], "s-", color="#7a52a3", label="usefulness")
    ax.set_ylim(-3, 103)
    ax.set_xticks(steps)
    ax.set_xlabel("attempt")
    ax.set_ylabel("score")
    ax.set_title(f"{name}: path across {len(steps)} attempt{'s' * (len(steps) != 1)}")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, alpha=0.3)


def exercise_figure(ex: ExerciseDebrief):
    """A stand-alone figure (no canvas on screen) of one exercise: room view left, histograms right."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.7, 8.3))   # A4 landscape
    grid = fig.add_gridspec(2, 2, width_ratios=(1.4, 1))
    draw_room(fig.add_subplot(grid[:, 0]), ex)
    draw_histograms(fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1]), ex)
    fig.tight_layout()
    return fig


def write_pdf(debrief: Debrief, path: str | Path, *, title: str = "Workshop debrief") -> Path:
    """One page per exercise (room view and distributions), written atomically; trainee names never appear."""
    from matplotlib.backends.backend_pdf import PdfPages

    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".pdf", dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    try:
        with PdfPages(tmp, metadata={"Title": title, "Creator": "city-sandbox"}) as pdf:
            for ex in debrief.exercises:
                pdf.savefig(exercise_figure(ex))
            if not debrief.exercises:
                from matplotlib.figure import Figure

                fig = Figure(figsize=(11.7, 8.3))
                fig.text(0.5, 0.5, "No result could be graded.", ha="center")
                pdf.savefig(fig)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
