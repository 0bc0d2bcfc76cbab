from PIL import Image

from restyle.demo import CONTENTS, EXAMPLES, STYLES


def test_examples_are_shipped_small_with_attribution():
    for name in CONTENTS + STYLES:
        assert max(Image.open(EXAMPLES / name).size) <= 512
    sources = (EXAMPLES / "SOURCES.md").read_text()
    assert all(name in sources for name in CONTENTS + STYLES)
    assert "CC BY 3.0" in sources and "Andreas Praefcke" in sources


def test_demo_shows_both_engines_and_says_where_each_file_went(run_cli, tmp_path, keep_memory_calls):
    from restyle.core import memory
    calls = keep_memory_calls(memory)
    code, out, err = run_cli("demo", "-o", tmp_path / "demo", "--size", 32, "--iterations", 2)
    assert code == 0, err
    assert len(calls) == 2 and calls[1] == "left"  # freed memory kept across the presets' passes, as the CLI asks
    names = sorted(p.name for p in (tmp_path / "demo").iterdir())
    assert names == sorted(["presets.jpg", "grid.jpg", "tubingen_starry_night.jpg", "tubingen_great_wave.jpg",
                            "chelsea_cat_starry_night.jpg", "chelsea_cat_great_wave.jpg"])
    assert Image.open(tmp_path / "demo" / "grid.jpg").width == 3 * 32 + 2 * 4
    presets = Image.open(tmp_path / "demo" / "presets.jpg")
    assert presets.width == 5 * 32 + 4 * 4  # the photo, then the four presets
    for name in names:
        assert str(tmp_path / "demo" / name) in err
    assert err.index("presets.jpg") < err.index("optimizer:")  # the fast engine first


def test_demo_folder_that_is_a_file(run_cli, tmp_path):
    (tmp_path / "f").write_text("x")
    code, _, err = run_cli("demo", "-o", tmp_path / "f", "--size", 32, "--iterations", 1, "-q")
    assert code == 2 and "cannot create the demo folder" in err


def test_the_help_states_the_demos_own_defaults(run_cli):
    import inspect

    from restyle.demo import run_demo
    code, out, _ = run_cli("demo", "--help")
    defaults = inspect.signature(run_demo).parameters
    assert f"(default: {defaults['size'].default})" in out
    assert f"(default: {defaults['iterations'].default})" in out.replace("\n", " ").replace("  ", " ")
