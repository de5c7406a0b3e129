"""Uploads from the browser: size-limited, decoded to bytes, then only parsed by
:func:`planner.io.validate_history` (never executed).

>>> decode_upload("data:text/csv;base64,YSxi", "x.csv")
b'a,b'
"""

from __future__ import annotations

import base64
import binascii

from wfm_errors import InputError
from planner.io import MAX_UPLOAD_BYTES

UPLOAD_LIMIT_BYTES = min(MAX_UPLOAD_BYTES, 50 * 1024 * 1024)


def decode_upload(contents: str, filename: str) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL; ``ValueError`` naming the file when malformed or too large."""
    try:
        _header, encoded = contents.split(",", 1)
        data = base64.b64decode(encoded, validate=True)
    except (ValueError, binascii.Error):
        raise InputError(f"{filename}: the upload could not be decoded") from None
    if len(data) > UPLOAD_LIMIT_BYTES:
        raise InputError(f"{filename}: {len(data):,} bytes is over the {UPLOAD_LIMIT_BYTES:,}-byte upload limit")
    return data
