"""Chengdu teacher-resource platform: staffing pool, teacher sharing and talent pool."""
