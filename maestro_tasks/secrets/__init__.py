"""Secrets: detection rules, grouping / naming, generation, byte-preserving compose rewrite,
the .env store, .env.example and .gitignore logic. Pure: reads inputs, returns planned content.

Module map: rules (which keys are secrets, strength rules) · detect (find occurrences) · group
(one variable per literal) · generate (CSPRNG values) · yamlsrc (locate scalars, edit text) ·
envfile (.env / .env.template / .env.example) · gitignore · compare (resolved configs) ·
compose_cli (`compose config` for the check) · core (the whole analysis) · steps (engine adapter) ·
metrics (report numbers, pre-commit finder). Heavy imports stay inside functions.
"""
