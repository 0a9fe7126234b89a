"""The keyring: sealing, opening, wrong and tampered keys, key parsing, blind indexes, settings and demo keys."""

from __future__ import annotations

import base64
import stat

import pytest

from bot.crypto import Keyring, KeyringError, is_sealed, new_key, sealed_kid
from shaml.keys import keyring_from_settings, read_keys_file
from shaml.settings import Settings

K1, K2, IDX = new_key(), new_key(), new_key()


def ring(spec: str = f"k1:{K1}", index: str = IDX) -> Keyring:
    return Keyring.parse(spec, index)


def test_sealed_value_names_its_key_and_hides_the_text() -> None:
    keyring = ring()
    sealed = keyring.seal("+963944100001")
    assert sealed.startswith("v1:k1:") and is_sealed(sealed) and sealed_kid(sealed) == "k1"
    assert "944100001" not in sealed
    assert base64.b64encode(b"+963944100001").decode()[:12] not in sealed
    assert keyring.open(sealed) == "+963944100001"
    # A fresh nonce each time: equal texts do not give equal ciphertexts.
    assert keyring.seal("+963944100001") != sealed


def test_arabic_text_round_trips() -> None:
    keyring = ring()
    assert keyring.open(keyring.seal("محمد بن أحمد الحلبي")) == "محمد بن أحمد الحلبي"


def test_old_keys_open_and_only_the_first_seals() -> None:
    old = ring(f"k1:{K1}")
    rotated = ring(f"k2:{K2},k1:{K1}")
    assert rotated.current == "k2"
    assert rotated.open(old.seal("hello")) == "hello"
    assert rotated.seal("x").startswith("v1:k2:")


def test_wrong_key_is_refused_clearly() -> None:
    sealed = ring(f"k1:{K1}").seal("secret")
    with pytest.raises(KeyringError, match="'k1'.*does not open this data: wrong key"):
        ring(f"k1:{K2}").open(sealed)
    with pytest.raises(KeyringError, match="sealed under key 'k1', which SHAML_DATA_KEYS does not hold"):
        ring(f"k2:{K2}").open(sealed)


def test_tampered_ciphertext_is_refused() -> None:
    keyring = ring()
    sealed = keyring.seal("secret")
    raw = bytearray(base64.urlsafe_b64decode(sealed.split(":", 2)[2]))
    raw[-1] ^= 1
    forged = "v1:k1:" + base64.urlsafe_b64encode(bytes(raw)).decode()
    with pytest.raises(KeyringError, match="wrong key, or the data was altered"):
        keyring.open(forged)


@pytest.mark.parametrize(
    ("spec", "index", "message"),
    [
        ("", IDX, "SHAML_DATA_KEYS is empty"),
        (f"k1:{K1}", "", "SHAML_BLIND_INDEX_KEY is empty"),
        (K1, IDX, "entry 1 is not kid:base64key"),
        (f"k 1:{K1}", IDX, "entry 1 is not kid:base64key"),
        ("k1:not base64!", IDX, "key 'k1' is not base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", IDX, "is 5 bytes; it must be 32"),
        (f"k1:{K1},k1:{K2}", IDX, "names key 'k1' twice"),
        (f"k1:{K1}", K1, "must differ from every data key"),
    ],
)
def test_malformed_keys_give_one_clear_line(spec: str, index: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message) as caught:
        Keyring.parse(spec, index)
    assert "\n" not in str(caught.value)
    assert K1 not in str(caught.value) and K2 not in str(caught.value)


def test_blind_index_is_keyed_and_separated_by_purpose() -> None:
    a, b = ring(index=IDX), ring(index=new_key())
    assert a.blind("address", "+963944100001") == a.blind("address", "+963944100001")
    assert len(a.blind("address", "+963944100001")) == 32
    assert a.blind("address", "+963944100001") != b.blind("address", "+963944100001")
    assert a.blind("address", "+963944100001") != a.blind("address-hash", "+963944100001")


def test_settings_without_keys_stop_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env({"SHAML_VAR_DIR": str(tmp_path)})
    with pytest.raises(KeyringError, match="no data keys: set SHAML_DATA_KEYS"):
        keyring_from_settings(settings)


def test_keys_file_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "keys.env"
    path.write_text(f"# mounted secret\nSHAML_DATA_KEYS=f1:{K1}\nSHAML_BLIND_INDEX_KEY={IDX}\n")
    keyring = keyring_from_settings(Settings.from_env({"SHAML_VAR_DIR": str(tmp_path), "SHAML_KEYS_FILE": str(path)}))
    assert keyring.current == "f1" and keyring.open(ring(f"f1:{K1}").seal("x")) == "x"
    with pytest.raises(KeyringError, match="cannot be read"):
        keyring_from_settings(Settings.from_env({"SHAML_VAR_DIR": str(tmp_path), "SHAML_KEYS_FILE": str(tmp_path / "none")}))


def test_demo_generates_a_private_key_file_once_and_says_so(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    settings = Settings.from_env({"SHAML_VAR_DIR": str(tmp_path), "SHAML_DEMO": "true"})
    first = keyring_from_settings(settings)
    path = tmp_path / "data-keys.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "generated data keys" in caplog.text and str(path) in caplog.text
    second = keyring_from_settings(settings)
    assert second.open(first.seal("kept")) == "kept"
    data, index = read_keys_file(path)
    assert data.startswith("demo1:") and index


def test_a_process_without_keys_stops_with_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("SHAML_")}
    env["SHAML_VAR_DIR"] = str(tmp_path)
    for extra, expected in [({}, "shaml: data keys: no data keys: set SHAML_DATA_KEYS and SHAML_BLIND_INDEX_KEY"),
                            ({"SHAML_DATA_KEYS": "k1:short", "SHAML_BLIND_INDEX_KEY": IDX},
                             "shaml: data keys: SHAML_DATA_KEYS key 'k1' is not base64")]:
        done = subprocess.run([sys.executable, "-m", "shaml", "keys", "check"], env=env | extra,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2
        assert done.stderr.strip().startswith(expected) and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert IDX not in done.stderr + done.stdout
