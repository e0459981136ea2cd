import json

import pytest

from wenze_desktop.errors import WrongPassword
from wenze_desktop.security import kdf
from wenze_desktop.storage.keyring import Keyring, normalise_recovery_key


def machine(fixed: float, per_pass: float):
    """A model of a machine: time = fixed + per_pass × passes."""
    return lambda params: fixed + per_pass * params.time_cost


@pytest.mark.parametrize("fixed, per_pass", [(0.05, 0.06), (0.0, 0.004), (0.2, 0.3), (0.02, 0.9)])
def test_calibration_lands_within_bounds(fixed, per_pass):
    params = kdf.calibrate(timer=machine(fixed, per_pass))
    unlock = fixed + per_pass * params.time_cost
    if fixed + per_pass > kdf.MAX_SECONDS:  # even one pass is too slow: the lightest setting is chosen
        assert params.time_cost == 1
    else:
        assert kdf.MIN_SECONDS <= unlock <= kdf.MAX_SECONDS
    assert params.memory_kib == kdf.DEFAULT_MEMORY_KIB


def test_real_calibration_produces_usable_argon2id_params():
    params = kdf.calibrate(target=0.05, memory_kib=1024)
    key = kdf.derive_key("密码", params)
    assert len(key) == 32 and key == kdf.derive_key("密码", params)
    assert kdf.derive_key("密码x", params) != key
    assert kdf.Argon2Params.from_json(params.to_json()) == params


def test_slot_roundtrip_and_rewrap(tmp_path):
    ring, db_key, recovery = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", kdf.FAST_TEST_PARAMS)
    ring.save()
    loaded = Keyring.load(tmp_path / "k")
    assert loaded.unlock("alice", "first-pass") == db_key
    assert loaded.unlock_with_recovery(recovery) == db_key
    assert loaded.unlock_with_recovery(normalise_recovery_key(recovery.lower().replace("-", " "))) == db_key
    loaded.set_password("alice", "u1", db_key, "second-pass", kdf.FAST_TEST_PARAMS)
    assert loaded.unlock("alice", "second-pass") == db_key
    with pytest.raises(WrongPassword):
        loaded.unlock("alice", "first-pass")


def test_edited_slot_parameters_do_not_open(tmp_path):
    ring, _, _ = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", kdf.FAST_TEST_PARAMS)
    ring.save()
    data = json.loads((tmp_path / "k").read_text())
    data["slots"]["alice"]["kdf"]["time_cost"] = 2  # weaken the slot: it must stop opening
    (tmp_path / "k").write_text(json.dumps(data))
    with pytest.raises(WrongPassword):
        Keyring.load(tmp_path / "k").unlock("alice", "first-pass")


def test_slot_moved_to_another_user_does_not_open(tmp_path):
    ring, db_key, _ = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", kdf.FAST_TEST_PARAMS)
    ring.set_password("bob", "u2", db_key, "bob-password", kdf.FAST_TEST_PARAMS)
    ring.slots["bob"] = dict(ring.slots["alice"], user_id="u2")
    with pytest.raises(WrongPassword):
        ring.unlock("bob", "first-pass")


def test_wrong_recovery_key_refused(tmp_path):
    ring, _, _ = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", kdf.FAST_TEST_PARAMS)
    with pytest.raises(WrongPassword, match="恢复密钥"):
        ring.unlock_with_recovery("AAAA-BBBB-CCCC-DDDD-EEEE-FFFF-GGGG-HHHH")


def test_an_unknown_name_costs_the_key_derivation_of_an_existing_slot(tmp_path, monkeypatch):
    from wenze_desktop.storage import keyring as keyring_module

    costly = kdf.Argon2Params(time_cost=3, memory_kib=64, parallelism=1, salt=bytes(16))
    ring, db_key, _ = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", costly)
    ring.set_password("bob", "u2", db_key, "bob-password", costly)
    derived = []
    real = keyring_module.derive_key
    monkeypatch.setattr(keyring_module, "derive_key", lambda pw, params: derived.append(params) or real(pw, params))
    for name in ("alice", "nobody", "__recovery__"):
        with pytest.raises(WrongPassword) as refused:
            ring.unlock(name, "wrong")
        assert str(refused.value) == "用户名或密码错误，请重新输入。"
    assert [(p.time_cost, p.memory_kib, p.parallelism) for p in derived] == [(3, 64, 1)] * 3


def test_a_slot_built_on_a_copy_is_adopted_as_it_was_built(tmp_path):
    """A change is built (and its digest audited) before the file is written: what is written is what was built."""
    ring, db_key, _ = Keyring.create(tmp_path / "k", "alice", "u1", "first-pass", kdf.FAST_TEST_PARAMS)
    ring.save()
    draft = Keyring.load(tmp_path / "k")
    draft.set_password("bob", "u2", db_key, "bob-password", kdf.FAST_TEST_PARAMS)
    draft.remove_slot("alice")
    ring.update(lambda fresh: fresh.adopt(draft, "slot:bob"))
    saved = Keyring.load(tmp_path / "k")
    assert saved.slots["bob"] == draft.slots["bob"] and saved.unlock("bob", "bob-password") == db_key
    saved.update(lambda fresh: fresh.adopt(draft, "slot:alice"))
    assert not Keyring.load(tmp_path / "k").has_user("alice")
