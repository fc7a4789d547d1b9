"""Binding: the searchable, signed dossier PDF a judge reads and the archive keeps."""
