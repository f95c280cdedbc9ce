"""Staffing: units, quotas, the turnover pool (编制周转池), the roster (实名制), reservations."""
