"""Experiments of badger2022: plans and runners returning Records (filled in by the migration)."""
