#!/usr/bin/env python3
"""Validates a metrics document against docs/metrics.schema.json (jsonschema package).
Usage: validate_schema.py SCHEMA DOCUMENT"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.validate(json.load(open(sys.argv[2])), schema, cls=jsonschema.Draft202012Validator)
print("valid")
