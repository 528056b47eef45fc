"""The console 控制台 (issue 10): HTML pages for people beside the JSON API.

web.py is the frame (entrypoint, session cookie, CSRF, rendering); each other module is
one area's views, named as the left menu names them: signin, workbench (with the live
screen pop), tickets, customers, jobs (field staff).  Templates are in
services/gateway/templates, static files (ours and the pinned htmx) in
services/gateway/static.  The routes are listed in service.py with the API's.
"""
