"""Risk metrics of an extract, checked against tables worked out by hand and against a naive implementation."""

import json
import random

import numpy as np
import pandas as pd
import pytest

from sandbox_app.privacy import metrics
from sandbox_app.privacy.metrics import (
    classes_below,
    equivalence_classes,
    k_anonymity,
    l_diversity,
    linkage_attack,
    risk_metrics,
)

QIS = ["zip3", "age_band", "sex"]


@pytest.fixture
def sweeney():
    """Ten records in five classes (first-appearance order):

    A (021, 20-29, F) rows 0-2  size 3   diagnoses {Flu, Asthma}
    B (021, 30-39, M) rows 3-5  size 3   diagnoses {Cancer}          <- homogeneity
    C (022, 40-49, F) rows 6-7  size 2   diagnoses {Flu, HIV}
    D (022, 50-59, M) row 8     size 1
    E (023, 60-69, F) row 9     size 1
    """
    rows = [
        ("021", "20-29", "F", "Flu"),
        ("021", "20-29", "F", "Flu"),
        ("021", "20-29", "F", "Asthma"),
        ("021", "30-39", "M", "Cancer"),
        ("021", "30-39", "M", "Cancer"),
        ("021", "30-39", "M", "Cancer"),
        ("022", "40-49", "F", "Flu"),
        ("022", "40-49", "F", "HIV"),
        ("022", "50-59", "M", "Flu"),
        ("023", "60-69", "F", "Asthma"),
    ]
    return pd.DataFrame(rows, columns=[*QIS, "diagnosis"])


@pytest.fixture
def two_anonymous():
    """Six records, three classes of two. Diagnosis: {Flu, Asthma}, {Cancer, Cancer}, {Flu, HIV}.
    Program (null counts as one value): {snap, null}, {medicaid, snap}, {null, snap} -> 2 everywhere."""
    rows = [
        ("021", "20-29", "F", "Flu", "snap"),
        ("021", "20-29", "F", "Asthma", None),
        ("021", "30-39", "M", "Cancer", "medicaid"),
        ("021", "30-39", "M", "Cancer", "snap"),
        ("022", "40-49", "F", "Flu", None),
        ("022", "40-49", "F", "HIV", "snap"),
    ]
    return pd.DataFrame(rows, columns=[*QIS, "diagnosis", "program"])


# ------------------------------------------------------------------------------------------ hand-worked


def test_sweeney_table_classes_3_3_2_1_1(sweeney):
    m = risk_metrics(sweeney, QIS, ["diagnosis"])
    assert m.records == 10
    assert m.classes == 5
    assert m.k_anonymity == 1  # smallest class: D or E
    assert m.unique_records == 2  # D and E
    assert m.unique_share == 0.2  # 2 / 10
    assert m.prosecutor_risk_max == 1.0  # 1 / k
    assert m.prosecutor_risk_mean == 0.5  # (3*1/3 + 3*1/3 + 2*1/2 + 1 + 1) / 10 = 5 / 10
    assert m.records_at_risk == 10  # every class has 1/size >= 1/3 > 0.09
    assert m.l_diversity == {"diagnosis": 1}  # B is all Cancer (and D, E are singletons)
    assert m.journalist_risk_max is None
    # stable by size: D(1), E(1), C(2), A(3), B(3)
    assert m.smallest_classes == [
        {"zip3": "022", "age_band": "50-59", "sex": "M", "size": 1},
        {"zip3": "023", "age_band": "60-69", "sex": "F", "size": 1},
        {"zip3": "022", "age_band": "40-49", "sex": "F", "size": 2},
        {"zip3": "021", "age_band": "20-29", "sex": "F", "size": 3},
        {"zip3": "021", "age_band": "30-39", "sex": "M", "size": 3},
    ]


def test_records_at_risk_uses_the_threshold(sweeney):
    # threshold 0.4: 1/3 = 0.33 is not above it; 1/2 (C: 2 records) and 1/1 (D, E: 1 each) are -> 2 + 1 + 1
    assert risk_metrics(sweeney, QIS, [], risk_threshold=0.4).records_at_risk == 4
    # threshold 0.5 is not exceeded by 1/2: only D and E
    assert risk_metrics(sweeney, QIS, [], risk_threshold=0.5).records_at_risk == 2


def test_equivalence_classes_smallest_first(sweeney):
    expected = pd.DataFrame(
        {
            "zip3": ["022", "023", "022", "021", "021"],
            "age_band": ["50-59", "60-69", "40-49", "20-29", "30-39"],
            "sex": ["M", "F", "F", "F", "M"],
            "size": [1, 1, 2, 3, 3],
        }
    )
    pd.testing.assert_frame_equal(equivalence_classes(sweeney, QIS), expected, check_dtype=False)


def test_classes_below_marks_the_rows_of_small_classes(sweeney):
    sweeney.index = range(100, 110)
    mask = classes_below(sweeney, QIS, 3)  # classes C (rows 6, 7), D (8), E (9) have fewer than 3
    assert mask.index.tolist() == list(range(100, 110))
    assert mask.tolist() == [False] * 6 + [True] * 4


def test_two_anonymous_table(two_anonymous):
    m = risk_metrics(two_anonymous, QIS, ["diagnosis", "program"])
    assert (m.classes, m.k_anonymity, m.unique_records, m.unique_share) == (3, 2, 0, 0.0)
    assert m.prosecutor_risk_max == 0.5  # 1 / 2
    assert m.prosecutor_risk_mean == 0.5  # 3 classes / 6 records
    assert m.records_at_risk == 6  # 1/2 > 0.09
    # homogeneity attack: class (021, 30-39, M) is all Cancer -> l = 1
    # program: every class has 2 distinct values only because null counts as one
    assert m.l_diversity == {"diagnosis": 1, "program": 2}
    assert k_anonymity(two_anonymous, QIS) == 2
    assert l_diversity(two_anonymous, QIS, "diagnosis") == 1
    assert l_diversity(two_anonymous, QIS, "program") == 2


def test_nulls_form_a_class_of_their_own():
    df = pd.DataFrame(
        {
            "zip3": ["021", "021", "021", "021", None],
            "age": [np.nan, np.nan, np.nan, 30.0, np.nan],
            "sex": ["F", None, np.nan, "F", "F"],
        }
    )
    # (021, null): rows 0-2 -> size 3; (021, 30): row 3 -> 1; (null, null): row 4 -> 1
    assert equivalence_classes(df, ["zip3", "age"])["size"].tolist() == [1, 1, 3]
    # None and NaN are the same null: sex of rows 1 and 2 group together
    classes = equivalence_classes(df, ["zip3", "age", "sex"])
    assert classes["size"].tolist() == [1, 1, 1, 2]  # (021,null,F) (021,30,F) (null,null,F) (021,null,null)
    assert k_anonymity(df, ["zip3", "age"]) == 1


def test_empty_frame(sweeney):
    empty = sweeney.iloc[0:0]
    m = risk_metrics(empty, QIS, ["diagnosis"])
    assert m.to_dict() == {
        "records": 0,
        "quasi_identifiers": QIS,
        "sensitive": ["diagnosis"],
        "classes": 0,
        "k_anonymity": None,
        "unique_records": 0,
        "unique_share": 0.0,
        "prosecutor_risk_max": 0.0,
        "prosecutor_risk_mean": 0.0,
        "records_at_risk": 0,
        "risk_threshold": 0.09,
        "l_diversity": {},
        "journalist_risk_max": None,
        "smallest_classes": [],
        "k_threshold": None,
        "records_below_k": 0,
    }
    assert k_anonymity(empty, QIS) is None
    assert l_diversity(empty, QIS, "diagnosis") is None
    assert equivalence_classes(empty, QIS).columns.tolist() == [*QIS, "size"]
    assert len(equivalence_classes(empty, [])) == 0
    assert classes_below(empty, QIS, 5).tolist() == []


def test_no_quasi_identifiers_is_one_class(sweeney):
    m = risk_metrics(sweeney, [], ["diagnosis"])
    assert (m.classes, m.k_anonymity, m.unique_records) == (1, 10, 0)
    assert m.prosecutor_risk_max == 0.1  # 1 / 10
    assert m.prosecutor_risk_mean == 0.1  # 1 class / 10 records
    assert m.records_at_risk == 10  # 0.1 > 0.09
    assert m.l_diversity == {"diagnosis": 4}  # Flu, Asthma, Cancer, HIV
    assert m.smallest_classes == [{"size": 10}]
    assert equivalence_classes(sweeney, []).to_dict("records") == [{"size": 10}]


def test_journalist_risk_uses_population_class_sizes(sweeney):
    population = pd.DataFrame(
        {
            "zip3": ["021", "021", "022", "022", "024"],
            "age_band": ["20-29", "30-39", "40-49", "50-59", "20-29"],
            "sex": ["F", "M", "F", "M", "F"],
            "size": [40, 25, 16, 12, 3],
        }
    )
    # A 40, B 25, C 16, D 12; E (023, 60-69, F) is not in the population table: counted as its own size 1
    assert risk_metrics(sweeney, QIS, [], population_class_sizes=population).journalist_risk_max == 1.0
    # without E: the smallest population class holding an extract class is D's 12 -> 1/12
    m = risk_metrics(sweeney.iloc[:9], QIS, [], population_class_sizes=population)
    assert m.journalist_risk_max == 1 / 12
    assert m.prosecutor_risk_max == 1.0  # D is unique in the extract, but one of 12 in the population
    # a population class smaller than its extract class (bad input) never lowers it below the extract's
    small = population.assign(size=[40, 25, 1, 12, 3])
    assert risk_metrics(sweeney.iloc[:8], QIS, [], population_class_sizes=small).journalist_risk_max == 0.5


def test_journalist_risk_matches_null_classes():
    extract = pd.DataFrame({"zip3": ["021", None, None], "sex": ["F", "M", "M"]})
    population = pd.DataFrame({"zip3": [None, "021"], "sex": ["M", "F"], "size": [20, 50]})

    # (null, M) -> 20, (021, F) -> 50: 1 / 20
    def journalist(df):
        return risk_metrics(df, ["zip3", "sex"], [], population_class_sizes=population).journalist_risk_max

    assert journalist(extract) == 0.05
    assert journalist(extract.iloc[0:0]) == 0.0


def test_to_dict_is_plain_json():
    df = pd.DataFrame(
        {
            "year": np.array([1980, 1980, 1990], dtype=np.int64),
            "band": pd.Categorical(["a", "a", None]),
            "when": pd.to_datetime(["2020-01-01", "2020-01-01", "2021-06-30"]),
        }
    )
    d = risk_metrics(df, ["year", "band", "when"], []).to_dict()
    assert d["smallest_classes"] == [
        {"year": 1990, "band": None, "when": "2021-06-30T00:00:00", "size": 1},
        {"year": 1980, "band": "a", "when": "2020-01-01T00:00:00", "size": 2},
    ]
    assert json.loads(json.dumps(d)) == d


def test_unknown_columns_are_reported(sweeney):
    with pytest.raises(ValueError, match="quasi-identifier column.*postcode"):
        risk_metrics(sweeney, ["postcode"], [])
    with pytest.raises(ValueError, match="sensitive column.*hiv"):
        risk_metrics(sweeney, QIS, ["hiv"])


# ---------------------------------------------------------------------------------------------- linkage


@pytest.fixture
def voter_roll():
    return pd.DataFrame(
        [
            ("021", "20-29", "F", 100),  # unique key
            ("021", "30-39", "M", 101),  # unique key
            ("022", "40-49", "F", 102),  # two candidates
            ("022", "40-49", "F", 103),
            ("023", "50-59", "M", 104),  # unique key
            (None, "60-69", "F", 105),  # null: never matches
        ],
        columns=[*QIS, "_resident_id"],
    )


@pytest.fixture
def shared_rows():
    return pd.DataFrame(
        [
            ("021", "20-29", "F", 100),  # 10: unique, correct
            ("021", "30-39", "M", 999),  # 11: unique, wrong person -> false match
            ("022", "40-49", "F", 102),  # 12: two candidates -> not unique
            ("023", None, "M", 104),  # 13: null in a key -> not attempted
            ("021", "20-29", "F", 100),  # 14: same resident again -> correct
            ("024", "20-29", "F", 200),  # 15: no candidate
            (None, "60-69", "F", 105),  # 16: null never matches null -> not attempted
        ],
        columns=[*QIS, "_resident_id"],
        index=range(10, 17),
    )


def test_linkage_attack_by_hand(shared_rows, voter_roll):
    r = linkage_attack(shared_rows, voter_roll, QIS)
    assert r.to_dict() == {
        "on": QIS,
        "attempted": 5,  # rows 10, 11, 12, 14, 15
        "matched_uniquely": 3,  # 10, 11, 14
        "reidentified": 2,  # 10, 14
        "reidentified_residents": 1,  # both are resident 100
        "false_matches": 1,  # 11
        "resident_ids": [100],
        "example_rows": [10, 14],
        "row_positions": [],
    }


def test_linkage_attack_fewer_columns_more_candidates(shared_rows, voter_roll):
    # on sex alone: every extract row is attempted; the roll has F x4 (100, 102, 103, 105), M x2 -> never unique
    r = linkage_attack(shared_rows, voter_roll, ["sex"])
    assert (r.attempted, r.matched_uniquely, r.reidentified) == (7, 0, 0)
    # on zip3 alone: 021 -> 2 candidates, 022 -> 2, 023 -> 1 (resident 104), 024 -> 0
    r = linkage_attack(shared_rows, voter_roll, ["zip3"])
    assert (r.attempted, r.matched_uniquely, r.reidentified, r.false_matches) == (6, 1, 1, 0)
    assert (r.resident_ids, r.example_rows) == ([104], [13])


def test_linkage_attack_without_columns_links_nothing(shared_rows, voter_roll):
    r = linkage_attack(shared_rows, voter_roll, [])
    assert r.to_dict() == {
        "on": [],
        "attempted": 0,
        "matched_uniquely": 0,
        "reidentified": 0,
        "reidentified_residents": 0,
        "false_matches": 0,
        "resident_ids": [],
        "example_rows": [],
        "row_positions": [],
    }


def test_linkage_attack_empty_sides(shared_rows, voter_roll):
    r = linkage_attack(shared_rows, voter_roll.iloc[0:0], QIS)
    assert (r.attempted, r.matched_uniquely, r.reidentified) == (5, 0, 0)
    r = linkage_attack(shared_rows.iloc[0:0], voter_roll, QIS)
    assert (r.attempted, r.matched_uniquely, r.reidentified) == (0, 0, 0)


def test_linkage_attack_across_dtypes(shared_rows, voter_roll):
    # a categorical extract against a plain-text voter roll links the same way
    cat = shared_rows.astype({c: "category" for c in QIS})
    expected = linkage_attack(shared_rows, voter_roll, QIS).to_dict()
    assert linkage_attack(cat, voter_roll, QIS).to_dict() == expected
    # an integer birth year in the extract matches the float year (nulls made it float) in the roll
    extract = pd.DataFrame({"year": [1980, 1981], "pid": ["a", "b"]})
    roll = pd.DataFrame({"year": [1980.0, np.nan, 1981.0, 1981.0], "pid": ["a", "b", "b", "c"]})
    r = linkage_attack(extract, roll, ["year"], extract_truth="pid", reference_truth="pid")
    assert (r.attempted, r.matched_uniquely, r.reidentified, r.resident_ids) == (2, 1, 1, ["a"])


def test_truth_columns_may_not_be_linked(shared_rows, voter_roll):
    with pytest.raises(ValueError, match="truth"):
        linkage_attack(shared_rows, voter_roll, [*QIS, "_resident_id"])


# ------------------------------------------------------------------------------- naive cross-check


def _norm(value):
    return None if pd.isna(value) else value


def _naive_classes(df, qis):
    classes = {}
    for pos in range(len(df)):
        key = tuple(_norm(df[c].iloc[pos]) for c in qis)
        classes.setdefault(key, []).append(pos)
    return classes  # dicts keep first-appearance order


def _naive_metrics(df, qis, sensitive, population, threshold, k_threshold):
    classes = _naive_classes(df, qis)
    sizes = [len(rows) for rows in classes.values()]
    n = len(df)
    ranked = sorted(classes.items(), key=lambda item: len(item[1]))[:5]
    pop = {}
    for row in population.itertuples(index=False):
        key = tuple(_norm(getattr(row, c)) for c in qis)
        pop[key] = pop.get(key, 0) + row.size
    return {
        "records": n,
        "classes": len(classes),
        "k_anonymity": min(sizes) if n else None,
        "unique_records": sizes.count(1),
        "unique_share": sizes.count(1) / n if n else 0.0,
        "prosecutor_risk_max": 1 / min(sizes) if n else 0.0,
        "prosecutor_risk_mean": len(classes) / n if n else 0.0,
        "records_at_risk": sum(s for s in sizes if 1 / s > threshold),
        "l_diversity": {
            a: min(len({_norm(df[a].iloc[p]) for p in rows}) for rows in classes.values()) for a in sensitive
        }
        if n
        else {},
        "journalist_risk_max": 1 / min(max(pop.get(k, 0), len(r)) for k, r in classes.items()) if n else 0.0,
        "smallest_classes": [{**dict(zip(qis, key, strict=True)), "size": len(rows)} for key, rows in ranked],
        "k_threshold": k_threshold,
        "records_below_k": sum(s for s in sizes if s < k_threshold),
    }


def _naive_linkage(extract, reference, on):
    candidates = {}
    for pos in range(len(reference)):
        key = tuple(_norm(reference[c].iloc[pos]) for c in on)
        if None not in key:
            candidates.setdefault(key, []).append(reference["_resident_id"].iloc[pos])
    attempted = unique = 0
    hits = []
    for pos in range(len(extract)):
        key = tuple(_norm(extract[c].iloc[pos]) for c in on)
        if not on or None in key:
            continue
        attempted += 1
        found = candidates.get(key, [])
        if len(found) == 1:
            unique += 1
            if found[0] == extract["_resident_id"].iloc[pos]:
                hits.append((pos, found[0]))
    return {
        "attempted": attempted,
        "matched_uniquely": unique,
        "reidentified": len(hits),
        "false_matches": unique - len(hits),
        "resident_ids": sorted({r for _, r in hits}),
        "reidentified_residents": len({r for _, r in hits}),
        "example_rows": [extract.index[p] for p, _ in hits][:10],
        "row_positions": [p for p, _ in hits][:3],
    }


def _random_frame(rng, n):
    pick = lambda values: [rng.choice(values) for _ in range(n)]  # noqa: E731
    return pd.DataFrame(
        {
            "zip3": pick(["021", "022", "023", None]),
            "age": pd.array(pick([20.0, 30.0, np.nan]), dtype=float),
            "sex": pd.Categorical(pick(["F", "M", None])),
            "year": pick([1980, 1981, 1982]),
            "dx": pick(["flu", "hiv", "cancer", None]),
            "prog": pick(["snap", "medicaid"]),
            "_resident_id": pick(range(8)),
        },
        index=rng.sample(range(1000), n),
    )


# a tiny key limit forces the renumbering path that protects the combined key from overflowing
@pytest.mark.parametrize("key_limit", [metrics._KEY_LIMIT, 5], ids=["direct", "renumbered"])
def test_risk_metrics_agree_with_naive_implementation(monkeypatch, key_limit):
    monkeypatch.setattr(metrics, "_KEY_LIMIT", key_limit)
    rng = random.Random(2002)
    for _ in range(150):
        df = _random_frame(rng, rng.randint(0, 30))
        qis = rng.sample(["zip3", "age", "sex", "year"], rng.randint(0, 4))
        sensitive = rng.sample(["dx", "prog", "zip3"], rng.randint(0, 2))
        people = _random_frame(rng, rng.randint(0, 60))
        if qis:
            population = people.groupby(qis, dropna=False, observed=True).size().rename("size").reset_index()
        else:
            population = pd.DataFrame({"size": [len(people)]})
        threshold = rng.choice([0.09, 0.2, 0.5])
        k_threshold = rng.randint(1, 4)
        got = risk_metrics(df, qis, sensitive, population_class_sizes=population, risk_threshold=threshold,
                           k_threshold=k_threshold)
        want = _naive_metrics(df, qis, sensitive, population, threshold, k_threshold)
        got = got.to_dict()
        assert {k: got[k] for k in want} == metrics._jsonable(want)
        naive_classes = _naive_classes(df, qis).values()
        assert equivalence_classes(df, qis)["size"].tolist() == sorted(len(rows) for rows in naive_classes)
        k = rng.randint(1, 4)
        small = {p for rows in naive_classes if len(rows) < k for p in rows}
        assert classes_below(df, qis, k).tolist() == [p in small for p in range(len(df))]


@pytest.mark.parametrize(
    ("key_limit", "direct_keys"),
    [(metrics._KEY_LIMIT, metrics._DIRECT_KEYS), (5, -(10**9))],
    ids=["direct", "renumbered"],
)
def test_linkage_attack_agrees_with_naive_implementation(monkeypatch, key_limit, direct_keys):
    monkeypatch.setattr(metrics, "_KEY_LIMIT", key_limit)
    monkeypatch.setattr(metrics, "_DIRECT_KEYS", direct_keys)
    rng = random.Random(2007)
    for _ in range(150):
        reference = _random_frame(rng, rng.randint(0, 40))
        extract = _random_frame(rng, rng.randint(0, 20))
        on = rng.sample(["zip3", "age", "sex", "year"], rng.randint(0, 4))
        got = linkage_attack(extract, reference, on, positions_shown=3).to_dict()
        assert got == {"on": on, **_naive_linkage(extract, reference, on)}
