"""Experiments of frei2023: plans and runners returning Records (filled in by the migration)."""
