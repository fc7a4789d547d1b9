"""Document classification: which catalogue entry a document belongs to (分类挂接)."""
