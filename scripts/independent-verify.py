#!/usr/bin/env python3
"""Independent verifier for an agent-governance-toolkit SQLite audit store.

An auditor's check that shares no code with the library: Python 3.11 standard library plus the
`openssl` command (for Ed25519). It re-derives, from the bytes in the store, everything the log
claims about itself:

  * entries are numbered 1..n with no gap (a gap is a deleted entry);
  * SHA-256(content) is the stored hash (else a field was edited);
  * content is a JSON object whose `seq` is its row's and whose `prevHash` is the previous
    entry's hash (64 zeros for the first): else entries were inserted, swapped or renumbered;
  * content is RFC 8785 canonical JSON, byte for byte;
  * where the store has the `input_identity` / `enforced_identity` columns (stores made before
    them have not), each is NULL when the content has no `inputIdentity` / `enforcedIdentity`
    member and otherwise 64 lowercase hex digits equal to that member (an edited column is a
    finding). A null identity
    is omitted from an entry's content, so entries written before identities existed verify as
    they always did;
  * every checkpoint is signed by the public key, covers no more entries than the store holds
    (else the tail was truncated), and its root is the RFC 6962 Merkle root of the first `size`
    entries, leaf i being SHA-256(0x00 || the 32 bytes of entry i's hash).

  * where the store records its checkpoint cadence (meta.checkpoint_every, or the witness's),
    no more than that many entries lie between two checkpoints (counting from 0), and fewer
    than that after the last one: else checkpoints were deleted.

Trust comes from the key: pass --public-key with the key obtained from the log's operator out of
band. Without it the store's own meta.public_key is used, which only shows the store agrees with
itself (whoever can rewrite the store can replace that key too).

A store alone cannot prove it is complete (a tail truncated with its checkpoints, or a chain
rewritten and re-signed, agrees with itself). --witness FILE (repeatable) reads the JSON lines a
witness kept, one statement per checkpoint: {format, checkpoint: {size, root, timestamp,
signature}, publicKey, checkpointEvery}. Every statement must verify under its publicKey, all
must name one key and one cadence, the store's key must be that key, the store must hold at
least the latest witnessed size, the Merkle root recomputed from the entries at each witnessed
size must be the witnessed root, and every witnessed checkpoint must still be in the store.

Prints `OK: N entries, C checkpoints verified` (exit 0) or `TAMPERED at seq S: <what>` for the
first bad sequence number (exit 1). Exit 2: usage errors, or a file that cannot be read as a store.

    python3 scripts/independent-verify.py audit.db [--public-key pub.pem] [--witness FILE ...] [--json]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import math
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import urllib.parse
from dataclasses import dataclass

GENESIS_HASH = "0" * 64
HEX_64 = re.compile(r"[0-9a-f]{64}")
EMPTY_ROOT = hashlib.sha256(b"").digest()


class UsageError(Exception):
    """The store cannot be checked at all (exit 2)."""


@dataclass
class Finding:
    """Something wrong, located at the first sequence number it affects (None: not at an entry)."""

    seq: int | None
    what: str


class NotCanonical(Exception):
    pass


# --------------------------------------------------------------------------------------------
# RFC 8785 (JSON Canonicalization Scheme)
#
# json.dumps(sort_keys=True, separators=(',', ':'), ensure_ascii=False) escapes strings exactly
# as RFC 8785 (ECMAScript JSON.stringify) does: \" \\ \b \f \n \r \t, other controls below 0x20
# as lowercase \u00xx, and nothing else (not '/', not DEL, not U+2028). It differs in three
# places, handled here: (1) a lone surrogate (which json.loads yields for "\ud800") is escaped
# as \udxxx by JSON.stringify but written raw by Python; (2) keys are sorted by UTF-16 code
# units, not code points (they disagree when an astral character meets U+E000..U+FFFF);
# (3) numbers are ECMAScript doubles printed by Number::toString ("1e+21", "1.5e-7", "1" for
# 1.0). The fast C serializer is used when none of these can arise; otherwise the exact one.
# --------------------------------------------------------------------------------------------

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Keys containing any of these may sort differently by UTF-16 than by code point.
SORT_SENSITIVE = re.compile("[\ue000-\uffff\U00010000-\U0010ffff]")
MAX_EXACT_INT = 2**53


class ParseNotes:
    """What json.loads met that makes the fast serializer unsafe, or the content invalid."""

    def __init__(self) -> None:
        self.needs_exact = False
        self.duplicate_key: str | None = None

    def on_float(self, text: str) -> float:
        self.needs_exact = True
        return float(text)

    def on_int(self, text: str) -> int:
        value = int(text)
        if abs(value) >= MAX_EXACT_INT:
            self.needs_exact = True
        return value

    def on_object(self, pairs: list[tuple[str, object]]) -> dict[str, object]:
        obj: dict[str, object] = {}
        for key, value in pairs:
            if key in obj and self.duplicate_key is None:
                self.duplicate_key = key
            if SORT_SENSITIVE.search(key):
                self.needs_exact = True
            obj[key] = value
        return obj


def reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str) -> tuple[object, ParseNotes]:
    notes = ParseNotes()
    value = json.loads(
        text,
        parse_float=notes.on_float,
        parse_int=notes.on_int,
        parse_constant=reject_constant,
        object_pairs_hook=notes.on_object,
    )
    return value, notes


def canonical_bytes(value: object, notes: ParseNotes) -> bytes:
    """RFC 8785 serialization of a parsed value, as UTF-8."""
    if not notes.needs_exact:
        fast = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        if not LONE_SURROGATE.search(fast):
            return fast.encode("utf-8")
    return jcs(value).encode("utf-8")


def jcs(value: object) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value) if abs(value) < MAX_EXACT_INT else es_number(float(value))
    if isinstance(value, float):
        return es_number(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + ",".join(jcs(item) for item in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(quote(k) + ":" + jcs(value[k]) for k in keys) + "}"
    raise NotCanonical(f"{type(value).__name__} is not JSON")


def quote(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    return LONE_SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), quoted)


def es_number(x: float) -> str:
    """ECMAScript Number::toString(x) for a finite double (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(x):
        raise NotCanonical("NaN and Infinity are not JSON")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    # repr gives the shortest digits that round-trip, as ECMAScript requires; only the layout differs.
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    scale = int(exponent or 0) - len(fraction)  # value = int(whole + fraction) * 10**scale
    stripped = digits.rstrip("0")
    scale += len(digits) - len(stripped)
    digits = stripped
    k = len(digits)
    n = k + scale  # value = 0.digits * 10**n
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * -n + digits
    else:
        e = n - 1
        out = (digits if k == 1 else digits[0] + "." + digits[1:]) + "e" + ("+" if e > 0 else "-") + str(abs(e))
    return sign + out


# --------------------------------------------------------------------------------------------
# RFC 6962 Merkle tree, as a compact range: the roots of the perfect subtrees covering the leaves
# so far, largest first. The root of any prefix is those folded together from the right.
# --------------------------------------------------------------------------------------------


class CompactRange:
    def __init__(self) -> None:
        self.size = 0
        self.subtrees: list[tuple[int, bytes]] = []  # (leaf count, hash)

    def append_entry_hash(self, entry_hash_hex: str) -> None:
        node = hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash_hex)).digest()
        count = 1
        while self.subtrees and self.subtrees[-1][0] == count:
            left_count, left = self.subtrees.pop()
            node = hashlib.sha256(b"\x01" + left + node).digest()
            count += left_count
        self.subtrees.append((count, node))
        self.size += 1

    def root(self) -> bytes:
        if not self.subtrees:
            return EMPTY_ROOT
        root = self.subtrees[-1][1]
        for _, left in reversed(self.subtrees[:-1]):
            root = hashlib.sha256(b"\x01" + left + root).digest()
        return root


# --------------------------------------------------------------------------------------------
# Entries
# --------------------------------------------------------------------------------------------


def as_bytes(value: object) -> bytes | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    return None


IDENTITY_KEYS = (("input_identity", "inputIdentity"), ("enforced_identity", "enforcedIdentity"))


def entry_problem(seq: int, content_raw: object, hash_raw: object, prev_hash: str, before_prev_hash: str | None, identity_columns: tuple | None = None) -> Finding | None:
    """What is wrong with the entry stored at `seq`, given the two hashes before it (and its
    identity columns, when the store has them)."""
    stored_hash = as_bytes(hash_raw)
    if stored_hash is None or not HEX_64.fullmatch(stored_hash.decode("latin-1")):
        return Finding(seq, "stored hash is not 64 lowercase hex digits (malformed row)")
    stored_hash_hex = stored_hash.decode("ascii")
    content = as_bytes(content_raw)
    if content is None:
        return Finding(seq, f"content is {type(content_raw).__name__}, not text (malformed row)")
    if hashlib.sha256(content).hexdigest() != stored_hash_hex:
        return Finding(seq, "SHA-256 of the content is not the stored hash (a field was edited)")
    try:
        text = content.decode("utf-8")
        entry, notes = parse_json(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return Finding(seq, f"content is not JSON ({error}) (malformed row)")
    if not isinstance(entry, dict):
        return Finding(seq, "content is not a JSON object (malformed row)")
    if notes.duplicate_key is not None:
        return Finding(seq, f"content has the key {notes.duplicate_key!r} twice")
    content_seq = entry.get("seq")
    content_prev = entry.get("prevHash")
    if type(content_seq) is not int:
        return Finding(seq, f"content seq is {json.dumps(content_seq)}, not an integer (malformed row)")
    if content_seq != seq:
        # An entry slipped in at seq-1 shows here as the old entry seq-1, still linked to seq-2.
        if content_seq == seq - 1 and before_prev_hash is not None and content_prev == before_prev_hash:
            return Finding(seq - 1, f"entry {seq - 1} was inserted: the entry after it is the original entry {seq - 1}, linked to entry {seq - 2}")
        how = "renumbered after a deletion" if content_seq > seq else "inserted, swapped or renumbered"
        return Finding(seq, f"content says seq {content_seq} but it is stored at seq {seq} (entries {how})")
    if content_prev != prev_hash:
        return Finding(seq, "prevHash is not the previous entry's hash (entries deleted, inserted, reordered or rewritten)")
    try:
        canonical = canonical_bytes(entry, notes)
    except (NotCanonical, OverflowError, UnicodeEncodeError) as error:
        return Finding(seq, f"content cannot be canonical JSON ({error})")
    if canonical != content:
        return Finding(seq, "content is not RFC 8785 canonical JSON (re-serialized differently)")
    if identity_columns is not None:
        for (column, key), value in zip(IDENTITY_KEYS, identity_columns):
            stored = as_bytes(value)
            if value is None:
                agrees = key not in entry
            else:
                agrees = stored is not None and HEX_64.fullmatch(stored.decode("latin-1")) is not None and key in entry and isinstance(entry[key], str) and stored == entry[key].encode("utf-8", "surrogatepass")
            if not agrees:
                return Finding(seq, f"the {column} column is not the entry's {key} (the column was edited)")
    return None


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------


class SignatureChecker:
    """Ed25519 verification with `openssl pkeyutl`, in a private temporary directory."""

    def __init__(self, public_key_pem: bytes) -> None:
        self.openssl = shutil.which("openssl")
        if self.openssl is None:
            raise UsageError("the openssl command is needed to check Ed25519 signatures")
        if not is_ed25519_spki_pem(public_key_pem):
            raise UsageError("the public key is not an Ed25519 public key in PEM (SPKI)")
        self.dir = tempfile.TemporaryDirectory(prefix="agt-verify-")
        self.key = os.path.join(self.dir.name, "public.pem")
        with open(self.key, "wb") as f:
            f.write(public_key_pem)

    def verify(self, message: bytes, signature: bytes) -> bool:
        msg = os.path.join(self.dir.name, "message")
        sig = os.path.join(self.dir.name, "signature")
        with open(msg, "wb") as f:
            f.write(message)
        with open(sig, "wb") as f:
            f.write(signature)
        result = subprocess.run(
            [self.openssl, "pkeyutl", "-verify", "-pubin", "-inkey", self.key, "-rawin", "-in", msg, "-sigfile", sig],
            capture_output=True,
        )
        return result.returncode == 0

    def close(self) -> None:
        self.dir.cleanup()


# An Ed25519 SubjectPublicKeyInfo is always these 12 bytes of DER (RFC 8410) and then the 32-byte key.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
PEM_PUBLIC_KEY = re.compile(rb"-----BEGIN PUBLIC KEY-----\s*([A-Za-z0-9+/=\s]+?)-----END PUBLIC KEY-----")


def is_ed25519_spki_pem(pem: bytes) -> bool:
    match = PEM_PUBLIC_KEY.search(pem)
    if not match:
        return False
    try:
        der = base64.b64decode(b"".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(der) == len(ED25519_SPKI_PREFIX) + 32 and der.startswith(ED25519_SPKI_PREFIX)


def checkpoint_message(size: int, root: str, timestamp: str) -> bytes:
    """The signed bytes: canonical JSON of {root, size, timestamp}."""
    return jcs({"root": root, "size": size, "timestamp": timestamp}).encode("utf-8")


def checkpoint_form_problem(size: object, root: object, timestamp: object, signature: object) -> str | None:
    if type(size) is not int or size < 0:
        return "size is not a whole number"
    root_b, ts_b, sig_b = as_bytes(root), as_bytes(timestamp), as_bytes(signature)
    if root_b is None or not HEX_64.fullmatch(root_b.decode("latin-1")):
        return "root is not 64 lowercase hex digits"
    if ts_b is None:
        return "timestamp is not text"
    try:
        ts_b.decode("utf-8")
    except UnicodeDecodeError:
        return "timestamp is not UTF-8"
    if sig_b is None:
        return "signature is not text"
    try:
        valid = len(base64.b64decode(sig_b, validate=True)) == 64
    except (binascii.Error, ValueError):
        valid = False
    return None if valid else "signature is not a base64 Ed25519 signature (64 bytes)"


# --------------------------------------------------------------------------------------------
# Witnesses
# --------------------------------------------------------------------------------------------

WITNESS_FORMAT = "agt-witness/1"


@dataclass
class Statement:
    where: str
    size: int
    root: str
    timestamp: str
    signature: str
    key_der: bytes
    key_pem: bytes
    every: int


def spki_der(pem: bytes) -> bytes | None:
    match = PEM_PUBLIC_KEY.search(pem)
    if not match or not is_ed25519_spki_pem(pem):
        return None
    return base64.b64decode(b"".join(match.group(1).split()))


def read_witness(path: str) -> tuple[list[Statement], Finding | None]:
    """The statements in a witness file, or the first one that is malformed (signatures are checked later)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise UsageError(f"cannot read --witness {path}: {error.strerror}") from error
    statements: list[Statement] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"witness {path} line {number}"
        try:
            value = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return statements, Finding(None, f"{where}: not JSON")
        problem = statement_form_problem(value)
        if problem:
            return statements, Finding(None, f"{where}: {problem}")
        cp = value["checkpoint"]
        pem = value["publicKey"].encode("utf-8")
        statements.append(Statement(where, cp["size"], cp["root"], cp["timestamp"], cp["signature"], spki_der(pem) or b"", pem, value["checkpointEvery"]))
    return statements, None


def statement_form_problem(value: object) -> str | None:
    if not isinstance(value, dict):
        return "a statement is a JSON object"
    if value.get("format") != WITNESS_FORMAT:
        return f'format is not "{WITNESS_FORMAT}"'
    key = value.get("publicKey")
    if not isinstance(key, str) or spki_der(key.encode("utf-8")) is None:
        return "publicKey is not an Ed25519 public key (SPKI PEM)"
    every = value.get("checkpointEvery")
    if type(every) is not int or every <= 0:
        return "checkpointEvery is not a positive whole number"
    cp = value.get("checkpoint")
    if not isinstance(cp, dict):
        return "checkpoint is not an object"
    problem = checkpoint_form_problem(cp.get("size"), str_bytes(cp.get("root")), str_bytes(cp.get("timestamp")), str_bytes(cp.get("signature")))
    if problem:
        return f"checkpoint: {problem}"
    if cp["size"] == 0:
        return "its checkpoint covers no entries"
    return None


def str_bytes(value: object) -> bytes | None:
    return value.encode("utf-8") if isinstance(value, str) else None


def check_witnesses(statements: list[Statement], store_key: bytes, roots: dict[int, bytes], last_seq: int, stored: dict[int, tuple]) -> Finding | None:
    """The store against what its witnesses saw: key, size, roots, checkpoints still present."""
    first = statements[0]
    for s in statements:
        if s.key_der != first.key_der:
            return Finding(None, f"{s.where} names another log key than {first.where}: the log was re-keyed")
        if s.every != first.every:
            return Finding(None, f"{s.where} and {first.where} name different checkpoint cadences")
    signatures = SignatureChecker(first.key_pem)
    try:
        for s in statements:
            if not signatures.verify(checkpoint_message(s.size, s.root, s.timestamp), base64.b64decode(s.signature)):
                return Finding(None, f"{s.where}: its checkpoint does not verify under the key it names (forged or altered statement)")
    finally:
        signatures.close()
    if spki_der(store_key) != first.key_der:
        return Finding(None, f"the store's public key is not the key {first.where} holds: the log was re-signed with another key")
    by_size: dict[int, Statement] = {}
    for s in statements:
        seen = by_size.setdefault(s.size, s)
        if seen.root != s.root:
            return Finding(None, f"{s.where} and {seen.where} hold different roots for checkpoint {s.size}: the log signed two histories")
    latest = by_size[max(by_size)]
    if last_seq < latest.size:
        return Finding(last_seq + 1, f"entries {last_seq + 1}..{latest.size} are missing: a witness saw {latest.size} entries at {latest.timestamp} (truncated)")
    last_good = 0
    for size in sorted(by_size):
        s = by_size[size]
        if roots.get(size) != bytes.fromhex(s.root):
            return Finding(last_good + 1, f"entries {last_good + 1}..{size} are not the ones {s.where} saw in checkpoint {size}: the chain was rewritten")
        last_good = size
    for size in sorted(by_size):
        s = by_size[size]
        row = stored.get(size)
        if row is None:
            return Finding(None, f"checkpoint {size} (signed {s.timestamp}, held by {s.where}) is missing from the store's checkpoints table (deleted)")
        if bytes(row[1]).decode("latin-1") != s.root or bytes(row[2]).decode("utf-8", "replace") != s.timestamp or bytes(row[3]).decode("latin-1") != s.signature:
            return Finding(None, f"the store's checkpoint {size} is not the one {s.where} holds (replaced)")
    return None


def cadence_finding(sizes: list[int], last_seq: int, every: int) -> Finding | None:
    previous = 0
    for size in sizes:
        if size - previous > every:
            return Finding(previous + 1, f"no checkpoint covers entries {previous + 1}..{previous + every}, though one is due every {every} entries: checkpoints were deleted")
        previous = size
    if last_seq - previous >= every:
        return Finding(previous + 1, f"entries {previous + 1}..{last_seq} are not covered by a checkpoint, though one is due every {every} entries: checkpoints were deleted")
    return None


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------


def open_store(path: str) -> sqlite3.Connection:
    if not os.path.isfile(path):
        raise UsageError(f"{path} is not a file")
    uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True)
        conn.text_factory = bytes  # read TEXT as bytes: invalid UTF-8 must be a finding, not a crash
        tables = {bytes(row[0]).decode("utf-8", "replace") for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as error:
        raise UsageError(f"{path} cannot be read as SQLite: {error}") from error
    for table in ("entries", "checkpoints"):
        if table not in tables:
            raise UsageError(f"{path} is not an audit store (no {table} table)")
    return conn


def stored_public_key(conn: sqlite3.Connection) -> bytes | None:
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'public_key'").fetchone()
    except sqlite3.Error:
        return None
    return as_bytes(row[0]) if row else None


def stored_cadence(conn: sqlite3.Connection) -> tuple[int | None, bool]:
    """meta.checkpoint_every as a number (None when absent), and whether it is well formed."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'checkpoint_every'").fetchone()
    except sqlite3.Error:
        return None, True
    if row is None:
        return None, True
    text = bytes(row[0]).decode("latin-1") if as_bytes(row[0]) is not None else str(row[0])
    if not re.fullmatch(r"[1-9][0-9]{0,14}", text):
        return None, False
    return int(text), True


def verify_store(path: str, public_key_file: str | None, witness_files: list[str] | None = None, warnings: list[str] | None = None) -> tuple[Finding | None, int, int]:
    """The first finding (or None), the number of entries, and of checkpoints."""
    conn = open_store(path)
    try:
        return check(conn, public_key_file, witness_files or [], warnings if warnings is not None else [])
    except sqlite3.Error as error:
        raise UsageError(f"{path} could not be read: {error}") from error
    finally:
        conn.close()


def check(conn: sqlite3.Connection, public_key_file: str | None, witness_files: list[str], warnings: list[str]) -> tuple[Finding | None, int, int]:
    checkpoints = conn.execute("SELECT size, root, timestamp, signature FROM checkpoints ORDER BY size").fetchall()
    statements: list[Statement] = []
    witness_finding: Finding | None = None
    for path in witness_files:
        read, problem = read_witness(path)
        statements += read
        if problem and witness_finding is None:
            witness_finding = problem
    wanted_roots = {row[0] for row in checkpoints if type(row[0]) is int} | {s.size for s in statements}
    roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in wanted_roots else {}

    # One pass over the entries: the chain, and the tree's root at every checkpointed size.
    first: Finding | None = None
    tree = CompactRange()
    count = 0
    prev_hash, before_prev_hash = GENESIS_HASH, None
    columns = {bytes(row[1]).decode("utf-8", "replace") for row in conn.execute("PRAGMA table_info(entries)")}
    with_identities = all(column in columns for column, _ in IDENTITY_KEYS)
    select = "SELECT seq, content, hash, input_identity, enforced_identity FROM entries ORDER BY seq" if with_identities else "SELECT seq, content, hash, NULL, NULL FROM entries ORDER BY seq"
    for seq, content, hash_raw, input_identity, enforced_identity in conn.execute(select):
        expected = count + 1
        if type(seq) is not int:
            first = Finding(expected, f"the row after entry {count} has seq {seq!r}, not an integer (malformed row)")
            break
        if seq > expected:
            first = Finding(expected, f"entry {expected} is missing (deleted); the next stored entry is {seq}")
            break
        if seq < expected:
            first = Finding(seq, f"seq {seq} is stored again after entry {count} (an entry was inserted or duplicated)" if seq >= 1 else f"an entry is stored at seq {seq}, before entry 1")
            break
        problem = entry_problem(seq, content, hash_raw, prev_hash, before_prev_hash, (input_identity, enforced_identity) if with_identities else None)
        if problem:
            first = problem
            break
        count = seq
        before_prev_hash, prev_hash = prev_hash, bytes(hash_raw).decode("ascii")
        tree.append_entry_hash(prev_hash)
        if count in wanted_roots:
            roots[count] = tree.root()
    total = conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
    last_seq = conn.execute("SELECT MAX(seq) FROM entries WHERE typeof(seq) = 'integer'").fetchone()[0] or 0

    key: bytes | None = None
    if checkpoints or statements:
        if public_key_file is not None:
            try:
                with open(public_key_file, "rb") as f:
                    key = f.read()
            except OSError as error:
                raise UsageError(f"cannot read --public-key {public_key_file}: {error.strerror}") from error
        else:
            key = stored_public_key(conn)
            if key is None:
                raise UsageError("the store has no meta.public_key; pass --public-key")
    if checkpoints:
        signatures = SignatureChecker(key)
        try:
            cp_finding = check_checkpoints(checkpoints, roots, last_seq, first, signatures)
        finally:
            signatures.close()
        if cp_finding and (first is None or cp_finding.seq < first.seq):
            first = cp_finding
    if first is not None:
        return first, total, len(checkpoints)

    # The store agrees with itself: now what it alone cannot show.
    witness_every: int | None = None
    if witness_finding is not None:
        return witness_finding, total, len(checkpoints)
    if statements:
        stored = {row[0]: row for row in checkpoints}
        finding = check_witnesses(statements, key or b"", roots, last_seq, stored)
        if finding:
            return finding, total, len(checkpoints)
        witness_every = statements[0].every
    else:
        warnings.append("completeness not checked: no --witness given")
    every, well_formed = stored_cadence(conn)
    if not well_formed:
        return Finding(None, "meta.checkpoint_every is not a positive whole number (the meta table was edited)"), total, len(checkpoints)
    if witness_every is not None and every is not None and every != witness_every:
        return Finding(None, f"the store says a checkpoint is due every {every} entries, its witnesses every {witness_every}: the meta table was edited"), total, len(checkpoints)
    every = witness_every or every
    if every is None:
        warnings.append("checkpoint cadence not checked: the store records none")
    else:
        finding = cadence_finding([row[0] for row in checkpoints], last_seq, every)
        if finding:
            return finding, total, len(checkpoints)
    return None, total, len(checkpoints)


def check_checkpoints(checkpoints: list[tuple], roots: dict[int, bytes], last_seq: int, entry_finding: Finding | None, signatures: SignatureChecker) -> Finding | None:
    """The earliest checkpoint finding. Roots are compared only where the chain itself is intact
    (a broken chain is already reported at its first bad entry)."""
    findings: list[Finding] = []
    last_good = 0  # the largest checkpoint size whose root matched
    for size, root, timestamp, signature in checkpoints:
        problem = checkpoint_form_problem(size, root, timestamp, signature)
        if problem:
            findings.append(Finding(max(size, 0) if type(size) is int else 0, f"checkpoint of size {size}: {problem}"))
            continue
        root_hex, ts = bytes(root).decode("ascii"), bytes(timestamp).decode("utf-8")
        if not signatures.verify(checkpoint_message(size, root_hex, ts), base64.b64decode(bytes(signature))):
            findings.append(Finding(size, f"checkpoint of size {size}: signature does not verify (forged or altered checkpoint)"))
            continue
        if size > last_seq:
            findings.append(Finding(last_seq + 1, f"entries from {last_seq + 1} are missing: a signed checkpoint covers {size} entries but the store ends at {last_seq} (tail truncated)"))
            continue
        if entry_finding is not None and entry_finding.seq <= size:
            continue
        if roots.get(size) != bytes.fromhex(root_hex):
            findings.append(Finding(last_good + 1, f"entries {last_good + 1}..{size} are not the ones checkpoint {size} signed (Merkle root differs: history rewritten)"))
            continue
        last_good = size
    return min(findings, key=lambda f: f.seq) if findings else None


# --------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Independently verify an agent-governance-toolkit SQLite audit store.")
    parser.add_argument("store", help="path to the SQLite audit store")
    parser.add_argument("--public-key", metavar="FILE", help="the log's Ed25519 public key (SPKI PEM), obtained out of band; default: the store's meta.public_key")
    parser.add_argument("--witness", metavar="FILE", action="append", default=[], help="a witness's JSON lines (repeatable): hold the store to the checkpoints it saw")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)  # exits 2 on usage errors
    warnings: list[str] = []
    try:
        finding, entries, checkpoints = verify_store(args.store, args.public_key, args.witness, warnings)
    except UsageError as error:
        if args.json:
            print(json.dumps({"ok": False, "error": str(error)}))
        print(f"error: {error}", file=sys.stderr)
        return 2
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if finding is None:
        if args.json:
            print(json.dumps({"ok": True, "entries": entries, "checkpoints": checkpoints}))
        else:
            print(f"OK: {entries} entries, {checkpoints} checkpoints verified")
        return 0
    if args.json:
        print(json.dumps({"ok": False, "seq": finding.seq, "reason": finding.what, "entries": entries, "checkpoints": checkpoints}))
    elif finding.seq is None:
        print(f"TAMPERED: {finding.what}")
    else:
        print(f"TAMPERED at seq {finding.seq}: {finding.what}")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
