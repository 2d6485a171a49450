"""Configuration: defaults, file, environment overrides, and clear messages for every mistake."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import ConfigError, env_name, load, schema

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path | None = None, **env: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(path, environ=env)
    return caught.value.problems


def test_defaults_without_any_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no config.toml here
    config = load(None, environ={"LABBOT_CONFIG": ""})
    assert config.source == "defaults"
    assert config.telegram.token == ""
    assert config.scheduler.timezone == "Europe/Rome"
    assert config.network.contact_email == "info@csf.pv.it"


def test_the_committed_config_is_valid_and_equals_the_defaults(tmp_path, monkeypatch):
    committed = load(ROOT / "config.toml", environ={})
    monkeypatch.chdir(tmp_path)
    defaults = load(None, environ={})
    assert committed.source.endswith("config.toml")
    assert replace(committed, source="") == replace(defaults, source="")


def test_file_values_and_environment_overrides(tmp_path):
    path = write(
        tmp_path,
        '[telegram]\nstaff_ids = [1, 2]\nmode = "polling"\n[storage]\npath = "a.db"\n',
    )
    config = load(
        path,
        environ={
            "LABBOT_TELEGRAM_STAFF_IDS": "111, 222",
            "LABBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/bot",
            "LABBOT_TELEGRAM_STAFF_CHAT_ID": "-1001234",
            "LABBOT_TELEGRAM_RATE_LIMIT": "false",
            "LABBOT_STORAGE_PATH": "/srv/bot.sqlite3",
            "BOT_TOKEN": "123:abc",
        },
    )
    assert config.telegram.staff_ids == (111, 222)
    assert config.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert config.telegram.staff_chat_id == -1001234
    assert config.telegram.rate_limit is False
    assert config.storage.path == Path("/srv/bot.sqlite3")
    assert config.telegram.token == "123:abc"


def test_bot_token_wins_over_the_long_name():
    config = load(None, environ={"BOT_TOKEN": "1:a", "LABBOT_TELEGRAM_TOKEN": "2:b"})
    assert config.telegram.token == "1:a"
    assert load(None, environ={"LABBOT_TELEGRAM_TOKEN": "2:b"}).telegram.token == "2:b"


def test_the_token_never_shows_in_the_config_repr():
    config = load(None, environ={"BOT_TOKEN": "999:very-secret"})
    assert "very-secret" not in repr(config)


def test_a_token_in_the_file_is_refused(tmp_path):
    path = write(tmp_path, '[telegram]\ntoken = "123:abc"\n')
    [problem] = problems(path)
    assert problem.startswith(f"{path}: [telegram] token: secrets do not belong in a file")
    assert "123:abc" not in problem


def test_every_problem_is_listed_with_section_and_key(tmp_path):
    path = write(
        tmp_path,
        "[telegram]\n"
        'staff_ids = "me"\n'
        "webhook_port = 99999\n"
        'mode = "carrier-pigeon"\n'
        "colour = 1\n"
        "[scheduler]\n"
        'timezone = "Europe/Pavia"\n'
        "[smtpp]\n",
    )
    found = problems(path, LABBOT_STORAGE_PATH="")
    prefix = f"{path}: "
    assert f"{prefix}[telegram] staff_ids: must be a list, for example [1, 2]" in found
    assert f"{prefix}[telegram] webhook_port: must be a port number between 1 and 65535" in found
    assert f'{prefix}[telegram] mode: must be "polling" or "webhook"' in found
    assert f"{prefix}[telegram] colour: unknown key" in found
    assert any(p.startswith(f"{prefix}[scheduler] timezone: unknown time zone") for p in found)
    assert f"{prefix}[smtpp]: unknown section" in found
    assert "LABBOT_STORAGE_PATH: [storage] path: must be a file path in quotes" in found


def test_environment_mistakes_name_the_variable():
    found = problems(
        None,
        LABBOT_TELEGRAM_STAFF_IDS="12,abc",
        LABBOT_TELEGRAM_WEBHOOK_PORT="eighty",
        LABBOT_TELEGRAM_RATE_LIMIT="maybe",
        BOT_TOKEN="not a token",
    )
    assert (
        "LABBOT_TELEGRAM_STAFF_IDS: [telegram] staff_ids: must be a list, and one of its items "
        "must be a whole number" in found
    )
    assert "LABBOT_TELEGRAM_WEBHOOK_PORT: [telegram] webhook_port: must be a whole number" in found
    assert "LABBOT_TELEGRAM_RATE_LIMIT: [telegram] rate_limit: must be true or false" in found
    assert any(p.startswith("BOT_TOKEN: [telegram] token: does not look like") for p in found)
    assert not any("not a token" in p for p in found)


def test_webhook_mode_needs_its_url():
    [problem] = problems(None, LABBOT_TELEGRAM_MODE="webhook")
    assert "[telegram] webhook_url: required" in problem


def test_broken_toml_and_missing_explicit_file(tmp_path):
    path = write(tmp_path, "[telegram\nstaff_ids = [")
    [problem] = problems(path)
    assert problem.startswith(f"{path}: not valid TOML")
    [missing] = problems(tmp_path / "nope.toml")
    assert missing == f"{tmp_path / 'nope.toml'}: file not found"
    [via_env] = problems(None, LABBOT_CONFIG=str(tmp_path / "nope.toml"))
    assert "file not found" in via_env


def test_every_key_is_documented_in_the_operations_guide_and_config_toml():
    readme = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    committed = (ROOT / "config.toml").read_text(encoding="utf-8")
    for section, key, _kind, _default in schema():
        assert f"`[{section}] {key}`" in readme, f"docs/operations.md misses [{section}] {key}"
        assert env_name(section, key) in readme
        assert re.search(rf"(?m)^#?\s*{key}\b|{env_name(section, key)}", committed) or (
            key in {"token", "webhook_secret"}
        ), f"config.toml misses {key}"


def run_cli(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = ""
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), **env},
        timeout=60,
    )


def test_check_config_exit_codes(tmp_path):
    good = run_cli("check-config", env={}, cwd=tmp_path)
    assert good.returncode == 0 and "configuration OK" in good.stdout
    assert "data OK (7 labs, 25 places, 6434 towns of the gazetteer)" in good.stdout
    bad = run_cli(
        "check-config", env={"LABBOT_TELEGRAM_STAFF_IDS": "x", "LABBOT_SMTP_X": "1"}, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "LABBOT_TELEGRAM_STAFF_IDS: [telegram] staff_ids: must be a list, and one of its items "
        "must be a whole number"
    )
    assert "Traceback" not in bad.stderr


def test_run_refuses_to_start_with_a_broken_configuration(tmp_path):
    write(tmp_path, "[telegram]\nwebhook_port = 0\n")
    result = run_cli("run", env={}, cwd=tmp_path, stdin="/start\n")
    assert result.returncode == 2
    assert "config.toml: [telegram] webhook_port: must be a port number" in result.stderr
    assert result.stdout == ""  # it did not start


def test_broken_data_files_stop_the_start_and_check_config(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "labs.toml").write_text('[[lab]]\nid = "x"\nname = "X"\nlat = 45.2\n')
    (data / "places.toml").write_text('[[comune]]\nname = "Pavia"\n')
    env = {"LABBOT_STORAGE_DATA_DIR": str(data)}
    checked = run_cli("check-config", env=env, cwd=tmp_path)
    assert checked.returncode == 2
    assert "labs.toml: lab 'x': lon: lat and lon go together" in checked.stderr
    assert "labs.toml: lab 'x': source: must not be empty" in checked.stderr
    started = run_cli("run", env=env, cwd=tmp_path, stdin="/start\n")
    assert started.returncode == 2 and "lat and lon go together" in started.stderr
    assert "Traceback" not in started.stderr


def test_a_database_that_is_not_a_database_is_explained(tmp_path):
    bogus = tmp_path / "var" / "labbot.sandbox.sqlite3"
    bogus.parent.mkdir()
    bogus.write_text("this is a shopping list, not a database\n" * 100)
    result = run_cli("run", env={}, cwd=tmp_path, stdin="/start\n")
    assert result.returncode == 2
    assert "is not a SQLite database of the bot" in result.stderr
    assert "Traceback" not in result.stderr
