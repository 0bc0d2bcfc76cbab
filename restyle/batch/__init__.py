"""Batch jobs: many photos in many styles, resumable, on one machine or an existing Ray cluster."""
