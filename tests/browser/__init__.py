"""Real-browser end-to-end tests of the explorer (JupyterLab, Notebook 7, Voila)."""
