"""The school calendar: terms, statutory holidays with 调休 working days, districts' days off."""
