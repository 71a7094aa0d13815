"""Tests of the optional model-call layer (generation/), against a loopback server."""
