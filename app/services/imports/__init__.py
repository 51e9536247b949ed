"""Imports from spreadsheets (issue 12): staff, classes, students, groups, teaching load, timetable.

`registry.KINDS` lists the kinds in the order a school loads them, one module each; `engine`
reads a file, maps its columns, checks every row and applies them all or none.
"""
