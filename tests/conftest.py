pytest_plugins = ["geo_nb.testing.pytest_plugin"]
