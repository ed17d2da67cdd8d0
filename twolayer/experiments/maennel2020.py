"""Experiments of maennel2020: plans and runners returning Records (filled in by the migration)."""
