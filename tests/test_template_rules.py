"""The template rules live in one place (pipeline.templates.rules) and report every problem at
the path of the value at fault, with a hint that says what to change; the loader, the models
and the editor all use them. Also: blank templates, copies, kind changes, sample values and a
lossless YAML round trip."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from pipeline.errors import InputError
from pipeline.templates import (
    AdTemplate,
    check_template,
    instantiate_template,
    load_template,
    read_template_file,
    template_data,
    template_to_yaml,
)
from pipeline.templates.edit import (
    blank_template_data,
    convert_kind,
    duplicate_data,
    new_beat,
    suggest_id,
)
from pipeline.templates.library import load_library
from pipeline.templates.rules import problems_at
from pipeline.templates.samples import (
    estimated_length_s,
    format_length,
    sample_spec,
    sample_values,
)

ALL_IDS = sorted(load_library())


def _data(template_id: str) -> dict:
    return copy.deepcopy(template_data(load_template(template_id)))


def _paths(data: dict) -> list[tuple]:
    return [p.path for p in check_template(data).problems]


@pytest.mark.parametrize("template_id", ALL_IDS)
def test_every_bundled_template_passes_and_round_trips_through_yaml(template_id, tmp_path):
    template = load_template(template_id)
    assert check_template(template_data(template)).ok
    path = tmp_path / f"{template_id}.yaml"
    path.write_text(template_to_yaml(template), encoding="utf-8")
    again = read_template_file(path)
    assert again == template  # lossless
    assert template_to_yaml(again) == path.read_text(encoding="utf-8")


def test_hook_longer_than_1_8_s_is_reported_at_the_hook_duration():
    data = _data("problem_solution")
    data["scenes"][0]["duration_s"] = [1.5, 2.2]
    check = check_template(data)
    assert check.template is None
    (problem,) = problems_at(check.problems, ("scenes", 0, "duration_s"))
    assert "at most 1.8 s" in problem.message and "1.8 s or less" in problem.hint


def test_beat_outside_2_to_3_s_and_total_outside_30_pm_3_are_reported_where_they_are():
    data = _data("problem_solution")
    data["scenes"][4]["duration_s"] = [1.0, 2.8]
    data["scenes"][5]["duration_s"] = [2.4, 3.5]
    paths = _paths(data)
    assert ("scenes", 4, "duration_s") in paths and ("scenes", 5, "duration_s") in paths
    longer = _data("problem_solution")
    longer["scenes"].insert(3, new_beat("agitate"))
    longer["scenes"].insert(3, new_beat("agitate"))
    check = check_template(longer)
    (total,) = problems_at(check.problems, ("scenes",))
    assert total.path == ("scenes",)
    assert "30 ± 3 s" in total.message and "remove a beat" in total.hint


def test_unknown_slot_is_reported_at_its_text_and_names_the_fields():
    data = _data("testimonial")
    data["scenes"][2]["narration"] = "Thanks to {prodcut}."
    (problem,) = check_template(data).problems
    assert problem.path == ("scenes", 2, "narration")
    assert "{prodcut}" in problem.message and "product" in problem.hint
    data["hooks"][1]["text"] = "{product!r}"
    assert ("hooks", 1, "text") in _paths(data)


def test_hook_first_and_showing_the_product():
    data = _data("problem_solution")
    data["scenes"][0]["product"] = False
    assert _paths(data) == [("scenes", 0, "product")]
    data = _data("problem_solution")
    data["scenes"][0], data["scenes"][1] = data["scenes"][1], data["scenes"][0]
    assert ("scenes", 0, "role") in _paths(data)


def test_limits_are_reported_at_the_field():
    data = _data("problem_solution")
    data["scenes"][3]["text"] = "x" * 201
    data["name"] = ""
    data["hooks"].pop()
    paths = _paths(data)
    assert ("scenes", 3, "text") in paths
    assert ("name",) in paths
    assert ("hooks",) in paths  # exactly 5 alternate hooks


def test_field_rules():
    data = _data("problem_solution")
    data["fields"].append(dict(data["fields"][0]))  # product twice
    data["fields"].append({"name": "voice"})  # a common field
    data["fields"].append({"name": "tint", "type": "colour", "default": "reddish"})
    paths = _paths(data)
    n = len(data["fields"])
    assert ("fields", n - 3, "name") in paths
    assert ("fields", n - 2, "name") in paths
    assert ("fields", n - 1, "default") in paths


def test_persona_id_and_prompt_rules():
    data = _data("savings_builder.goal_setting")
    data["topic"] = "goals"
    data["prompt"] = "A {product} animation"
    problems = {p.path: p for p in check_template(data).problems}
    assert "savings_builder.goals" in problems[("id",)].hint
    assert "cannot depend on their fields" in problems[("prompt",)].message


def test_tutorial_scenes_are_checked_as_real_scenes_with_sample_values():
    data = _data("quick_feature_tour")
    data["scenes"][0]["scene_type"] = "slideshow"
    data["scenes"][1] = {"scene_type": "list", "header": "Too many", "items": ["a"] * 13}
    paths = _paths(data)
    assert ("scenes", 0, "scene_type") in paths
    assert ("scenes", 1, "items") in paths


def test_the_models_and_the_loader_use_the_same_rules(tmp_path: Path):
    data = _data("problem_solution")
    data["scenes"][0]["duration_s"] = [1.5, 2.0]
    with pytest.raises(ValueError, match="at most 1.8 s"):
        AdTemplate.model_validate(data)
    path = tmp_path / "slow.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_template_file(path)
    assert caught.value.location == "scenes[0].duration_s"
    assert "at most 1.8 s" in str(caught.value)


@pytest.mark.parametrize("kind", ["ad", "persona", "tutorial"])
def test_blank_templates_and_kind_changes_are_valid(kind):
    data = blank_template_data(kind, template_id="mine", name="Mine")
    check = check_template(data)
    assert check.ok, check.problems
    spec = sample_spec(check.template)
    assert spec.scenes
    for other in ("ad", "persona", "tutorial"):
        converted = convert_kind(data, other)
        assert converted["name"] == "Mine"
        assert check_template(converted).ok, (other, check_template(converted).problems)


def test_copies_get_new_ids_and_persona_copies_a_new_topic():
    ad = load_template("problem_solution")
    copy_data = duplicate_data(ad, taken=set(ALL_IDS) | {"problem_solution_copy"})
    assert copy_data["id"] == "problem_solution_copy_2"
    assert copy_data["name"] == "Problem → Solution (copy)"
    persona = load_template("savings_builder.goal_setting")
    data = duplicate_data(persona, taken=set(ALL_IDS))
    assert data["id"] == "savings_builder.goal_setting_copy" == f"{data['persona']}.{data['topic']}"
    assert check_template(data).ok
    assert suggest_id("My Coffee Ad!", {"my_coffee_ad"}) == "my_coffee_ad_2"


def test_theme_voice_and_field_types_reach_the_spec():
    data = blank_template_data("tutorial", template_id="styled")
    data.update(theme={"accent_color": "green", "font_family": "serif", "dark": True})
    data.update(voice="female", music="calm", caption_style="plain")
    data["fields"].append({"name": "brand", "type": "colour", "default": "#f00"})
    template = check_template(data).template
    assert template is not None
    spec = instantiate_template(template, {"topic": "Lists", "point_1": "Append"})
    assert spec.theme.accent_color == "#10b981" and spec.theme.dark
    assert spec.theme.font_family == "serif" and spec.voice == "female"
    with pytest.raises(InputError, match="brand"):
        instantiate_template(template, {"topic": "Lists", "point_1": "A", "brand": "blurple"})


def test_sample_values_and_lengths():
    ad = load_template("problem_solution")
    values = sample_values(ad)
    assert values["product"] == "GlowBrush"  # the help's example
    assert values["image_path"] == ""  # no product image
    assert format_length(estimated_length_s(ad)) == "28–33 s"
    low, high = estimated_length_s(load_template("code_walkthrough"))
    assert low == high and 5 < low < 120
