"""The terminal summary after a run: final outputs first, fields by their peaks, short."""

from uqscale.report.table import DEFAULT_LINES, indices_table


def field_document(outputs: int) -> dict:
    entry = {
        "mean": [1.0, 2.0, 5.0],
        "ST": {"a": [0.1, 0.8, 0.3], "b": [0.6, 0.2, None]},
        "coords": {"t": [0.0, 1.5, 3.0]},
    }
    return {
        "study": "f",
        "samples": 8,
        "failed": 1,
        "outputs": {f"u{k}": {"sobol": entry} for k in range(outputs)},
    }


def test_a_field_is_one_line_saying_where_each_index_peaks():
    assert indices_table(field_document(1)).splitlines()[1] == (
        "u0[3 pts] [sobol]  mean 1 to 5  ST: a 0.8 at t=1.5, b 0.6 at t=0"
    )


def test_the_summary_is_short_and_verbose_shows_everything():
    document = field_document(50)
    lines = indices_table(document).splitlines()
    assert len(lines) == DEFAULT_LINES
    assert lines[-1] == f"... {50 + 1 - DEFAULT_LINES + 1} more lines (-v shows everything)"
    assert len(indices_table(document, verbose=True).splitlines()) == 1 + 50 * 2


def test_final_outputs_come_before_intermediate_ones():
    lines = indices_table(field_document(3), final={"u2"}).splitlines()
    assert lines[1].startswith("u2[3 pts]")
    assert lines[2] == "intermediate outputs:"
    assert [line.split("[")[0].strip() for line in lines[3:]] == ["u0", "u1"]


def test_a_slow_analysis_shows_a_ticking_line():
    import io
    import time

    from uqscale.execute.progress import Ticker

    stream = io.StringIO()
    with Ticker("analysing", enabled=True, stream=stream, delay=0.05):
        time.sleep(0.3)
    assert stream.getvalue() == "\ranalysing 0:00:00\n"
    quiet = io.StringIO()
    with Ticker("analysing", enabled=True, stream=quiet, delay=5):
        pass
    assert quiet.getvalue() == ""
