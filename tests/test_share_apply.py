"""Applying shares: each transform checked by hand, then whole shares against a small winter-storm city."""

import datetime as dt
import hashlib
import hmac

import numpy as np
import pandas as pd
import pytest
from cityfixture import small_city

from sandbox_app.errors import ShareError
from sandbox_app.sharing import transforms as tf
from sandbox_app.sharing.aggregate import recoverable_cells
from sandbox_app.sharing.apply import SOURCE_TABLE, apply_share, check_share, export_csv
from sandbox_app.sharing.database import CityDatabase
from sandbox_app.sharing.document import ShareDocument

HEALTH, OEM, POWER, DSS = ("ph_home_health_clients", "oem_medical_needs_registry", "power_medical_baseline_accounts",
                           "dss_meal_delivery_clients")
DATE_INFO = {"column_name": "birth_date", "data_type": "date", "format": "%Y-%m-%d", "semantic": "birth_date"}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    with CityDatabase(small_city(tmp_path_factory)) as opened:
        yield opened


def share(*tables, aggregate=None) -> ShareDocument:
    """A share of (table, fields) or (table, fields, where) tuples."""
    return ShareDocument.model_validate({
        "scenario": "winter-storm", "purpose": "test", "aggregate": aggregate,
        "tables": [{"table": t[0], "fields": t[1], "where": t[2] if len(t) > 2 else None} for t in tables]})


def problems(db, doc, **kwargs) -> dict[str, str]:
    with pytest.raises(ShareError) as caught:
        apply_share(db, doc, **kwargs)
    return {p.path: str(p) for p in caught.value.problems}


# --------------------------------------------------------------------------------- transforms by hand

def test_generalize_dates_to_year_quarter_and_month():
    dates = pd.Series(["1956-04-21", None, "1956-13-01", "2001-12-31", "1956-04-21"])
    assert tf.generalize(dates, DATE_INFO, "year").tolist()[::3] == ["1956", "2001"]
    assert tf.generalize(dates, DATE_INFO, "quarter").tolist()[::3] == ["1956-Q2", "2001-Q4"]
    month = tf.generalize(dates, DATE_INFO, "month")
    assert month.tolist()[::3] == ["1956-04", "2001-12"] and month.iloc[4] == "1956-04"
    assert month.isna().tolist() == [False, True, True, False, False]  # missing and unparseable are null


def test_dates_are_parsed_with_the_department_format():
    info = {**DATE_INFO, "format": "%m/%d/%Y"}
    assert tf.generalize(pd.Series(["04/21/1956", "1956-04-21"]), info, "month").tolist()[0] == "1956-04"
    assert pd.isna(tf.generalize(pd.Series(["1956-04-21"]), info, "year").iloc[0])


def test_two_digit_years_after_the_reference_date_are_last_century():
    info = {**DATE_INFO, "format": "%m/%d/%y"}
    years = tf.generalize(pd.Series(["05/07/31", "01/02/20"]), info, "year", reference=dt.date(2026, 1, 14))
    assert years.tolist() == ["1931", "2020"]


def test_bands():
    ages = pd.Series([60, 64, 65, 69, 70, None, 3], dtype="Int64")
    assert tf.generalize(ages, {}, "band", width=10).tolist()[:5] == ["60-69"] * 4 + ["70-79"]
    assert tf.band(ages, 5).tolist()[:5] == ["60-64", "60-64", "65-69", "65-69", "70-74"]
    assert pd.isna(tf.band(ages, 5).iloc[5]) and tf.band(ages, 5).iloc[6] == "0-4"
    assert tf.band(pd.Series([43200.0, 110100.0]), 25000).tolist() == ["25000-49999", "100000-124999"]
    assert tf.band(pd.Series([1.2, 2.6]), 0.5).tolist() == ["1-<1.5", "2.5-<3"]


def test_zip3_and_grid():
    assert tf.generalize(pd.Series(["44101", " 44299", None]), {"semantic": "zip"}, "zip3").tolist()[:2] == \
        ["441", "442"]
    assert tf.grid(pd.Series([41.51234, -81.6789, np.nan]), 0.05).tolist()[:2] == [41.5, -81.7]
    assert tf.grid(pd.Series([41.51234]), 0.01).tolist() == [41.51]


def test_top_and_bottom_coding():
    ages = pd.Series([45, 89, 90, 104, None], dtype="Int64")
    assert tf.top_code(ages, 89).tolist()[:4] == [45, 89, "90+", "90+"]
    assert pd.isna(tf.top_code(ages, 89).iloc[4])
    assert tf.bottom_code(ages, 50).tolist()[:2] == ["<50", 89]
    assert tf.top_code(pd.Series([250000.0]), 199999).tolist() == ["200000+"]
    assert tf.top_code(ages, 200) is ages  # nothing above: unchanged


def test_mask_keeps_the_last_characters():
    phones = pd.Series(["440-555-0132", None, "7"])
    assert tf.mask(phones, 2).tolist()[::2] == ["**********32", "7"]
    assert pd.isna(tf.mask(phones, 2).iloc[1])
    assert tf.mask(pd.Series(["abc"])).tolist() == ["***"]


def test_suppress_rare_counts_within_the_values_given():
    values = pd.Series(["cpap"] * 3 + ["ventilator"] + [None] + ["oxygen"] * 2)
    assert tf.suppress_rare(values, 3).tolist()[:4] == ["cpap"] * 3 + ["other"]
    assert tf.suppress_rare(values, 3).tolist()[5:] == ["other", "other"]
    assert pd.isna(tf.suppress_rare(values, 3).iloc[4])


def test_pseudonym_is_keyed_hmac_and_hash_is_plain_sha256():
    values = pd.Series(["mrn1", " MRN1 ", None, "mrn2"])
    signed = tf.pseudonym(values, b"secret")
    assert signed.iloc[0] == hmac.new(b"secret", b"MRN1", hashlib.sha256).hexdigest()[:16]
    assert signed.iloc[0] == signed.iloc[1] != signed.iloc[3]  # normalised: case and spaces do not matter
    assert pd.isna(signed.iloc[2])
    assert tf.pseudonym(values, b"other key").iloc[0] != signed.iloc[0]
    plain = tf.unkeyed_hash(values)
    assert plain.iloc[0] == hashlib.sha256(b"MRN1").hexdigest()
    assert plain.iloc[0][:16] != signed.iloc[0]


def test_street_key_and_nearest_centre():
    assert tf.street_key("1613 Richardson Place Apartment 354") == tf.street_key("1613 RICHARDSON PL #354") \
        == "RICHARDSON PL"
    centres = pd.DataFrame({"neighbourhood": ["North", "South"], "lat": [41.6, 41.4], "lon": [-81.7, -81.7]})
    near = tf.nearest_centre(np.array([41.58, 41.41, np.nan]), np.array([-81.69, -81.8, -81.7]), centres,
                             pd.RangeIndex(3))
    assert near.tolist()[:2] == ["North", "South"] and pd.isna(near.iloc[2])


def test_ops_that_do_not_fit_a_column_are_explained():
    text = {"column_name": "first_name", "data_type": "text", "semantic": "first_name"}
    assert tf.applicability("generalize", "year", text) == \
        "generalize to year needs a date column; 'first_name' is text"
    assert "needs numbers" in tf.applicability("top_code", None, text)
    assert "ZIP code" in tf.applicability("generalize", "zip3", text)
    assert tf.applicability("generalize", "neighbourhood", {"semantic": "lat", "data_type": "real"}) is not None
    assert tf.applicability("generalize", "neighbourhood", {"semantic": "lat", "data_type": "real"},
                            has_partner=True) is None
    assert tf.applicability("mask", None, text) is None


# ------------------------------------------------------------------------------------ whole shares

WELFARE = {"mrn": {"op": "pseudonym"}, "first_name": {"op": "keep"},
           "birth_date": {"op": "generalize", "to": "year"}, "zip": {"op": "generalize", "to": "zip3"},
           "phone": {"op": "mask", "keep_last": 2}, "primary_diagnosis": {"op": "drop"},
           "on_oxygen": {"op": "derive", "expr": "equipment == 'oxygen_concentrator'"}}
WELFARE_WHERE = "equipment != 'none' and zip in ('44101', '44102')"


def test_docs_example_shape(db):
    extract = apply_share(db, share((HEALTH, WELFARE, WELFARE_WHERE)), holding_department="health")
    part = extract.parts[0]
    source = db.read_table(HEALTH).set_index("_row_id").loc[part.row_ids]
    assert list(part.frame.columns) == ["mrn", "first_name", "birth_date", "zip", "phone", "on_oxygen"]
    assert part.rows_before_filter == len(db.read_table(HEALTH)) > len(part.frame) > 0
    assert ((source["equipment"] != "none") & source["zip"].isin(["44101", "44102"])).all()
    assert part.frame["zip"].eq("000").all()  # HIPAA: a ZIP3 area of 20,000 people or fewer (all, here) is 000
    assert part.frame["first_name"].tolist() == source["first_name"].tolist()
    assert part.frame["on_oxygen"].tolist() == (source["equipment"] == "oxygen_concentrator").tolist()
    assert part.frame["phone"].dropna().str.fullmatch(r"\*+\d\d").all()
    years = part.frame["birth_date"].dropna()
    assert years.str.fullmatch(r"\d{4}").all()
    assert years.tolist() == source["birth_date"].str[:4].dropna().tolist()
    assert extract.frame is part.frame


def test_truth_arrays_align_with_rows(db):
    extract = apply_share(db, share((HEALTH, {"birth_date": {"op": "keep"}}, "equipment != 'none'")))
    part = extract.parts[0]
    assert len(part.truth) == len(part.row_ids) == len(part.frame)
    assert part.truth.tolist() == db.truth(HEALTH).loc[part.row_ids].tolist()
    residents = db.residents().set_index("resident_id")
    true_birth = residents.loc[part.truth, "birth_date"].to_numpy()
    agree = np.mean(part.frame["birth_date"].to_numpy() == true_birth)
    assert agree > 0.8  # the rest are the department's defects (missing, swapped day/month, typos)


def test_filter_unfiltered_and_no_fields(db):
    everything = apply_share(db, share((HEALTH, {})))
    assert everything.parts[0].frame.shape == (len(db.read_table(HEALTH)), 0)  # deny by default
    nobody = apply_share(db, share((HEALTH, {"zip": {"op": "keep"}}, "zip == 'nowhere'")))
    assert len(nobody.frame) == 0 and len(nobody.parts[0].truth) == 0
    assert apply_share(db, share()).frame.empty


def test_pseudonyms_are_keyed_by_department_and_consistent_across_tables(db):
    doc = share((HEALTH, {"zip": {"op": "pseudonym"}, "raw": {"op": "derive", "expr": "zip"}}),
                (DSS, {"zip": {"op": "pseudonym"}, "raw": {"op": "derive", "expr": "zip"}}))
    extract = apply_share(db, doc)
    pairs = extract.frame[["raw", "zip"]].dropna().drop_duplicates()
    assert pairs["raw"].is_unique and pairs["zip"].is_unique  # one pseudonym per ZIP, in both tables
    assert set(extract.frame[SOURCE_TABLE]) == {HEALTH, DSS}
    assert list(extract.frame.columns) == [SOURCE_TABLE, "zip", "raw"]
    key = bytes.fromhex(db.meta["pseudonym_key"]) + b"dss+health"
    assert pairs.iloc[0]["zip"] == hmac.new(key, pairs.iloc[0]["raw"].encode(), hashlib.sha256).hexdigest()[:16]
    hashed = apply_share(db, share((HEALTH, {"zip": {"op": "hash"}})))
    assert not set(hashed.frame["zip"].dropna().str[:16]) & set(pairs["zip"])
    as_health = apply_share(db, share((HEALTH, {"zip": {"op": "pseudonym"}})), holding_department="health")
    assert not set(as_health.frame["zip"].dropna()) & set(pairs["zip"])  # another sender, another key


def test_every_op_on_city_tables(db):
    doc = share((POWER, {
        "account_number": {"op": "hash"}, "zip": {"op": "generalize", "to": "neighbourhood"},
        "lat": {"op": "generalize", "to": "grid", "size": 0.01}, "lon": {"op": "generalize", "to": "neighbourhood"},
        "months_in_arrears": {"op": "generalize", "to": "band", "width": 5},
        "household_income": {"op": "top_code", "max": 199999}, "phone": {"op": "suppress_rare", "min_count": 3},
        "service_address": {"op": "generalize", "to": "neighbourhood"},
        "low_income": {"op": "derive", "expr": "household_income < 30000"},
    }))
    part = apply_share(db, doc).parts[0]
    frame, source = part.frame, db.read_table(POWER)
    by_zip = db.neighbourhood_of_zip()
    assert frame["zip"].dropna().isin(set(by_zip.values())).all()
    assert (frame["lat"].dropna().round(2) == frame["lat"].dropna()).all()
    true_places = db.residents().set_index("resident_id").loc[part.truth, "neighbourhood"].to_numpy()
    located = frame["lon"].notna().to_numpy()
    assert np.mean(frame["lon"].to_numpy()[located] == true_places[located]) > 0.95  # from coordinates
    assert np.mean(frame["service_address"].to_numpy() == true_places) > 0.85  # from addresses, typos and all
    assert set(frame["months_in_arrears"].dropna()) <= {"0-4", "5-9", "10-14"}
    incomes = frame["household_income"].dropna()
    assert all(v == "200000+" or v <= 199999 for v in incomes)
    counts = source["phone"].value_counts()
    assert (frame["phone"].dropna() == "other").sum() == counts[counts < 3].sum()
    assert frame["account_number"].str.len().eq(64).all()
    grains = {c.name: c.grain for c in part.columns}
    assert grains == {"account_number": "hash", "zip": "neighbourhood", "lat": "grid", "lon": "neighbourhood",
                      "months_in_arrears": "band5", "household_income": "top_coded", "phone": "suppressed_rare",
                      "service_address": "neighbourhood", "low_income": "flag"}


def test_dates_generalized_with_the_departments_format(db):
    frame = apply_share(db, share((OEM, {"birth_date": {"op": "generalize", "to": "quarter"},
                                         "registered_on": {"op": "generalize", "to": "month"}}))).frame
    assert frame["birth_date"].dropna().str.fullmatch(r"\d{4}-Q[1-4]").all()  # OEM writes %m/%d/%Y
    assert frame["registered_on"].dropna().str.fullmatch(r"\d{4}-\d\d").all()
    assert frame["birth_date"].notna().mean() > 0.8


def test_suppress_rare_counts_the_filtered_extract(db):
    counts = db.read_table(HEALTH)["equipment"].value_counts()
    threshold = int(counts.drop("none").max()) + 1  # only "none" is that common
    assert counts["none"] >= threshold
    fields = {"equipment": {"op": "suppress_rare", "min_count": threshold}}
    everyone = apply_share(db, share((HEALTH, fields))).frame["equipment"]
    fewer = apply_share(db, share((HEALTH, fields, "equipment != 'none'"))).frame["equipment"]
    assert "none" in set(everyone) and set(fewer) == {"other"}


def test_output_columns_describe_sources_and_sensitivity(db):
    doc = share((HEALTH, {"zip": {"op": "generalize", "to": "zip3"},
                          "flag": {"op": "derive", "expr": "equipment != 'none' and zip == '44101'"},
                          "born": {"op": "derive", "expr": "year(birth_date)"}}))
    columns = {c.name: c for c in apply_share(db, doc).parts[0].columns}
    assert (columns["zip"].category, columns["zip"].semantic, columns["zip"].sources) == \
        ("quasi_identifier", "zip", ["zip"])
    assert columns["flag"].sources == ["zip", "equipment"]  # in table order
    assert (columns["flag"].category, columns["flag"].semantic, columns["flag"].grain) == \
        ("health", "derived", "flag")
    assert columns["born"].grain == "derived" and columns["born"].category == "quasi_identifier"
    assert columns["zip"].params == {"to": "zip3"} and columns["zip"].op == "generalize"


def test_aggregate_share(db):
    doc = share((DSS, {"zip": {"op": "keep"}, "lives_alone": {"op": "keep"}}),
                aggregate={"group_by": ["zip", "lives_alone"], "measures": [{"op": "count"}], "min_cell_size": 11})
    extract = apply_share(db, doc, holding_department="dss")
    result = extract.aggregate
    assert extract.frame is result.frame
    assert list(result.frame.columns) == ["zip", "lives_alone", "count", "suppressed"]
    assert result.counts_before_suppression["count"].sum() == len(extract.parts[0].frame)
    assert (result.frame["count"].dropna() >= 11).all()
    assert result.primary_suppressed > 0 and recoverable_cells(result) == 0


def test_export_csv_writes_what_the_recipient_gets(db, tmp_path):
    extract = apply_share(db, share((HEALTH, WELFARE, WELFARE_WHERE)))
    path = export_csv(extract, tmp_path / "out.csv")
    back = pd.read_csv(path, dtype=str)
    assert list(back.columns) == list(extract.frame.columns)
    assert len(back) == len(extract.frame)
    with pytest.raises(ShareError, match="missing-folder does not exist"):
        export_csv(extract, tmp_path / "missing-folder" / "out.csv")


def test_second_apply_reuses_cached_columns(db, monkeypatch):
    doc = share((HEALTH, WELFARE, WELFARE_WHERE))
    first = apply_share(db, doc)
    calls = []
    monkeypatch.setattr(tf, "pseudonym", lambda *a: calls.append(a))
    monkeypatch.setattr(tf, "generalize", lambda *a, **k: calls.append(a))
    again = apply_share(db, doc)
    assert not calls
    pd.testing.assert_frame_equal(first.frame, again.frame)


# ------------------------------------------------------------------------------ shares that cannot apply

def test_unknown_table_suggests_the_closest(db):
    found = problems(db, share(("ph_home_health_client", {})))
    assert found == {"tables[0].table": "<share>: tables[0].table: unknown table 'ph_home_health_client' "
                                        "(did you mean 'ph_home_health_clients'?)"}


@pytest.mark.parametrize("table", ["_residents", "_ground_truth", "_meta", "_data_dictionary"])
def test_facilitator_tables_are_refused(db, table):
    assert "for facilitators only" in problems(db, share((table, {})))["tables[0].table"]


def test_table_of_another_department_is_refused(db):
    message = problems(db, share((DSS, {})), holding_department="health")["tables[0].table"]
    assert "'dss_meal_delivery_clients' is held by dss, not by health" in message
    assert HEALTH in message


def test_unknown_field_suggests_the_closest(db):
    message = problems(db, share((HEALTH, {"birthdate": {"op": "keep"}})))["tables[0].fields.birthdate"]
    assert message.endswith("unknown field 'birthdate' in ph_home_health_clients (did you mean 'birth_date'?)")


def test_op_that_does_not_fit_the_column(db):
    found = problems(db, share((HEALTH, {"first_name": {"op": "generalize", "to": "year"},
                                         "zip": {"op": "top_code", "max": 5},
                                         "phone": {"op": "generalize", "to": "zip3"}})))
    assert found["tables[0].fields.first_name.to"].endswith(
        "generalize to year needs a date column; 'first_name' is text")
    assert "top_code needs numbers" in found["tables[0].fields.zip.op"]
    assert "needs a ZIP code column" in found["tables[0].fields.phone.to"]


def test_filter_and_derive_errors_name_the_column_of_the_expression(db):
    found = problems(db, share((HEALTH, {"x": {"op": "derive", "expr": "lower(frist_name)"}},
                                "zip == '44101' and equipmnt != 'none'")))
    assert found["tables[0].where"] == ("<share>: tables[0].where: column 20: unknown column 'equipmnt' "
                                        "(did you mean 'equipment'?)")
    assert found["tables[0].fields.x.expr"].endswith("column 7: unknown column 'frist_name' "
                                                     "(did you mean 'first_name'?)")


def test_expression_that_fails_on_the_data_is_a_share_error(db):
    found = problems(db, share((HEALTH, {"zip": {"op": "keep"}}, "zip + 1 > 3")))
    assert "cannot apply '+'" in found["tables[0].where"]


def test_hostile_filter_is_refused_before_touching_data(db):
    doc = share((HEALTH, {"zip": {"op": "keep"}}))
    doc.tables[0].where = "__import__('os')"  # bypassing the model's own check
    assert "unknown function '__import__'" in problems(db, doc)["tables[0].where"]
    doc.tables[0].where = "zip.__class__"
    assert "'.' is not allowed here" in problems(db, doc)["tables[0].where"]


def test_aggregate_problems(db):
    two = share((HEALTH, {"zip": {"op": "keep"}}), (DSS, {"zip": {"op": "keep"}}),
                aggregate={"group_by": ["zip"]})
    assert "exactly one table; this share has 2" in problems(db, two)["aggregate"]
    doc = share((HEALTH, {"zip": {"op": "keep"}, "birth_date": {"op": "generalize", "to": "year"}}),
                aggregate={"group_by": ["zipp", "sex"], "measures": [{"op": "mean", "field": "age"}]})
    found = problems(db, doc)
    assert found["aggregate.group_by[0]"].endswith("'zipp' is not a field of the share (did you mean 'zip'?)")
    assert "'sex' is not a field of the share" in found["aggregate.group_by[1]"]
    assert "'age' is not a field of the share" in found["aggregate.measures[0].field"]
    text_measure = share((HEALTH, {"zip": {"op": "keep"}, "birth_date": {"op": "generalize", "to": "year"}}),
                         aggregate={"group_by": ["zip"], "measures": [{"op": "mean", "field": "birth_date"}]})
    assert "mean needs numbers; 'birth_date' is shared as year values" in \
        problems(db, text_measure)["aggregate.measures[0].field"]


def test_every_problem_is_reported_at_once(db):
    doc = share(("nope", {}), (HEALTH, {"nope": {"op": "keep"}}, "nope == 1"), ("_residents", {}))
    assert set(problems(db, doc)) == {"tables[0].table", "tables[1].where", "tables[1].fields.nope",
                                      "tables[2].table"}
    assert check_share(db, share((HEALTH, WELFARE, WELFARE_WHERE)), holding_department="health") == []
