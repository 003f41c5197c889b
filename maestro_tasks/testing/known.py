"""Maintained tables of well-known names: import name -> distribution, and the marks, config
keys, command-line flags and fixtures that belong to a pytest plugin.

The target environment's own metadata (``importlib.metadata.packages_distributions``) answers for
what is installed; these tables answer for what is *missing*, where no metadata exists. Keys are
dotted import names; the longest matching prefix wins (``google.protobuf`` before ``google``).
"""

from __future__ import annotations

import re

DIST_FOR_MODULE = {
    "sklearn": "scikit-learn", "yaml": "PyYAML", "cv2": "opencv-python", "PIL": "Pillow",
    "bs4": "beautifulsoup4", "dateutil": "python-dateutil", "dotenv": "python-dotenv",
    "jwt": "PyJWT", "jose": "python-jose", "attr": "attrs", "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient", "Crypto": "pycryptodome", "Cryptodome": "pycryptodomex",
    "skimage": "scikit-image", "magic": "python-magic", "multipart": "python-multipart",
    "docx": "python-docx", "pptx": "python-pptx", "serial": "pyserial", "git": "GitPython",
    "zmq": "pyzmq", "OpenSSL": "pyOpenSSL", "sentence_transformers": "sentence-transformers",
    "google.protobuf": "protobuf", "google.cloud.storage": "google-cloud-storage",
    "google.cloud.bigquery": "google-cloud-bigquery", "google.cloud.pubsub": "google-cloud-pubsub",
    "google.auth": "google-auth", "google.oauth2": "google-auth", "google.api_core":
    "google-api-core", "googleapiclient": "google-api-python-client", "grpc": "grpcio",
    "grpc_status": "grpcio-status", "grpc_tools": "grpcio-tools", "ruamel.yaml": "ruamel.yaml",
    "ruamel": "ruamel.yaml", "pkg_resources": "setuptools", "setuptools": "setuptools",
    "pydantic_settings": "pydantic-settings", "jinja2": "Jinja2", "markupsafe": "MarkupSafe",
    "win32api": "pywin32", "win32com": "pywin32", "Levenshtein": "python-Levenshtein",
    "slugify": "python-slugify", "socketio": "python-socketio", "engineio": "python-engineio",
    "telegram": "python-telegram-bot", "ldap": "python-ldap", "snappy": "python-snappy",
    "lz4": "lz4", "fitz": "PyMuPDF", "sqlalchemy": "SQLAlchemy", "flask_sqlalchemy":
    "Flask-SQLAlchemy", "kafka": "kafka-python", "confluent_kafka": "confluent-kafka",
    "faiss": "faiss-cpu", "torchvision": "torchvision", "tensorflow": "tensorflow",
    "mpl_toolkits": "matplotlib", "pylab": "matplotlib", "Bio": "biopython", "igraph":
    "igraph", "lxml": "lxml", "dns": "dnspython", "nacl": "PyNaCl", "usb": "pyusb",
    "gi": "PyGObject", "cairo": "pycairo", "wx": "wxPython", "hamcrest": "PyHamcrest",
    "mlflow": "mlflow", "azure.storage.blob": "azure-storage-blob", "azure.identity":
    "azure-identity", "boto3": "boto3", "botocore": "botocore", "typing_extensions":
    "typing_extensions", "importlib_metadata": "importlib-metadata", "_pytest": "pytest",
    "xdist": "pytest-xdist", "pytest_asyncio": "pytest-asyncio", "pytest_mock": "pytest-mock",
}

# pytest plugins: what gives them away when they are missing.
MARKER_PLUGINS = {
    "asyncio": "pytest-asyncio", "django_db": "pytest-django", "urls": "pytest-django",
    "trio": "pytest-trio", "benchmark": "pytest-benchmark", "timeout": "pytest-timeout",
    "flaky": "flaky", "order": "pytest-order", "dependency": "pytest-dependency",
    "mpl_image_compare": "pytest-mpl", "freeze_time": "pytest-freezer", "vcr": "pytest-recording",
    "block_network": "pytest-recording", "default_cassette": "pytest-recording",
    "httpx_mock": "pytest-httpx", "xdist_group": "pytest-xdist", "repeat": "pytest-repeat",
    "forked": "pytest-forked", "no_cover": "pytest-cov", "anyio": "anyio",
    "flaky_rerun": "pytest-rerunfailures", "env": "pytest-env", "describe": "pytest-describe",
}
INI_KEY_PLUGINS = {
    "asyncio_mode": "pytest-asyncio", "asyncio_default_fixture_loop_scope": "pytest-asyncio",
    "asyncio_default_test_loop_scope": "pytest-asyncio", "DJANGO_SETTINGS_MODULE":
    "pytest-django", "django_find_project": "pytest-django", "django_debug_mode": "pytest-django",
    "FAIL_INVALID_TEMPLATE_VARS": "pytest-django", "timeout": "pytest-timeout",
    "timeout_method": "pytest-timeout", "timeout_func_only": "pytest-timeout",
    "env": "pytest-env", "env_files": "pytest-dotenv", "env_override_existing_values":
    "pytest-dotenv", "mock_use_standalone_module": "pytest-mock", "mock_traceback_monkeypatch":
    "pytest-mock", "bdd_features_base_dir": "pytest-bdd", "reruns": "pytest-rerunfailures",
    "reruns_delay": "pytest-rerunfailures", "qt_api": "pytest-qt", "looponfailroots":
    "pytest-xdist", "rsyncdirs": "pytest-xdist", "render_collapsed": "pytest-html",
    "generate_report_on_test": "pytest-html", "httpserver_listen_address": "pytest-httpserver",
    "doctest_plus": "pytest-doctestplus", "flakes-ignore": "pytest-flakes", "spec_header_format":
    "pytest-spec", "mypy-ini-file": "pytest-mypy", "randomly_seed": "pytest-randomly",
    "testmon_ignore_dependencies": "pytest-testmon", "anyio_mode": "anyio",
}
FLAG_PLUGINS = {
    "--cov": "pytest-cov", "--cov-report": "pytest-cov", "--cov-fail-under": "pytest-cov",
    "--cov-config": "pytest-cov", "--no-cov": "pytest-cov", "--cov-branch": "pytest-cov",
    "-n": "pytest-xdist", "--numprocesses": "pytest-xdist", "--dist": "pytest-xdist",
    "--timeout": "pytest-timeout", "--reruns": "pytest-rerunfailures", "--reruns-delay":
    "pytest-rerunfailures", "--ds": "pytest-django", "--reuse-db": "pytest-django",
    "--nomigrations": "pytest-django", "--create-db": "pytest-django", "--html": "pytest-html",
    "--self-contained-html": "pytest-html", "--mypy": "pytest-mypy", "--flake8": "pytest-flake8",
    "--doctest-plus": "pytest-doctestplus", "--asyncio-mode": "pytest-asyncio",
    "--snapshot-update": "syrupy", "--record-mode": "pytest-recording", "--block-network":
    "pytest-recording", "--testmon": "pytest-testmon", "--count": "pytest-repeat",
    "--json-report": "pytest-json-report", "--alluredir": "allure-pytest", "--splits":
    "pytest-split", "--instafail": "pytest-instafail", "--benchmark-skip": "pytest-benchmark",
    "--benchmark-disable": "pytest-benchmark", "--benchmark-only": "pytest-benchmark",
    "--hypothesis-profile": "hypothesis", "--hypothesis-show-statistics": "hypothesis",
    "--randomly-seed": "pytest-randomly", "--mpl": "pytest-mpl", "--runslow": None,
}
FIXTURE_PLUGINS = {
    "mocker": "pytest-mock", "benchmark": "pytest-benchmark", "httpx_mock": "pytest-httpx",
    "requests_mock": "requests-mock", "event_loop": "pytest-asyncio", "unused_tcp_port":
    "pytest-asyncio", "freezer": "pytest-freezer", "snapshot": "syrupy", "httpserver":
    "pytest-httpserver", "qtbot": "pytest-qt", "rf": "pytest-django", "django_user_model":
    "pytest-django", "admin_client": "pytest-django", "live_server": "pytest-django",
    "anyio_backend": "anyio", "aiohttp_client": "pytest-aiohttp", "datadir": "pytest-datadir",
    "shared_datadir": "pytest-datadir", "faker": "Faker", "respx_mock": "respx",
    "time_machine": "time-machine", "fs": "pyfakefs", "postgresql": "pytest-postgresql",
    "docker_services": "pytest-docker", "xprocess": "pytest-xprocess", "celery_app": "celery",
    "subtests": "pytest-subtests", "mock_env": None,
}

_MARKER = re.compile(r"'(\w+)' not found in `markers` configuration option")
_UNKNOWN_MARK = re.compile(r"Unknown pytest\.mark\.(\w+)")
_UNKNOWN_KEY = re.compile(r"Unknown config option: (\S+)")
_FLAGS = re.compile(r"unrecognized arguments: (.+)")
_FIXTURE = re.compile(r"fixture '(\w+)' not found")


def distribution_for_module(module: str) -> str | None:
    """The table's distribution for a dotted import name (longest prefix), or None."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        dist = DIST_FOR_MODULE.get(".".join(parts[:end]))
        if dist:
            return dist
    return None


def plugin_for_key(key: str) -> str | None:
    return INI_KEY_PLUGINS.get(key) or INI_KEY_PLUGINS.get(key.replace("-", "_"))


def plugin_for_flag(word: str) -> str | None:
    flag = word.split("=", 1)[0]
    return FLAG_PLUGINS.get(flag) or next(
        (plugin for prefix, plugin in FLAG_PLUGINS.items()
         if plugin and prefix.startswith("--") and flag.startswith(prefix + "-")), None)


def missing_plugin(text: str) -> tuple[str, str] | None:
    """(distribution, evidence) when ``text`` (pytest's message) shows a plugin is missing."""
    for pattern, table in ((_MARKER, MARKER_PLUGINS), (_UNKNOWN_MARK, MARKER_PLUGINS),
                           (_FIXTURE, FIXTURE_PLUGINS)):
        for match in pattern.finditer(text):
            plugin = table.get(match.group(1))
            if plugin:
                return plugin, match.group(0)
    for match in _UNKNOWN_KEY.finditer(text):
        plugin = plugin_for_key(match.group(1))
        if plugin:
            return plugin, match.group(0)
    for match in _FLAGS.finditer(text):
        for word in match.group(1).split():
            plugin = plugin_for_flag(word)
            if plugin:
                return plugin, f"unrecognized argument {word}"
    return None
