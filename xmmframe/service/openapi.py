"""The OpenAPI 3.1 description of the REST API, written as data (served at ``/openapi.json``).

Examples
--------
>>> sorted(OPENAPI["paths"])[:3]
['/api/exposures/{obs_id}/{instrume}/image.fits', '/api/exposures/{obs_id}/{instrume}/image.json', '/api/exposures/{obs_id}/{instrume}/image.png']
"""

from __future__ import annotations

from typing import Any

from xmmframe._version import __version__
from xmmframe.service.jobspec import FLAGS, INSTRUMENTS, PATTERNS, PRODUCTS


def _error(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
_EXPOSURE = [
    {"name": "obs_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,16}$"}},
    {"name": "instrume", "in": "path", "required": True, "schema": {"type": "string", "enum": list(INSTRUMENTS)}},
    {"name": "expid", "in": "query", "required": False, "schema": {"type": "string"}},
]
_ERRORS = {"400": _error("malformed request"), "401": _error("missing or wrong token"),
           "404": _error("no such job, exposure or file"), "413": _error("request body too large"),
           "422": _error("a field is invalid or over its limit"), "429": _error("too many active jobs")}


def _exposure_view(description: str, media: str) -> dict[str, Any]:
    return {"get": {"summary": description, "parameters": [*_EXPOSURE, {"name": "bin", "in": "query",
                                                                        "schema": {"type": "number", "default": 80}}],
                    "responses": {"200": {"description": description, "content": {media: {}}}, **_ERRORS}}}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "xmmframe remote reprocessing service", "version": __version__,
             "description": "Products of XMM-Newton EPIC exposures of an event store: spectra with RMF and ARF, "
                            "light curves, images and filtered event lists, made as the SAS tasks make them."},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                            "session": {"type": "apiKey", "in": "cookie", "name": "xmmframe_session"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "JobRequest": {
                "type": "object", "additionalProperties": False, "required": ["obs_id", "instrume", "products"],
                "properties": {
                    "obs_id": {"type": "string", "pattern": "^[A-Za-z0-9]{1,16}$"},
                    "instrume": {"type": "string", "enum": list(INSTRUMENTS)},
                    "expid": {"type": ["string", "null"], "pattern": "^[A-Za-z0-9]{1,16}$"},
                    "expression": {"type": ["string", "null"], "description": "SAS selection expression"},
                    "flag": {"type": ["string", "null"], "enum": [*FLAGS, None]},
                    "pattern": {"type": ["string", "null"], "enum": [*PATTERNS, None]},
                    "pi": {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
                    "source": {"type": ["string", "null"], "description": "ds9 region, physical or fk5"},
                    "background": {"type": ["string", "null"], "description": "ds9 region, physical or fk5"},
                    "gti": {"oneOf": [{"type": "null"}, {"const": "flare"},
                                      {"type": "array", "items": {"type": "array", "items": {"type": "number"},
                                                                  "minItems": 2, "maxItems": 2}}]},
                    "flare_threshold": {"type": ["number", "null"]},
                    "products": {"type": "array", "items": {"type": "string", "enum": list(PRODUCTS)}, "minItems": 1},
                    "timebinsize": {"type": "number", "default": 100},
                    "imagebinsize": {"type": "number", "default": 80},
                    "optimise": {"type": "boolean", "default": False,
                                 "description": "centre the source and choose its S/N-optimal radius"},
                },
            },
            "Job": {
                "type": "object", "required": ["id", "status", "progress", "files", "error"],
                "properties": {
                    "id": {"type": "string"},
                    "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                    "progress": {"type": "number", "minimum": 0, "maximum": 1},
                    "files": {"type": "array", "items": {"type": "string"}},
                    "error": {"type": ["string", "null"]},
                    "created": {"type": "number"}, "started": {"type": ["number", "null"]},
                    "finished": {"type": ["number", "null"]},
                    "request": {"$ref": "#/components/schemas/JobRequest"},
                },
            },
        },
    },
    "security": [{"bearer": []}, {"session": []}],
    "paths": {
        "/api/jobs": {
            "post": {"summary": "Submit a job",
                     "requestBody": {"required": True, "content": {"application/json": {
                         "schema": {"$ref": "#/components/schemas/JobRequest"}}}},
                     "responses": {"201": {"description": "accepted", "content": {"application/json": {"schema": {
                         "type": "object", "properties": {"id": {"type": "string"}, "status": {"const": "queued"}}}}}},
                                   **_ERRORS}},
            "get": {"summary": "All jobs, newest first",
                    "responses": {"200": {"description": "jobs", "content": {"application/json": {"schema": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Job"}}}}}, **_ERRORS}},
        },
        "/api/jobs/{job_id}": {
            "get": {"summary": "A job's status", "parameters": [_JOB_ID],
                    "responses": {"200": {"description": "the job", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Job"}}}}, **_ERRORS}},
            "delete": {"summary": "Remove a job and its files", "parameters": [_JOB_ID],
                       "responses": {"204": {"description": "removed"}, **_ERRORS}},
        },
        "/api/jobs/{job_id}/log": {
            "get": {"summary": "A job's log", "parameters": [_JOB_ID],
                    "responses": {"200": {"description": "log text", "content": {"text/plain": {}}}, **_ERRORS}}},
        "/api/jobs/{job_id}/files/{name}": {
            "get": {"summary": "Download one file of a job (products.tar.gz: all of them)",
                    "parameters": [_JOB_ID, {"name": "name", "in": "path", "required": True,
                                             "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]*$"}}],
                    "responses": {"200": {"description": "the file", "content": {"application/octet-stream": {}}},
                                  **_ERRORS}}},
        "/api/observations": {
            "get": {"summary": "The store's exposures, searchable",
                    "parameters": [{"name": n, "in": "query", "schema": {"type": t}} for n, t in
                                   (("obs_id", "string"), ("object", "string"), ("ra", "number"), ("dec", "number"),
                                    ("radius", "number"))],
                    "responses": {"200": {"description": "catalogue rows", "content": {"application/json": {}}},
                                  **_ERRORS}}},
        "/api/exposures/{obs_id}/{instrume}/image.png": _exposure_view("Counts image (PNG quick look)", "image/png"),
        "/api/exposures/{obs_id}/{instrume}/image.fits": _exposure_view("Counts image (FITS)", "application/fits"),
        "/api/exposures/{obs_id}/{instrume}/image.json": _exposure_view("Counts image for the viewer",
                                                                         "application/json"),
        "/api/exposures/{obs_id}/{instrume}/lightcurve.json": _exposure_view("Flare light curve for the viewer",
                                                                              "application/json"),
    },
}

__all__ = ["OPENAPI"]
