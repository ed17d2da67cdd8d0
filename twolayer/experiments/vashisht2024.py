"""Experiments of vashisht2024: plans and runners returning Records (filled in by the migration)."""
