"""The settings table: defaults, accepted values and one-sentence refusals."""
from __future__ import annotations

from pathlib import Path

import pytest

from circle import config, crypto
from circle.errors import SettingsError
from circle.s3_signing import Bucket


def _load(tmp_path: Path, **env: str) -> config.Settings:
    """Load settings from `env` with the data dir under tmp_path, generating nothing."""
    return config.load({"CIRCLE_DATA_DIR": str(tmp_path), **env}, generate=False)


def test_log_settings_default_to_50_mib_in_the_database(tmp_path: Path):
    """Without the variables a step keeps 50 MiB of output and logs stay in the database."""
    settings = _load(tmp_path)
    assert (settings.log_max_bytes, settings.log_store) == (50 * 1024 * 1024, "")


def test_log_settings_accept_a_cap_and_the_file_store(tmp_path: Path):
    """CIRCLE_LOG_MAX_BYTES takes a whole number; CIRCLE_LOG_STORE takes file."""
    settings = _load(tmp_path, CIRCLE_LOG_MAX_BYTES="1000", CIRCLE_LOG_STORE="file")
    assert (settings.log_max_bytes, settings.log_store) == (1000, "file")


def test_the_s3_settings_fall_back_to_the_usual_aws_variables(tmp_path: Path):
    """Unset CIRCLE_S3_* settings are read from AWS_ENDPOINT_URL_S3, AWS_REGION, AWS_ACCESS_KEY_ID and
    AWS_SECRET_ACCESS_KEY (or AWS_ENDPOINT_URL, AWS_DEFAULT_REGION); a CIRCLE_S3_* setting wins."""
    aws = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_DEFAULT_REGION": "eu-north-1",
           "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "from-aws"}
    bucket = _load(tmp_path, CIRCLE_LOG_STORE="s3://logs", **aws).log_bucket
    assert bucket == Bucket(endpoint="http://127.0.0.1:9000", region="eu-north-1", name="logs", access_key="AKID",
                            secret_key="from-aws")
    bucket = _load(tmp_path, CIRCLE_LOG_STORE="s3://logs", CIRCLE_S3_SECRET_KEY="mine", AWS_REGION="eu-west-1",
                   **aws).log_bucket
    assert bucket is not None and (bucket.secret_key, bucket.region) == ("mine", "eu-west-1")


S3_KEYS = {"CIRCLE_S3_ACCESS_KEY": "AKID", "CIRCLE_S3_SECRET_KEY": "very-secret"}


def test_an_s3_log_store_names_its_bucket_prefix_endpoint_and_keys(tmp_path: Path):
    """s3://BUCKET/PREFIX with both keys gives the bucket (AWS's endpoint for the region by default), secret unshown."""
    settings = _load(tmp_path, CIRCLE_LOG_STORE="s3://ci-logs/circle/steps/", CIRCLE_S3_REGION="eu-west-3", **S3_KEYS)
    assert settings.log_bucket is not None and settings.log_prefix == "circle/steps"
    assert (settings.log_bucket.endpoint, settings.log_bucket.region, settings.log_bucket.name) == (
        "https://s3.eu-west-3.amazonaws.com", "eu-west-3", "ci-logs")
    assert "very-secret" not in repr(settings) and "AKID" in repr(settings)
    local = _load(tmp_path, CIRCLE_LOG_STORE="s3://ci-logs", CIRCLE_S3_ENDPOINT="http://127.0.0.1:7480/", **S3_KEYS)
    assert local.log_bucket is not None
    assert (local.log_bucket.endpoint, local.log_prefix) == ("http://127.0.0.1:7480", "")
    assert _load(tmp_path, CIRCLE_LOG_STORE="file").log_bucket is None


@pytest.mark.parametrize(("env", "message"), [
    ({"CIRCLE_LOG_STORE": "bucket"}, "CIRCLE_LOG_STORE must be empty (the database), file or s3://BUCKET/PREFIX, "
                                     "not 'bucket'"),
    ({"CIRCLE_LOG_STORE": "s3://", **S3_KEYS}, "CIRCLE_LOG_STORE 's3://' does not name a bucket: s3://BUCKET/PREFIX"),
    ({"CIRCLE_LOG_STORE": "s3://Logs_Bucket/x", **S3_KEYS},
     "CIRCLE_LOG_STORE 's3://Logs_Bucket/x' does not name a bucket"),
    ({"CIRCLE_LOG_STORE": "s3://logs"}, "CIRCLE_LOG_STORE=s3://… needs CIRCLE_S3_ACCESS_KEY and CIRCLE_S3_SECRET_KEY"),
    ({"CIRCLE_LOG_STORE": "s3://logs", "CIRCLE_S3_ACCESS_KEY": "AKID"}, "needs CIRCLE_S3_ACCESS_KEY and"),
    ({"CIRCLE_LOG_STORE": "s3://logs", "CIRCLE_S3_ENDPOINT": "127.0.0.1:7480", **S3_KEYS},
     "CIRCLE_S3_ENDPOINT must be an http:// or https:// URL of a host, not '127.0.0.1:7480'"),
    ({"CIRCLE_LOG_STORE": "s3://logs", "CIRCLE_S3_ENDPOINT": "http://k:s@127.0.0.1:7480", **S3_KEYS},
     "CIRCLE_S3_ENDPOINT must be an http:// or https:// URL of a host"),
    ({"CIRCLE_LOG_MAX_BYTES": "lots"}, "CIRCLE_LOG_MAX_BYTES must be a whole number"),
    ({"CIRCLE_LOG_MAX_BYTES": "0"}, "CIRCLE_LOG_MAX_BYTES must be at least 1"),
])
def test_bad_log_settings_are_one_sentence(tmp_path: Path, env: dict[str, str], message: str):
    """An unusable log setting stops the start with a sentence naming it."""
    with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _load(tmp_path, **env)


def test_generated_secrets_never_look_like_an_option(tmp_path):
    """The agent secret and tokens pass as a command-line value: none of 2 000 starts with "-"."""
    secrets_made = [config._persistent_secret(tmp_path / str(i), "agent_secret") for i in range(1000)]
    secrets_made += [crypto.new_token() for _ in range(1000)]
    assert not [value for value in secrets_made if value.startswith("-")]


def test_a_secret_another_process_made_meanwhile_is_the_one_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Found missing, then written by another process starting too: this one takes that value, leaves no draft."""
    path, real_exists = tmp_path / "secret_key", Path.exists

    def raced(self: Path) -> bool:
        """Say the secret is missing, and let the other process write it right after."""
        if self != path:
            return real_exists(self)
        monkeypatch.setattr(Path, "exists", real_exists)
        path.write_text("theirs\n")
        return False

    monkeypatch.setattr(Path, "exists", raced)
    assert config._persistent_secret(tmp_path, "secret_key") == "theirs"
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"] and path.read_text() == "theirs\n"


def test_an_agent_polls_55_seconds_unless_told_otherwise(tmp_path: Path):
    """An idle agent's request for work waits 55 s by default (under a common 60 s proxy timeout)."""
    assert _load(tmp_path).agent_poll_seconds == 55
    assert _load(tmp_path, CIRCLE_AGENT_POLL_SECONDS="120").agent_poll_seconds == 120


@pytest.mark.parametrize("seconds", ["0", "301"])
def test_a_poll_the_protocol_refuses_is_one_sentence(tmp_path: Path, seconds: str):
    """A poll outside 1-300 s stops the start with a sentence naming the setting."""
    with pytest.raises(SettingsError, match=f"CIRCLE_AGENT_POLL_SECONDS must be from 1 to 300, not {seconds}"):
        _load(tmp_path, CIRCLE_AGENT_POLL_SECONDS=seconds)


def test_hook_delivery_ids_are_kept_7_days_unless_told_otherwise(tmp_path: Path):
    assert _load(tmp_path).hook_delivery_retention == 7 * 86400
    assert _load(tmp_path, CIRCLE_HOOK_DELIVERY_RETENTION="3600").hook_delivery_retention == 3600
    with pytest.raises(SettingsError, match="CIRCLE_HOOK_DELIVERY_RETENTION must be 60 or more, not 5"):
        _load(tmp_path, CIRCLE_HOOK_DELIVERY_RETENTION="5")


def test_artifact_limits_default_to_1_gib_a_build_and_none_a_repo_and_refuse_negatives(tmp_path: Path):
    settings = _load(tmp_path)
    assert (settings.artifact_max_build_bytes, settings.artifact_max_repo_bytes) == (1024 ** 3, 0)
    assert _load(tmp_path, CIRCLE_ARTIFACT_MAX_REPO_BYTES="5000").artifact_max_repo_bytes == 5000
    with pytest.raises(SettingsError, match="CIRCLE_ARTIFACT_MAX_BUILD_BYTES must be 0 or more, not -1"):
        _load(tmp_path, CIRCLE_ARTIFACT_MAX_BUILD_BYTES="-1")
