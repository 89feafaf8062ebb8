"""Password hashing: argon2id with at least OWASP's minimum parameters."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from portal.accounts.passwords import hash_password, needs_rehash, verify_password


async def test_hash_and_verify_roundtrip() -> None:
    stored = await hash_password("correct horse battery")
    assert stored != "correct horse battery"
    assert await verify_password(stored, "correct horse battery")
    assert not await verify_password(stored, "correct horse batterY")
    assert not await verify_password(stored, "")


async def test_same_password_gets_a_fresh_salt() -> None:
    assert await hash_password("same password") != await hash_password("same password")


async def test_argon2id_with_owasp_minimum_parameters() -> None:
    stored = await hash_password("correct horse battery")
    # $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
    _empty, variant, version, params, _salt, _digest = stored.split("$")
    assert variant == "argon2id"
    assert version == "v=19"
    values = dict(item.split("=") for item in params.split(","))
    assert int(values["m"]) >= 19456
    assert int(values["t"]) >= 2
    assert int(values["p"]) >= 1
    parsed = extract_parameters(stored)
    assert parsed.type is Type.ID
    assert parsed.salt_len >= 16


async def test_current_hash_needs_no_rehash() -> None:
    assert not needs_rehash(await hash_password("correct horse battery"))


def test_weaker_hash_needs_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("pw")
    assert needs_rehash(weak)


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$broken"])
def test_garbage_hash_needs_rehash(garbage: str) -> None:
    assert needs_rehash(garbage)


async def test_weaker_hash_still_verifies() -> None:
    # Old hashes keep working until the next sign-in upgrades them.
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("old password")
    assert await verify_password(weak, "old password")


async def test_verify_without_hash_says_no() -> None:
    assert await verify_password(None, "anything") is False
    assert await verify_password(None, "") is False


@pytest.mark.parametrize("garbage", ["", "not a hash", "$argon2id$v=19$broken"])
async def test_verify_against_garbage_hash_says_no(garbage: str) -> None:
    assert await verify_password(garbage, "anything") is False
