"""Secrets: detection, grouping / naming, generation, byte-preserving compose rewrite,
the .env store, .env.example and .gitignore logic. Pure: reads inputs, returns planned content.

Module map: rules (strength rules; the key-name rule set is ``credentials.py``, shared) · detect
(find occurrences) · group (one variable per literal) · generate (CSPRNG values) · yamlsrc
(locate scalars, edit text) · envfile (the .env store / .env.template / .env.example, on
``compose/envfile.py``'s parser) · gitignore · compare (resolved configs) · core (the whole
analysis) · steps (engine adapter) · known (the masker's seed, wired by ``week1/``) · metrics
(report numbers, pre-commit finder). Compose files, CLI and the `config` oracle are ``compose/``;
never imports ``stack/``. Heavy imports stay inside functions.
"""
