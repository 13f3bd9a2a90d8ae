"""Tests of the study library I (codon cascade, pkpd, bioreactor, immune agent-field)."""
