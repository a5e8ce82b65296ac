"""Grain names are defined once: every group the engine uses is made of names the transforms can produce."""

from __future__ import annotations

from sandbox_app.sharing import grains, transforms


def test_every_op_gives_a_known_grain():
    produced = {transforms.grain(op, {}) for op in transforms.OPS if op not in ("generalize", "drop")}
    produced |= {transforms.grain("generalize", {"to": to}) for to in transforms.GENERALIZE_TO if to != "band"}
    produced |= {transforms.grain("derive", {}, flag=True)}
    assert produced <= set(grains.OUTPUT_GRAINS)
    assert grains.band_width(transforms.grain("generalize", {"to": "band", "width": 5})) == 5.0


def test_grain_groups_use_only_known_names():
    known = set(grains.OUTPUT_GRAINS)
    for group in (grains.EXACT_LIKE, grains.IDENTIFYING_GRAINS, grains.CODE_GRAINS, grains.DATE_ORDER):
        assert set(group) <= known
    assert all(grains.band_width(g) or g in known or g == "any" for g in grains.NEED_GRAINS)
    assert grains.band_width("bandx") is None and grains.band_width("zip3") is None
