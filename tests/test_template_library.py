"""User templates: YAML files in the data folder, indexed in the database, listed with the
bundled ones; built-ins are read-only; import/export is lossless; the CLI's exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from pipeline.errors import InputError
from pipeline.templates import load_template, template_to_yaml
from pipeline.templates.edit import blank_template_data, duplicate_data
from studio.cli import main
from studio.service import Studio
from studio.store.tables import TemplateRow
from studio.templates import ReadOnlyTemplateError, TemplateClashError


@pytest.fixture
def studio():
    with Studio() as opened:
        yield opened


def _rows(studio: Studio) -> dict[str, TemplateRow]:
    with studio.db.begin() as session:
        rows = session.scalars(select(TemplateRow)).all()
        for row in rows:
            session.expunge(row)
    return {row.id: row for row in rows}


def test_save_list_get_and_delete_a_user_template(studio: Studio):
    library = studio.templates
    builtin_count = len(library.entries())
    data = duplicate_data(load_template("testimonial"), taken=library.ids())
    data["scenes"][1]["text"] = "Honestly? Life-changing"
    entry = library.save(data, based_on="testimonial")
    assert entry.id == "testimonial_copy" and entry.origin == "user" and not entry.read_only
    assert entry.path == studio.data_dir / "templates" / "testimonial_copy.yaml"
    assert yaml.safe_load(entry.path.read_text())["scenes"][1]["text"] == "Honestly? Life-changing"
    row = _rows(studio)["testimonial_copy"]
    assert (row.kind, row.name, row.format, row.based_on) == (
        "ad",
        "Testimonial (copy)",
        "9:16",
        "testimonial",
    )
    assert json.loads(row.data_json)["scenes"][1]["text"] == "Honestly? Life-changing"
    assert len(library.entries()) == builtin_count + 1
    assert [e.id for e in library.entries("user")] == ["testimonial_copy"]
    assert "testimonial_copy" in [e.id for e in library.entries("ad")]
    assert library.get("testimonial_copy").scenes[1].text == "Honestly? Life-changing"
    library.delete("testimonial_copy")
    assert not entry.path.exists() and _rows(studio) == {}
    with pytest.raises(InputError, match="no template"):
        library.get("testimonial_copy")


def test_built_ins_are_read_only(studio: Studio):
    library = studio.templates
    with pytest.raises(ReadOnlyTemplateError, match="read-only"):
        library.save(load_template("problem_solution"))
    with pytest.raises(ReadOnlyTemplateError, match="cannot be deleted"):
        library.delete("problem_solution")
    assert library.entry("problem_solution").read_only


def test_an_invalid_template_is_not_saved(studio: Studio):
    data = blank_template_data("ad", template_id="broken_ad")
    data["scenes"][0]["duration_s"] = [1.5, 2.5]
    with pytest.raises(InputError, match=r"at most 1\.8 s") as caught:
        studio.templates.save(data)
    assert caught.value.location == "scenes[0].duration_s"
    assert not (studio.data_dir / "templates" / "broken_ad.yaml").exists()
    assert _rows(studio) == {}


def test_renaming_moves_the_file_and_the_row(studio: Studio):
    library = studio.templates
    library.save(blank_template_data("tutorial", template_id="lesson_a"))
    data = blank_template_data("tutorial", template_id="lesson_b", name="Renamed")
    entry = library.save(data, previous_id="lesson_a")
    assert [e.id for e in library.entries("user")] == ["lesson_b"]
    assert entry.name == "Renamed" and set(_rows(studio)) == {"lesson_b"}
    assert not (library.folder / "lesson_a.yaml").exists()
    with pytest.raises(TemplateClashError):
        library.save(blank_template_data("tutorial", template_id="lesson_b"))


def test_files_edited_or_broken_outside_the_studio(studio: Studio):
    library = studio.templates
    entry = library.save(blank_template_data("tutorial", template_id="handmade"))
    assert entry.path is not None
    text = entry.path.read_text().replace("name: My template", "name: Edited by hand")
    entry.path.write_text(text)
    assert library.entry("handmade").name == "Edited by hand"
    assert _rows(studio)["handmade"].name == "Edited by hand"
    (library.folder / "junk.yaml").write_text("id: junk\nkind: ad\nname: [unclosed\n")
    names = [e.id for e in library.entries("user")]
    assert names == ["handmade"]
    (broken,) = library.broken()
    assert broken.path.name == "junk.yaml" and "YAML" in broken.error
    entry.path.unlink()
    assert library.entries("user") == [] and _rows(studio) == {}


def test_import_export_round_trip_is_lossless(studio: Studio, tmp_path: Path):
    library = studio.templates
    data = duplicate_data(load_template("savings_builder.goal_setting"), taken=library.ids())
    data["prompt"] = "A jar fills with coins, one deposit at a time. Warm, hopeful."
    data["theme"] = {"accent_color": "#10b981", "font_family": "serif", "dark": True}
    saved = library.save(data)
    first = library.export(saved.id, tmp_path / "a.yaml")
    library.delete(saved.id)
    imported = library.import_file(first)
    assert imported.template == saved.template
    second = library.export(imported.id, tmp_path)
    assert second == tmp_path / f"{saved.id}.yaml"
    assert second.read_bytes() == first.read_bytes()
    with pytest.raises(TemplateClashError):
        library.import_file(first)
    again = library.import_file(first, new_id="savings_builder.jar")
    assert (again.template.persona, again.template.topic) == ("savings_builder", "jar")
    assert library.import_file(first, replace=True).template == saved.template


def test_cli_templates_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    out = tmp_path / "ps.yaml"
    assert main(["templates", "export", "problem_solution", str(out)]) == 0
    assert out.read_text() == template_to_yaml(load_template("problem_solution"))
    assert main(["templates", "import", str(out)]) == 2
    assert "--id NEW_ID" in capsys.readouterr().err
    assert main(["templates", "import", str(out), "--id", "my_ad"]) == 0
    assert main(["templates", "import", str(out), "--id", "my_ad"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["templates", "import", str(out), "--id", "my_ad", "--replace"]) == 2
    assert main(["templates", "--kind", "user"]) == 0
    assert "my_ad" in capsys.readouterr().out
    assert main(["templates"]) == 0
    listing = capsys.readouterr().out
    assert "problem_solution" in listing and "my_ad" in listing
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        out.read_text()
        .replace("Still dealing with {problem}?", "Still {typo}?", 1)
        .replace("- 1.8\n", "- 2.6\n", 1)
    )
    assert main(["templates", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "scenes[0].text: the slot {typo} names no field" in err
    assert "scenes[0].duration_s: the hook may last at most 1.8 s" in err
    assert main(["templates", "validate", str(out)]) == 0
    assert main(["templates", "validate", str(tmp_path / "missing.yaml")]) == 2
    assert main(["templates", "delete", "problem_solution"]) == 2
    assert "built-in templates cannot be deleted" in capsys.readouterr().err
    assert main(["templates", "delete", "my_ad"]) == 0
    assert main(["templates", "delete", "my_ad"]) == 2


def test_batch_rows_may_use_user_templates(studio: Studio, tmp_path: Path):
    from studio.batch import plan_batch

    data = blank_template_data("tutorial", template_id="my_lesson")
    data["format"] = "1:1"
    studio.templates.save(data)
    manifest = tmp_path / "batch.csv"
    manifest.write_text("template,field.topic,field.point_1\nmy_lesson,Lists,Append\n")
    (row,) = plan_batch(studio, manifest).rows
    assert row.error == "", row.error
    assert row.request is not None and row.request.paid.template_id == "my_lesson"
    assert row.request.spec.title == "Lists" and row.request.spec.format.value == "1:1"
