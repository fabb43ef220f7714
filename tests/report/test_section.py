"""Sections as data: a frozen object holding HTML, Markdown, charts, frame and claims."""

from __future__ import annotations

import dataclasses
import pickle

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.figure import Figure

from review_lib.report.claims import CLAIMS_MIME, stated
from review_lib.report.section import Chart, Section, chart_section, combined, sectioned


def drawing(counter: list, label: str = "bars"):
    """A chart function of no arguments that counts how often it is drawn."""

    def draw():
        counter.append(label)
        _, ax = plt.subplots(figsize=(2, 1.5))
        ax.bar([0, 1], [3, 1])
        ax.set_title(label, loc="left")
        return ax

    return draw


def figure_of(alt: str, counter: list | None = None) -> Chart:
    tag = f'<figure class="chart"><img src="data:image/png;base64,AAAA" alt="{alt}">' \
          f"<figcaption>About {alt}.</figcaption></figure>"
    return Chart(alt, f"About {alt}.", b"\x89PNG\r\n\x1a\nfake", tag,
                 drawing(counter if counter is not None else [], alt))


def test_a_section_is_a_frozen_object_that_renders_itself():
    frame = pd.DataFrame({"n": [20]}, index=["Dudley"])
    section = Section("<h2>Heading</h2><p>Twenty <b>records</b>.</p>", frame=frame)
    assert not isinstance(section, str)
    assert section.to_html() == str(section) == section._repr_html_() == section.html
    assert f"<main>{section}</main>" == f"<main>{section.html}</main>"  # f-strings give HTML
    assert section.__html__() == section.html
    # No Markdown from the builder: the plain text of the HTML stands in for it.
    assert section.markdown is None
    assert section.to_markdown() == section.text == section._repr_markdown_() == \
        "## Heading\n\nTwenty records."
    assert section.frame is frame and section.charts == () and section.figure is None
    assert section.figures == () and section.alt == ""
    with pytest.raises(dataclasses.FrozenInstanceError):
        section.html = "<p>changed</p>"
    assert repr(section) == "Section('## Heading\\n\\nTwenty records.', frame 1x1)"
    with pytest.raises(TypeError, match="combined"):
        Section(section)


def test_markdown_written_by_the_builder_is_kept():
    section = Section("<ul><li>One</li><li>Two</li></ul>", "- One\n- Two")
    assert section.to_markdown() == "- One\n- Two"
    assert section._repr_markdown_() == "- One\n- Two"


def test_claims_travel_to_jupyter_beside_the_html():
    @sectioned
    def said():
        return f"<p>{stated('Twenty records.', 'records', {'council': 'X'}, n_cases=20)}</p>"

    section = said()
    assert [c.text for c in section.claims] == ["Twenty records."]
    bundle = section._repr_mimebundle_()
    assert bundle[CLAIMS_MIME]["claims"][0]["figures"] == {"n_cases": 20}
    assert Section("<p>No figure.</p>")._repr_mimebundle_() == {}


def test_a_chart_is_drawn_only_when_asked_for_and_then_kept():
    drawn = []
    chart = figure_of("first", drawn)
    section = chart_section(chart)
    assert section.html == chart.html and section.charts == (chart,)
    assert section.alt == "first" and drawn == []  # the image is there; nothing drawn yet
    figure = section.figure
    assert isinstance(figure, Figure) and figure is section.figure and drawn == ["first"]
    assert figure.axes[0].get_title(loc="left") == "first"
    assert figure not in [plt.figure(n) for n in plt.get_fignums()]  # not pyplot's
    assert chart._repr_png_() == chart.png


def test_save_writes_any_chart_at_any_resolution(tmp_path):
    both = combined(chart_section(figure_of("first")), chart_section(figure_of("second")))
    small = both.save(tmp_path / "out" / "first.png", dpi=50)
    large = both.save(tmp_path / "first-large.png", dpi=200)
    assert small.exists() and large.stat().st_size > small.stat().st_size
    assert both.save(tmp_path / "second.svg", chart=1).read_text().lstrip().startswith("<")
    with pytest.raises(ValueError, match="2 chart"):
        both.save(tmp_path / "third.png", chart=2)
    with pytest.raises(ValueError, match="no chart"):
        Section("<p>Text.</p>").save(tmp_path / "none.png")
    # A chart kept only as its image (after pickling, say) is written as it is, as PNG.
    kept = Chart("kept", png=b"\x89PNG\r\n\x1a\nkept")
    assert kept.figure is None
    assert kept.save(tmp_path / "kept.png").read_bytes() == kept.png
    with pytest.raises(ValueError, match="only as a PNG"):
        kept.save(tmp_path / "kept.svg")


def test_combined_keeps_every_chart_of_every_part_in_order():
    drawn = []
    first, second, third = (chart_section(figure_of(name, drawn))
                            for name in ("first", "second", "third"))
    claimed = Section("<p>Said.</p>", "Said, in Markdown.", claims=("a claim",))
    joined = combined("<h2>Charts</h2>", first, claimed, combined(second, third),
                      frame=pd.DataFrame())
    assert [c.alt for c in joined.charts] == ["first", "second", "third"]
    assert [f.axes[0].get_title(loc="left") for f in joined.figures] == \
        ["first", "second", "third"]
    assert joined.html.index(first.html) < joined.html.index(third.html)
    assert joined.claims == ("a claim",)
    # Each part's Markdown, where one was written; plain text for the rest.
    assert joined.markdown.startswith("## Charts\n\n[Chart: first]\n\nAbout first.")
    assert "Said, in Markdown." in joined.markdown
    assert combined("<p>a</p>", "<p>b</p>").markdown is None  # plain text on demand
    assert combined("<p>a</p>", "<p>b</p>", sep="").html == "<p>a</p><p>b</p>"
    with pytest.raises(TypeError, match="not int"):
        combined("<p>a</p>", 3)


def test_sectioned_keeps_the_charts_its_html_shows_however_it_was_joined():
    @sectioned
    def report():
        first = chart_section(figure_of("first"))
        chart_section(figure_of("dropped"))  # made, but not shown
        second = chart_section(figure_of("second"))
        return f"<div>{second}</div><p>Between.</p><div>{first}</div>"

    section = report()
    assert [c.alt for c in section.charts] == ["second", "first"]  # as the HTML shows them

    @sectioned
    def outer():
        return combined("<h2>Outer</h2>", report())

    assert [c.alt for c in outer().charts] == ["second", "first"]


def test_a_section_pickles_without_its_drawing_functions():
    section = combined(chart_section(figure_of("first")), frame=pd.DataFrame({"n": [1]}),
                       markdown="Text.")
    again = pickle.loads(pickle.dumps(section))
    assert again.html == section.html and again.markdown == "Text."
    assert again.frame.equals(section.frame)
    (chart,) = again.charts
    assert chart == section.charts[0]  # same image, alt text and caption
    assert chart.draw is None and chart.figure is None
