"""UI apps of a target: discovery, install, build, fingerprint cache, serve check.

Modules: discovery (which apps, framework, package manager, output folder), semver (engines
ranges), toolchain (node / package managers), fingerprint (inputs and ui-cache.json), status (up to
date?), outputs (is the build there), build (install + build subprocesses), serve (loopback serve
check, headless Chromium render), steps (the engine Steps), metrics (numbers for the report).
"""
