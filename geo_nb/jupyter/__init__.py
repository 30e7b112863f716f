"""Notebook UI: the explorer widget (:mod:`.widgets`), the ``%geo`` magics
(:mod:`.magics`) and plots (:mod:`.plots`). The only layer that imports IPython,
ipywidgets or matplotlib; ``import geo_nb`` never loads it.
"""
