"""Great Expectations suites, one per silver table, and the validate-or-quarantine runner."""
