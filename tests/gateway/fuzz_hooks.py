"""Schemathesis hooks for the fuzz run (loaded through SCHEMATHESIS_HOOKS)."""

from __future__ import annotations

import schemathesis

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Spreadsheet uploads are sent as raw bytes: anything that is not a workbook must be a 422.
schemathesis.serializer.alias(XLSX, "application/octet-stream")
