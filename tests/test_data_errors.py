"""Files that are not digit data are a ValueError naming the file and the problem, found by hand and by fuzzing."""
import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchnet_fast import data
from helpers import write_csv, write_idx


PIXELS = ",".join(f"pixel{i}" for i in range(784))


def row(last):
    """A header and one row of label 1 whose last pixel is `last`: 785 fields."""
    return f"label,{PIXELS}\n1,".encode() + b"0," * 783 + last + b"\n"


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"),
    (f"label,{PIXELS}\n".encode(), "has a header but no rows"),
    (b"a,b,c\n1,2,3\n", "must have the columns label, pixel0"),
    (row(b"0") + b"2," + b"0," * 783 + b"0,0\n", "line 3 has 786 fields; the header has 785"),
    (row(b"abc"), "'abc' is not a whole number"),
    (row(b"256"), "'256' is outside 0-255"),
    (row(b"-1"), "'-1' is outside 0-255"),
    (row(b"300"), "'300' is outside 0-255"),  # pandas before 3.1 reads it into uint8 as 44
    (row(b"65541"), "'65541' is outside 0-255"),
    (row(b"18446744073709551621"), "is outside 0-255"),
    (row(b"0.5"), "'0.5' is not a whole number"),
    (f"label,{PIXELS}\n12," .encode() + b"0," * 783 + b"0\n", "has label 12: digit labels are 0-9"),
    (bytes(range(256)) * 4, "train.csv"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_csv_files_are_clear_errors(tmp_path, content, words):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=words):
        data.load(path)


@pytest.mark.parametrize("lines, line, fields", [
    ([b"1," + b"0," * 784 + b"9"], 2, 786),  # a field more: pandas made the first an index, shifting every pixel
    ([b"1," + b"0," * 783 + b"9", b"2," + b"0," * 782 + b"9"], 3, 784),  # a field fewer: pandas filled in NaN
    ([b"1," + b"0," * 783 + b"9", b"", b"2," + b"0," * 783 + b"0,0"], 4, 786),  # after a blank line
    ([b"1," + b"0," * 10 ** 5], 2, 100002),  # pandas read a first row of 10^6 fields as one digit of its last 785
])
@pytest.mark.parametrize("block", [None, 7, 1000])
def test_a_row_with_another_field_count_than_the_header_is_refused_naming_its_line(tmp_path, monkeypatch, lines, line,
                                                                                     fields, block):
    if block:
        monkeypatch.setattr(data, "BLOCK_BYTES", block)  # lines across blocks
    path = tmp_path / "train.csv"
    path.write_bytes(f"label,{PIXELS}\r\n".encode() + b"\r\n".join(lines) + b"\r\n")
    with pytest.raises(ValueError, match=f"train.csv: line {line} has {fields} fields; the header has 785"):
        data.load(path)
    path.write_bytes(path.read_bytes()[:-2])  # without the last line end
    with pytest.raises(ValueError, match=f"line {line} has {fields} fields"):
        data.load(path)


@pytest.mark.parametrize("block", [None, 5, 333])
def test_blank_lines_and_line_ends_of_any_kind_still_load(tmp_path, monkeypatch, block):
    if block:
        monkeypatch.setattr(data, "BLOCK_BYTES", block)
    rows = [b"1," + b"0," * 783 + b"9", b"2," + b"3," * 783 + b"0"]
    path = tmp_path / "train.csv"
    for end in (b"\n", b"\r\n"):
        path.write_bytes(f"label,{PIXELS}".encode() + end + rows[0] + end + end + rows[1])
        X, y = data.load(path)
        assert list(y) == [1, 2] and X[0, -1] == 9 and X[1, 0] == 3


def test_a_header_of_a_million_columns_is_refused_before_parsing(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b",".join(b"c%d" % i for i in range(10 ** 6)) + b"\n")
    with pytest.raises(ValueError, match="first line is over 65536 bytes long"):
        data.load(path)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        data.load(tmp_path / "train.csv")


def valid_idx(tmp_path, compress):
    images = np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28)
    suffix = ".gz" if compress else ""
    write_idx(tmp_path / f"x-labels-idx1-ubyte{suffix}", np.array([1, 2, 3], np.uint8), compress)
    return write_idx(tmp_path / f"x-images-idx3-ubyte{suffix}", images, compress)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("mangle, words", [
    (lambda raw: raw[:-5], "truncated or corrupt"),
    (lambda raw: raw + b"\x00", "truncated or corrupt"),
    (lambda raw: b"\x00\x00\x08\x03" + raw[4:10], "truncated"),
    (lambda raw: b"PK" + raw[2:], "not an IDX file: bad magic"),
    (lambda raw: b"", "not an IDX file"),
])
def test_bad_idx_files_are_clear_errors(tmp_path, mangle, words, compress):
    """The same damage to the IDX bytes, stored plain (mapped) or gzipped (decompressed into the array)."""
    path = valid_idx(tmp_path, compress=False)
    raw = mangle(path.read_bytes())
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(raw))
    else:
        path.write_bytes(raw)
    with pytest.raises(ValueError, match=words):
        data.load(path)


def test_a_corrupt_gzip_is_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=True)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        data.load(path)


def test_idx_labels_outside_0_to_9_are_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=False)
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.array([1, 2, 30], np.uint8), False)
    with pytest.raises(ValueError, match="label 30: digit labels are 0-9"):
        data.load(path)


def test_idx_count_mismatch_is_a_clear_error(tmp_path):
    path = valid_idx(tmp_path, compress=False)
    write_idx(tmp_path / "x-labels-idx1-ubyte", np.array([1, 2], np.uint8), False)
    with pytest.raises(ValueError, match="has 3 images but .* has 2 labels"):
        data.load(path)


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("shape", [(2_130_706_435, 28, 28), (2**32 - 1, 2**32 - 1, 2**32 - 1), (10**6, 28, 28)])
def test_an_idx_header_claiming_more_than_the_file_holds_is_refused_before_allocating(tmp_path, shape, compress):
    """A crafted header (gzipped or not) claiming terabytes, or more than fits any machine, names the file; nothing is
    allocated (a MemoryError or numpy's "array is too big" would not name it)."""
    raw = bytes([0, 0, 0x08, 3]) + b"".join(n.to_bytes(4, "big") for n in shape) + bytes(784 * 4)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(ValueError, match=str(path.name)):
        data.read_idx(path)


# Deterministic: the same 60 mutations on every run and every clone, none saved from an earlier run (a saved
# failure would fail every later run of that checkout only); a new seed is a change to this line.
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def mutate(raw, draw):
    """Flip, insert, delete bytes or truncate."""
    raw = bytearray(raw)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(0, len(raw) - 1)))
        if kind == "flip" and raw:
            raw[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            raw[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "delete":
            del raw[at:at + draw(st.integers(1, 8))]
        else:
            raw = raw[:at]
    return bytes(raw)


def loads_or_clear_error(path):
    try:
        X, y = data.load(path)
    except ValueError as error:
        assert str(path.name) in str(error) or "no such file" in str(error) or "empty" in str(error)
        return
    assert X.dtype == np.uint8 and X.ndim == 2
    assert y is None or (y.dtype == np.uint8 and len(y) == len(X) and (y <= 9).all())


@FUZZ
@given(st.data())
def test_fuzzed_csv_files_load_or_fail_clearly(tmp_path, data_):
    rows = np.random.default_rng(0).integers(0, 256, (3, 784))
    valid = write_csv(tmp_path / "base.csv", rows, np.array([1, 2, 3])).read_bytes()
    path = tmp_path / "fuzz.csv"
    path.write_bytes(data_.draw(st.one_of(st.binary(max_size=400), st.just(valid).map(lambda v: mutate(v, data_.draw)))))
    loads_or_clear_error(path)


@FUZZ
@given(st.data(), st.booleans())
def test_fuzzed_idx_files_load_or_fail_clearly(tmp_path, data_, compress):
    folder = tmp_path / f"idx{compress}"
    folder.mkdir(exist_ok=True)
    path = valid_idx(folder, compress)
    path.write_bytes(mutate(path.read_bytes(), data_.draw))
    loads_or_clear_error(path)
