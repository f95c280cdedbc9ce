"""A school's life as acts: opened, merged, closed (新开校, 合并, 撤销)."""
