"""cxlib.data.privacy: identifying columns, pseudonyms, the salt file."""

from __future__ import annotations

import os
import stat

import numpy as np
import pandas as pd
import pytest

from cxlib.data.privacy import (
    drop_identifying,
    identifying_columns,
    load_or_create_salt,
    pseudonymise,
)
from cxlib.errors import CXDataError

#: Columns the issue names as identifying, spelled as exports spell them.
IDENTIFYING = [
    "IPAddress", "IP Address", "ip_address", "ipAddress",
    "email", "E-Mail", "Email Address", "RecipientEmail", "customer_email",
    "first_name", "LastName", "Full Name", "name", "Surname",
    "RecipientFirstName", "RecipientLastName",
    "phone", "Phone Number", "mobile_number", "Telephone",
    "LocationLatitude", "LocationLongitude", "latitude", "Longitude", "lat", "lng",
    "ExternalReference", "ExternalDataReference",
]

#: Columns that do not identify anyone: the Qualtrics metadata that is kept, and the
#: column names of a public airline passenger satisfaction survey export.
NOT_IDENTIFYING = [
    "StartDate", "EndDate", "Status", "Progress", "Duration (in seconds)", "Finished", "RecordedDate",
    "ResponseId", "DistributionChannel", "UserLanguage", "Q1", "Q2_1", "Q4_TEXT",
    "id", "Gender", "Customer Type", "Age", "Type of Travel", "Class", "Flight Distance",
    "Inflight wifi service", "Departure/Arrival time convenient", "Ease of Online booking", "Gate location",
    "Food and drink", "Online boarding", "Seat comfort", "Inflight entertainment", "On-board service",
    "Leg room service", "Baggage handling", "Checkin service", "Inflight service", "Cleanliness",
    "Departure Delay in Minutes", "Arrival Delay in Minutes", "satisfaction",
    "customer_id", "plan", "country", "ltr", "osat", "comment",
]


@pytest.mark.parametrize("column", IDENTIFYING)
def test_identifying_columns_found(column):
    assert identifying_columns(["ResponseId", column, "Q1"]) == [column]


def test_survey_columns_are_not_identifying():
    assert identifying_columns(NOT_IDENTIFYING) == []


def test_keep_matches_normalised_names_and_order_is_kept():
    columns = ["RecipientEmail", "Q1", "IPAddress", "LocationLatitude"]
    assert identifying_columns(columns) == ["RecipientEmail", "IPAddress", "LocationLatitude"]
    assert identifying_columns(columns, keep=["ip address", "LOCATION_LATITUDE"]) == ["RecipientEmail"]
    assert identifying_columns(columns, keep="RecipientEmail") == ["IPAddress", "LocationLatitude"]


def test_drop_identifying_returns_a_new_frame_and_the_dropped_names():
    frame = pd.DataFrame({"id": [1, 2], "Email": ["a@x.org", "b@x.org"], "osat": [4, 5], "Phone": ["1", "2"]})
    original = frame.copy()
    kept, dropped = drop_identifying(frame)
    assert dropped == ["Email", "Phone"]
    pd.testing.assert_frame_equal(kept, pd.DataFrame({"id": [1, 2], "osat": [4, 5]}))
    pd.testing.assert_frame_equal(frame, original)  # input untouched
    kept_phone, dropped = drop_identifying(frame, keep=["phone"])
    assert dropped == ["Email"] and list(kept_phone.columns) == ["id", "osat", "Phone"]


def test_drop_identifying_refuses_a_non_frame():
    with pytest.raises(CXDataError, match="must be a pandas DataFrame"):
        drop_identifying([["a@x.org"]])


# ----------------------------------------------------------------------------- pseudonyms

def test_pseudonym_is_hmac_sha256_rfc4231_test_case_1():
    # RFC 4231, section 4.2: key = 0x0b * 20, data = "Hi There",
    # HMAC-SHA-256 = b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7
    out = pseudonymise(["Hi There"], salt=b"\x0b" * 20)
    assert out.tolist() == ["b0344c61d8db3853"]


def test_same_id_same_salt_same_pseudonym_whatever_the_type():
    salt = bytes(range(32))
    ids = pd.Series([100002, 100002.0, "100002", " 100002 ", np.int64(100002)], dtype=object)
    out = pseudonymise(ids, salt=salt)
    assert out.nunique() == 1
    assert out.str.fullmatch(r"[0-9a-f]{16}").all()
    # an integer id column with gaps is float64: still the same pseudonyms as the int64 column
    with_gaps = pseudonymise(pd.Series([100002.0, np.nan]), salt=salt)
    assert with_gaps.iloc[0] == out.iloc[0]


def test_different_ids_and_different_salts_differ():
    a = pseudonymise([1, 2, 3], salt=b"a" * 32)
    b = pseudonymise([1, 2, 3], salt=b"b" * 32)
    assert a.nunique() == 3
    assert not (a == b).any()
    big = pseudonymise([2**53, 2**53 + 1], salt=b"a" * 32)  # float64 would merge these two ids
    assert big.iloc[0] != big.iloc[1]


def test_missing_ids_stay_missing_and_index_and_name_are_kept():
    ids = pd.Series([7, None, 9], index=[10, 11, 12], name="customer_id", dtype="Int64")
    out = pseudonymise(ids, salt=b"s" * 16)
    assert out.isna().tolist() == [False, True, False]
    assert list(out.index) == [10, 11, 12] and out.name == "customer_id"
    assert str(out.dtype) == "string"


@pytest.mark.parametrize("salt, message", [("text salt" * 4, "must be bytes"), (b"short", "at least 16 bytes")])
def test_bad_salt(salt, message):
    with pytest.raises(CXDataError, match=message):
        pseudonymise([1], salt=salt)


# ----------------------------------------------------------------------------- the salt file

def test_salt_file_created_once_with_mode_0600_and_reused(tmp_path):
    path = tmp_path / "private" / "cx.salt"
    first = load_or_create_salt(path)
    assert len(first) == 32
    assert path.read_bytes() == first
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    mtime = os.stat(path).st_mtime_ns
    assert load_or_create_salt(path) == first
    assert os.stat(path).st_mtime_ns == mtime
    assert sorted(p.name for p in path.parent.iterdir()) == ["cx.salt"]  # no temporary file left


def test_two_salt_files_differ(tmp_path):
    assert load_or_create_salt(tmp_path / "a") != load_or_create_salt(tmp_path / "b")


def test_damaged_salt_file_is_refused(tmp_path):
    path = tmp_path / "cx.salt"
    path.write_bytes(b"0123456789")
    with pytest.raises(CXDataError, match=r"cx\.salt: a salt file holds 32 bytes, this one holds 10"):
        load_or_create_salt(path)
    assert path.read_bytes() == b"0123456789"  # never overwritten
