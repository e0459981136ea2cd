"""Argon2id key derivation with parameters calibrated on the machine that sets the workspace up."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from argon2.low_level import Type, hash_secret_raw

# Unlocking should take about half a second here: slow for a guesser, quick for the clerk.
TARGET_SECONDS = 0.5
MIN_SECONDS = 0.3
MAX_SECONDS = 1.0
DEFAULT_MEMORY_KIB = 128 * 1024
MAX_TIME_COST = 200


@dataclass(frozen=True)
class Argon2Params:
    time_cost: int
    memory_kib: int
    parallelism: int
    salt: bytes

    def to_json(self) -> dict:
        data = asdict(self)
        data["salt"] = self.salt.hex()
        data["algorithm"] = "argon2id-v19"
        return data

    @classmethod
    def from_json(cls, data: dict) -> Argon2Params:
        if data.get("algorithm") != "argon2id-v19":
            raise ValueError(f"unknown KDF {data.get('algorithm')!r}")
        return cls(int(data["time_cost"]), int(data["memory_kib"]), int(data["parallelism"]),
                   bytes.fromhex(data["salt"]))

    def with_new_salt(self) -> Argon2Params:
        return Argon2Params(self.time_cost, self.memory_kib, self.parallelism, os.urandom(16))


def derive_key(password: str, params: Argon2Params) -> bytes:
    return hash_secret_raw(password.encode("utf-8"), params.salt, time_cost=params.time_cost,
                           memory_cost=params.memory_kib, parallelism=params.parallelism,
                           hash_len=32, type=Type.ID)


def calibrate(target: float = TARGET_SECONDS, memory_kib: int = DEFAULT_MEMORY_KIB, parallelism: int = 2,
              timer: Callable[[Argon2Params], float] | None = None) -> Argon2Params:
    """Pick ``time_cost`` so that one derivation takes about ``target`` seconds, within [0.3, 1.0] s.

    Time grows linearly with passes after a fixed cost (filling memory): fit that line from the last two
    measurements and aim at ``target``. ``timer`` measures one derivation; tests pass a model of a machine.
    """
    measure = timer or _measure

    def params(t: int) -> Argon2Params:
        return Argon2Params(t, memory_kib, parallelism, os.urandom(16))

    points = [(1, measure(params(1))), (2, measure(params(2)))]
    time_cost = 2
    # Aim inside a margin so that a noisy moment later still lands within the allowed range.
    low, high = MIN_SECONDS + 0.1 * (target - MIN_SECONDS), MAX_SECONDS - 0.2 * (MAX_SECONDS - target)
    for _ in range(5):
        (t1, e1), (t2, e2) = points[-2], points[-1]
        if low <= e2 <= high:
            break
        per_pass = max((e2 - e1) / (t2 - t1), e2 / t2 * 0.1, 1e-6)
        fixed = e2 - per_pass * t2
        wanted = max(1, min(MAX_TIME_COST, round((target - fixed) / per_pass)))
        if wanted == time_cost:
            break
        time_cost = wanted
        points.append((time_cost, measure(params(time_cost))))
    return params(time_cost)


def _measure(params: Argon2Params) -> float:
    start = time.perf_counter()
    derive_key("calibration", params)
    return time.perf_counter() - start


# Cheap parameters for tests and throwaway databases only (never chosen for a real workspace).
FAST_TEST_PARAMS = Argon2Params(time_cost=1, memory_kib=8, parallelism=1, salt=b"\0" * 16)
