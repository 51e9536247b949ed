"""The school's standard reports (issue 11): each built from set queries as one `app.documents.Report`.

`registry.REPORTS` lists them (code, title, who may see it, parameters, builder); the pages, the
XLSX and the PDF are all drawn from the very same Report object.
"""
