"""The one masking helper."""

from __future__ import annotations

import string

from hypothesis import given, settings, strategies as st

from maestro_tasks.engine.masking import Masker, mask_value

ALNUM = string.ascii_letters + string.digits


def test_mask_shape():
    assert mask_value("Xq" + "a" * 30) == "Xq…(32)"
    assert mask_value("abc") == "…(3)"


def test_short_weak_values_are_masked_as_whole_tokens_only():
    m = Masker(["admin"])
    assert m("GF_SECURITY_ADMIN_PASSWORD=admin") == "GF_SECURITY_ADMIN_PASSWORD=ad…(5)"
    assert m("ui/admin-dashboard") == "ui/admin-dashboard"
    assert m("postgresql://u:admin@db") == "postgresql://u:ad…(5)@db"
    assert m("${GF_PASSWORD:-admin}") == "${GF_PASSWORD:-ad…(5)}"
    assert m("--password admin --x") == "--password ad…(5) --x"
    assert m("admin-") == "ad…(5)-"


def test_overlapping_secrets_mask_the_longest():
    m = Masker(["abcdefghijklmnop", "abcdefghijklmnopqrstuvwx"])
    assert m("v=abcdefghijklmnopqrstuvwx") == "v=ab…(24)"


@given(secret=st.text(alphabet=ALNUM, min_size=12, max_size=64),
       before=st.text(max_size=40), after=st.text(max_size=40))
def test_long_secrets_never_survive_masking(secret, before, after):
    m = Masker([secret])
    assert secret not in m(before + secret + after)


@given(secret=st.text(alphabet=ALNUM + "!@#%^&*", min_size=3, max_size=11),
       sep=st.sampled_from([" ", "=", ":", "@", "'", '"', "\n", ","]))
def test_short_secrets_masked_between_separators(secret, sep):
    m = Masker([secret])
    assert secret not in m(f"key{sep}{secret}{sep}tail").split(sep)


def test_deep_masks_json_structures():
    m = Masker(["Zr8Qp2LmX9vT4kWn"])
    doc = {"a": ["x Zr8Qp2LmX9vT4kWn", {"b": "Zr8Qp2LmX9vT4kWn"}], "n": 3}
    assert "Zr8Qp2LmX9vT4kWn" not in str(m.deep(doc))


def test_fragments_of_long_secrets_are_masked():
    secret = "qico7CkhtebBxR4J0yjVQmUQFPxTa9Lk"
    m = Masker([secret])
    shortened = f"assert '{secret[:12]}...{secret[-12:]}' == 'x'"
    out = m(shortened)
    assert secret[:12] not in out and secret[-12:] not in out
    assert m("nothing secret here at all") == "nothing secret here at all"


# ---- masking never garbles names (issue: `PO…(10)ASSWORD`, rules shown as `pa…(8):32`) -------
WEAK = st.one_of(st.sampled_from(["password", "airflow", "admin", "postgres", "secret", "minio",
                                  "changeme", "root", "grafana", "s3cr3tpass"]),
                 st.from_regex(r"[a-z]{3,9}[0-9]{0,2}", fullmatch=True))
_PART = st.from_regex(r"[A-Za-z0-9]{1,8}", fullmatch=True)


@st.composite
def identifiers_containing(draw, secret: str) -> str:
    """An identifier (variable, dotted path, file name, rule) with ``secret`` strictly inside."""
    glue = draw(st.sampled_from(["_", "-", ".", "/", ""]))
    case = draw(st.sampled_from([str, str.upper]))
    before, after = draw(st.lists(_PART, max_size=2)), draw(st.lists(_PART, max_size=2))
    if not before and not after:
        after = [draw(_PART)]
    return glue.join([*before, case(secret) if case is str else secret, *after])


@settings(max_examples=300)
@given(data=st.data(), secret=WEAK, sep=st.sampled_from([" ", "=", ": ", "@", "'", '"', "\n"]))
def test_names_that_contain_a_secret_are_never_changed_standalone_secrets_always_are(
        data, secret, sep):
    ident = data.draw(identifiers_containing(secret))
    m = Masker([secret, "${POSTGRES_PASSWORD:-%s}" % secret])
    text = f"{ident}{sep}{secret}{sep}{ident}"
    out = m(text)
    assert out.startswith(ident + sep) and out.endswith(sep + ident), (text, out)
    assert out.split(sep)[1] == mask_value(secret)


def test_reported_garbling_cases():
    m = Masker(["airflow", "password", "${POSTGRES_PASSWORD:-airflow}",
                "${AIRFLOW__CORE__FERNET_KEY:-password}"])
    m.protect("password:32")
    for name in ("POSTGRES_PASSWORD", "AIRFLOW__CORE__SQL_ALCHEMY_CONN", "password:32",
                 "services.airflow-webserver.environment", "docker/airflow/Dockerfile",
                 "airflow.cfg", "airflow-init.sh", "x-airflow-common"):
        assert m(f"used by {name} here") == f"used by {name} here"
    assert m("POSTGRES_PASSWORD=airflow") == "POSTGRES_PASSWORD=ai…(7)"
    assert m("password") == "pa…(8)"  # equal to the secret: masked, protected or not
    assert m("DB_PASSWORD  pa…(8)  password:32  generated") == \
        "DB_PASSWORD  pa…(8)  password:32  generated"
    assert m("${POSTGRES_PASSWORD:-airflow}") == "${…(29)"
    assert m("the value is airflow.") == "the value is ai…(7)."


def test_machine_made_values_are_masked_in_pieces_words_are_not():
    from maestro_tasks.engine.masking import machine_made

    assert machine_made("qico7CkhtebBxR4J0yjVQmUQFPxTa9Lk")
    assert machine_made("9f2c7a1e4b8d3f6a0c5e2b7d9a4f1c8e")
    assert not machine_made("${POSTGRES_PASSWORD:-airflow}")
    assert not machine_made("supersecretpassword")
    m = Masker(["supersecretpassword1"])
    assert m("supersecretpa...") == "supersecretpa..."  # a word's piece is not the secret


def test_json_masked_per_string_value_keys_never():
    import io
    import json

    from maestro_tasks.engine.model import StepResult, TaskResult
    from maestro_tasks.engine.output import Reporter

    m = Masker(["airflow", "Zr8Qp2LmX9vT4kWnQ7"])
    doc = {"airflow": "airflow", "POSTGRES_PASSWORD": ["x airflow", {"airflow_conn": "Zr8Qp2LmX9vT4kWnQ7"}]}
    assert m.deep(doc) == {"airflow": "ai…(7)", "POSTGRES_PASSWORD": [
        "x ai…(7)", {"airflow_conn": "Zr…(18)"}]}
    out = io.StringIO()
    step = StepResult(name="compose", status="ok", summary="a \"quoted\" airflow\\path",
                      data={"airflow": {"rule": "password:32", "value": "Zr8Qp2LmX9vT4kWnQ7"}})
    Reporter(m, as_json=True, out=out).recap(TaskResult("week1.fix-secrets", "/t", "apply", [step], 0.1))
    parsed = json.loads(out.getvalue())
    assert "Zr8Qp2LmX9vT4kWnQ7" not in out.getvalue()
    assert parsed["steps"][0]["summary"] == 'a "quoted" ai…(7)\\path'
    assert parsed["steps"][0]["data"] == {"airflow": {"rule": "password:32", "value": "Zr…(18)"}}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab-c1_X.:/ ", min_size=3, max_size=8), min_size=1,
                max_size=40), st.text(alphabet="ab-c1_X.:/ \n", max_size=80))
def test_the_3gram_lookup_finds_what_scanning_every_value_finds(values, text):
    """Past SCAN_ALL_UP_TO values the masker picks candidates by the text's 3-grams: the
    masked text must be the one the scan of every value gives."""
    scan_all = Masker(values)
    scan_all.SCAN_ALL_UP_TO = 10**9
    by_grams = Masker(values)
    by_grams.SCAN_ALL_UP_TO = 0
    assert by_grams(text) == scan_all(text)
    for v in values:
        assert by_grams(f"x {v} y") == scan_all(f"x {v} y")
