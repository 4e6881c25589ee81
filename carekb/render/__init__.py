"""Rendering results for people and programs: CSV and XLSX writers, output publishing, text tables, HTML."""
