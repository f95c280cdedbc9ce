"""The sharing library (入库): applications, review, membership and honours."""
