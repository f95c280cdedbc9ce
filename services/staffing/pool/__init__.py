"""The turnover pool (编制周转池): deposits, applications, decisions, loans, repayments."""
