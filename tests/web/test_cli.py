"""``restyle web``'s command line (the server itself is replaced: ``test_server`` starts a real one)."""

import pytest

from restyle.web import server


@pytest.fixture
def served(monkeypatch):
    calls = []

    def serve(*args, **kwargs):  # started as the page would be: the command says where once it serves
        calls.append((args, kwargs))
        kwargs["started"](f"http://127.0.0.1:{args[1]}/")

    monkeypatch.setattr(server, "serve", serve)
    monkeypatch.setenv("GRADIO_ANALYTICS_ENABLED", "True")  # (put back after the test: the command sets it)
    return calls


def test_it_serves_locally_by_default_and_says_where(run_cli, served):
    code, out, err = run_cli("web", "--port", 7999, "--queue", 3)
    assert code == 0 and err == ""
    assert "http://localhost:7999" in out
    (args, kwargs), = served
    assert args == ("127.0.0.1", 7999) and kwargs["queue"] == 3 and kwargs["max_upload_mb"] == 25


def test_every_network_interface_gets_a_warning(run_cli, served):
    code, out, err = run_cli("web", "--host", "0.0.0.0")
    assert code == 0 and "anyone who can reach this computer" in err
    assert served[0][0][0] == "0.0.0.0"


@pytest.mark.parametrize("args, message", [(("--port", 0), "--port must be"), (("--queue", -1), "--queue"),
                                           (("--max-upload-mb", 0), "--max-upload-mb")])
def test_bad_settings_are_one_line(run_cli, served, args, message):
    code, _, err = run_cli("web", *args)
    assert code == 2 and message in err and err.count("\n") == 1 and not served
