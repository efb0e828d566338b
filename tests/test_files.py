"""meddialogue.core.files: tables as researchers have them (encodings, delimiters, Excel, Parquet) and atomic writes."""
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from meddialogue.core.config import DataError, MedDialogueError
from meddialogue.core.files import (TableInfo, decode_text, describe_table, load_table, read_jsonl, sniff_delimiter,
                               table_info, write_jsonl, write_text_atomic)

TABLES = Path(__file__).parent / "data" / "tables"


def info(df) -> dict:
    return df.attrs["table"]


# --- regressions: files the first load_table could not read ---------------------------------------------------

def test_latin1_csv_with_degree_sign():
    # was: cannot read notes_latin1.csv: 'utf-8' codec can't decode byte 0xb0 in position 5
    df = load_table(TABLES / "notes_latin1.csv")
    assert list(df.columns) == ["patient_id", "temp_°C", "note"]
    assert df.to_dict("list") == {"patient_id": ["P001", "P002"], "temp_°C": ["38.5", "2.0"], "note": ["Patient fébrile", ""]}
    # Latin-1 and Windows-1252 agree on every printable byte, so the file reads right as cp1252
    assert (info(df)["encoding"], info(df)["delimiter"]) == ("cp1252", ",")


def test_semicolon_csv_with_decimal_commas():
    # was: Error tokenizing data. C error: Expected 3 fields in line 4, saw 4
    df = load_table(TABLES / "notes_semicolon.csv")
    assert df.to_dict("list") == {"patient_id": ["P001", "P002", "P003"], "weight_kg": ["70,5", "82,0", ""],
                                  "temperature": ["38,5", "37,2", "36,9"],
                                  "note": ["fever", "chest pain; dyspnoea", "cough, rash, fever"]}
    assert describe_table(df) == "notes_semicolon.csv: CSV, encoding utf-8, delimiter ';', 3 rows, 4 columns"


# --- the fixture tables -------------------------------------------------------------------------------------------

def test_french_excel_export_cp1252_semicolons_crlf():
    df = load_table(TABLES / "notes_excel_fr.csv")
    assert list(df.columns) == ["patient_id", "poids_kg", "température", "note"]
    assert df["note"].tolist() == ["fièvre, toux à l’admission", "douleur thoracique; dyspnée", "NA"]
    assert df["poids_kg"].tolist() == ["70,5", "82,0", ""]
    assert describe_table(df) == "notes_excel_fr.csv: CSV, encoding cp1252, delimiter ';', 3 rows, 4 columns"


def test_tsv_reads_with_tab_and_keeps_quoted_line_breaks():
    df = load_table(TABLES / "notes.tsv")
    assert df.to_dict("list") == {"patient_id": ["P001", "P002"], "note": ["fever, cough; chills", "line one\nline two"],
                                  "weight": ["70.5", ""]}
    assert (info(df)["format"], info(df)["delimiter"]) == ("TSV", "\t")


def test_tab_extension_and_sep_override(tmp_path):
    (tmp_path / "t.tab").write_text("a\tb\n1\t2\n")
    assert load_table(tmp_path / "t.tab").to_dict("list") == {"a": ["1"], "b": ["2"]}
    (tmp_path / "t.tsv").write_text("a;b\n1;2\n")
    assert load_table(tmp_path / "t.tsv", sep=";").to_dict("list") == {"a": ["1"], "b": ["2"]}
    (tmp_path / "t.csv").write_text("a,b;c\n1,2;3\n")                      # ambiguous: both split every row in two
    assert list(load_table(tmp_path / "t.csv").columns) == ["a", "b;c"]   # the earlier delimiter in the list wins
    assert list(load_table(tmp_path / "t.csv", sep=";").columns) == ["a,b", "c"]


def test_utf8_bom_is_not_part_of_the_first_column():
    df = load_table(TABLES / "notes_utf8_bom.csv")
    assert list(df.columns) == ["patient_id", "note"]
    assert df["note"][0] == "Temperatur 38 °C – Übelkeit"
    assert info(df)["encoding"] == "utf-8-sig"


def test_excel_unicode_text_utf16_tab():
    df = load_table(TABLES / "notes_unicode_text.txt")
    assert df.to_dict("list") == {"patient_id": ["P001", "P002"], "note": ["fébrile 38 °C", "RAS"]}
    assert (info(df)["encoding"], info(df)["delimiter"]) == ("utf-16", "\t")


def test_xlsx_sheets_and_values():
    first = load_table(TABLES / "notes.xlsx")
    assert (info(first)["sheet"], first.shape) == ("README", (1, 1))
    df = load_table(TABLES / "notes.xlsx", sheet="notes")
    assert load_table(TABLES / "notes.xlsx", sheet=1).equals(df)
    assert df["patient_id"].tolist() == ["P001", "P002", "P003"]
    assert df["age"].tolist() == [34, 71, 58]
    assert df["temperature"].tolist() == [38.5, "", 37]       # as Excel holds them; an empty cell is ""
    assert df["note"].tolist() == ["fébrile", "NA", ""]        # the text NA is text, as in a CSV
    assert describe_table(df) == "notes.xlsx: Excel, sheet 'notes', 3 rows, 4 columns"
    assert (info(df)["encoding"], info(df)["delimiter"]) == (None, None)


def test_excel_values_become_the_text_column_texts_expects():
    from meddialogue.sources.records import column_texts
    df = load_table(TABLES / "notes.xlsx", sheet="notes")
    assert column_texts(df["age"]) == ["34", "71", "58"]
    assert column_texts(df["temperature"]) == ["38.5", None, "37"]
    assert column_texts(df["note"], missing_values={"NA"}) == ["fébrile", None, None]


def test_parquet_keeps_its_types(tmp_path):
    pd.DataFrame({"id": [1, 2], "note": ["a", None]}).to_parquet(tmp_path / "t.parquet")
    df = load_table(tmp_path / "t.parquet")
    assert df["id"].tolist() == [1, 2] and pd.isna(df["note"][1])
    assert describe_table(df) == "t.parquet: Parquet, 2 rows, 2 columns"


def test_cells_are_text_exactly_as_written(tmp_path):
    (tmp_path / "t.csv").write_text("id,n,flag,code\n1,2.0,NA,007\n2,,null, x \n")
    df = load_table(tmp_path / "t.csv")
    assert df.to_dict("list") == {"id": ["1", "2"], "n": ["2.0", ""], "flag": ["NA", "null"], "code": ["007", " x "]}


def test_header_only_is_an_empty_table(tmp_path):
    (tmp_path / "t.csv").write_text("id;note\r\n")
    df = load_table(tmp_path / "t.csv")
    assert list(df.columns) == ["id", "note"] and len(df) == 0
    assert describe_table(df) == "t.csv: CSV, encoding utf-8, delimiter ';', 0 rows, 2 columns"


def test_encoding_given_is_used_and_checked(tmp_path):
    (tmp_path / "t.csv").write_bytes("id,note\n1,Übelkeit\n".encode("cp1252"))
    assert load_table(tmp_path / "t.csv", encoding="latin-1")["note"][0] == "Übelkeit"
    assert info(load_table(tmp_path / "t.csv", encoding="latin-1"))["encoding"] == "latin-1"
    with pytest.raises(DataError, match=r"byte 0xdc on line 2 is not valid utf-8"):
        load_table(tmp_path / "t.csv", encoding="utf-8")
    with pytest.raises(DataError, match="unknown encoding 'utf-9'"):
        load_table(tmp_path / "t.csv", encoding="utf-9")


def test_bytes_undefined_in_cp1252_fall_back_to_latin1():
    assert decode_text(b"id\nx\x81\xe9\n") == ("id\nx\x81\xe9\n", "latin-1")


# --- one-line errors ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, content, kwargs, message", [
    ("missing.csv", None, {}, "data file not found"),
    ("t.json", b"{}", {}, "unsupported table type '.json' for .*; supported: .csv, .txt, .tsv, .tab, .xlsx"),
    ("t", b"a,b", {}, r"unsupported table type '\(no extension\)'"),
    ("t.xls", b"\xd0\xcf\x11\xe0", {}, "legacy Excel .xls workbook"),
    ("t.csv", b"", {}, "t.csv is empty: it has no header row"),
    ("t.csv", b" \r\n\n", {}, "t.csv is empty"),
    ("t.csv", b"\xef\xbb\xbf", {}, "t.csv is empty"),
    ("t.csv", b"a;b\n1;2\n3;4;5\n", {}, "line 3 has 3 fields but the header has 2"),
    ("t.csv", b"a;b\n1;2;\n3;4;\n", {}, "line 2 has 3 fields but the header has 2"),
    ("t.csv", b"PK\x03\x04\x14\x00\x00\x00", {}, "NUL bytes"),
    ("t.csv", b"a,b\n", {"sheet": "x"}, "sheet= applies to Excel workbooks"),
    ("t.csv", b"a,b\n", {"sep": "::"}, "sep must be one character"),
    ("t.parquet", b"not parquet", {}, "cannot read .*t.parquet"),
    ("t.parquet", b"x", {"encoding": "utf-8"}, "apply to CSV and TSV files"),
    ("t.xlsx", b"not a zip", {}, "cannot read .*t.xlsx"),
])
def test_bad_input_is_one_data_error_line(tmp_path, name, content, kwargs, message):
    if content is not None: (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError, match=message) as e:
        load_table(tmp_path / name, **kwargs)
    assert "\n" not in str(e.value)


def test_unknown_sheet_lists_the_sheets():
    with pytest.raises(DataError, match=r"no sheet 'note' \(did you mean 'notes'\?\); sheets: 'README', 'notes'"):
        load_table(TABLES / "notes.xlsx", sheet="note")
    with pytest.raises(DataError, match="no sheet 5"):
        load_table(TABLES / "notes.xlsx", sheet=5)


def test_empty_workbook_is_an_error(tmp_path):
    import openpyxl
    openpyxl.Workbook().save(tmp_path / "e.xlsx")
    with pytest.raises(DataError, match="sheet 'Sheet' of e.xlsx is empty"):
        load_table(tmp_path / "e.xlsx")


# --- what a read reports -------------------------------------------------------------------------------------------

def test_table_info_follows_the_frame():
    df = load_table(TABLES / "notes_semicolon.csv")
    assert TableInfo(**info(df)) == TableInfo(str(TABLES / "notes_semicolon.csv"), "CSV", "utf-8", ";", 3, 4)
    sub = df[df["weight_kg"] != ""][["patient_id"]]
    assert table_info(sub).rows == 2 and table_info(sub).columns == 1
    assert describe_table(sub) == "notes_semicolon.csv: CSV, encoding utf-8, delimiter ';', 2 rows, 1 column"
    assert table_info(pd.DataFrame({"a": [1]})) is None
    assert describe_table(pd.DataFrame({"a": [1]})) == "DataFrame: 1 rows, 1 columns"


def test_sniffer_prefers_a_regular_table():
    assert sniff_delimiter("a|b|c\n1|x, y; z|3\n") == "|"
    assert sniff_delimiter('a,b\n1,"x;y\n;z"\n') == ","
    assert sniff_delimiter("sep\n") == ","


# --- property: any text table written with a common delimiter and encoding reads back equal ----------------------

DELIMITERS = [",", ";", "\t", "|"]
TRICKY = list(",;\t|\"'\n\r °éÜ–€ ") + ["", "NA", "2.0", "007", "\r\n"]
NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCZ0123456789_ -°é()"


@st.composite
def written_tables(draw):
    delimiter, encoding = draw(st.sampled_from(DELIMITERS)), draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    chars = st.characters(codec="cp1252" if encoding == "cp1252" else "utf-8", exclude_characters="\x00")
    cell = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(chars, max_size=4)), max_size=4).map("".join)
    names = draw(st.lists(st.text(NAME_CHARS, min_size=1, max_size=8).map(str.strip).filter(bool),
                          min_size=2, max_size=5, unique=True))
    rows = draw(st.lists(st.lists(cell, min_size=len(names), max_size=len(names)), max_size=6))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    if newline == "\n":  # the csv writer quotes a cell holding "\r" only when "\r" is in its line terminator
        rows = [[c.replace("\r", "") for c in row] for row in rows]
    return pd.DataFrame(rows, columns=names, dtype=object), delimiter, encoding, newline


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(written_tables())
def test_written_tables_read_back_equal(table):
    df, delimiter, encoding, newline = table
    data = df.to_csv(sep=delimiter, index=False, lineterminator=newline).encode(encoding)
    expected_encoding = encoding
    if encoding == "cp1252":
        try: data.decode("utf-8")
        except UnicodeDecodeError: pass
        else:  # bytes that are valid UTF-8 too: only plain ASCII is unambiguous
            assume(data.isascii())
            expected_encoding = "utf-8"
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "t.csv").write_bytes(data)
        got = load_table(Path(d) / "t.csv")
    assert list(got.columns) == list(df.columns)
    assert got.values.tolist() == df.values.tolist()
    assert (info(got)["delimiter"], info(got)["encoding"]) == (delimiter, expected_encoding)
    assert (info(got)["rows"], info(got)["columns"]) == df.shape


# --- writing -------------------------------------------------------------------------------------------------------

def test_write_text_atomic_replaces_and_cleans_up(tmp_path):
    p = tmp_path / "report.md"
    write_text_atomic(p, "first °\n")
    write_text_atomic(p, "second °\n")
    assert p.read_text(encoding="utf-8") == "second °\n"
    with pytest.raises(TypeError):
        write_text_atomic(p, 42)
    assert p.read_text(encoding="utf-8") == "second °\n"
    assert sorted(f.name for f in tmp_path.iterdir()) == ["report.md"]


def test_jsonl_round_trip_keeps_non_ascii(tmp_path):
    rows = [{"id": "a", "messages": [{"role": "user", "content": "38,5 °C — fébrile?"}]}, {"id": "b", "x": [1, 2.5, None]}]
    write_jsonl(rows, tmp_path / "r.jsonl")
    assert "°" in (tmp_path / "r.jsonl").read_text(encoding="utf-8")
    assert read_jsonl(tmp_path / "r.jsonl") == rows
    write_jsonl([], tmp_path / "empty.jsonl")
    assert read_jsonl(tmp_path / "empty.jsonl") == []


def test_write_jsonl_bad_example_writes_nothing(tmp_path):
    p = tmp_path / "r.jsonl"
    write_jsonl([{"id": "old"}], p)
    with pytest.raises(DataError, match="example 1 cannot be written to r.jsonl as JSON"):
        write_jsonl(iter([{"id": "new"}, {"id": object()}]), p)
    assert read_jsonl(p) == [{"id": "old"}]
    assert sorted(f.name for f in tmp_path.iterdir()) == ["r.jsonl"]


def test_read_jsonl_names_file_and_line(tmp_path):
    p = tmp_path / "cut.jsonl"
    p.write_text('{"id": "a"}\n\n{"id": "b"}\n{"id": "c", "mess\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"cut.jsonl, line 4, column 13: not valid JSON \(Unterminated string starting\)"):
        read_jsonl(p)
    with pytest.raises(MedDialogueError, match="not found"):
        read_jsonl(tmp_path / "missing.jsonl")
    (tmp_path / "latin.jsonl").write_bytes(b'{"a": "\xe9"}\n')
    with pytest.raises(DataError, match="not UTF-8"):
        read_jsonl(tmp_path / "latin.jsonl")


def test_read_jsonl_reads_json_lines_from_elsewhere(tmp_path):
    p = tmp_path / "r.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id": 1}\r\n{"id": 2}')      # a byte-order mark, CRLF, no final newline
    assert read_jsonl(p) == [{"id": 1}, {"id": 2}]
