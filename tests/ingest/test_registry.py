"""The readers' registry: readers are asked in rank order, by content; a new format is one registration."""

import pytest

from pipeline.domain.catalogue import load_catalogue
from pipeline.domain.communes import load_registry
from pipeline.errors import InputError
from pipeline.ingest import read_file, registry
from pipeline.ingest.base import Extract


def test_every_format_and_refusal_is_registered_in_rank_order():
    names = [r.name for r in registry.READERS]
    assert names == ["encrypted office", "old binary office", "xlsx", "docx", "zip, not office",
                     "office name, not zip", "pdf", "empty", "long csv", "report text"]


@pytest.mark.parametrize("data, name, reader", [
    (b"commune_code,period,indicator_code,value\n18217,2021-Q3,1.1.1,6\n", "x.txt", "long csv"),
    ("# BÁO CÁO\nnội dung\n".encode(), "x.csv", "report text"),
    (b"%PDF-1.7\n...", "report.txt", "pdf"),
    (b"  \n", "x.csv", "empty"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "x.xlsx", "old binary office"),
])
def test_the_reader_is_picked_by_content_not_by_name(data, name, reader):
    assert registry.pick(registry.Source(data, name=name, display=name)).name == reader


def test_a_new_reader_is_one_registration(tmp_path, monkeypatch):
    monkeypatch.setattr(registry, "READERS", list(registry.READERS))
    seen = []

    @registry.reader("semicolon list", rank=75, recognises=lambda s: s.text.startswith("CCHC;"))
    def read_list(source, *, catalogue, registry):
        seen.append(source.display)
        return Extract(file=source.display)

    path = tmp_path / "list.dat"
    path.write_text("CCHC;18217;2021-Q3\n", encoding="utf-8")
    extract, data = read_file(path, display="list.dat", catalogue=load_catalogue(), registry=load_registry())
    assert seen == ["list.dat"] and isinstance(extract, Extract) and data.startswith(b"CCHC;")
    assert [r.rank for r in registry.READERS] == sorted(r.rank for r in registry.READERS)


def test_a_file_no_reader_recognises_says_what_was_looked_for(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just some notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="layout not recognised") as err:
        read_file(path, display="notes.txt", catalogue=load_catalogue(), registry=load_registry())
    assert "commune_code" in err.value.expected and "Phụ lục 2B" in err.value.expected
