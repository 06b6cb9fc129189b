"""The web service: REST API, job queue, pages and the browser viewer."""
