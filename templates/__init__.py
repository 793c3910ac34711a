"""jinja2 scaffolds for `clusterforge new` (package data of clusterforge.templates)."""
