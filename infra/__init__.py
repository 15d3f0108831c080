"""Infrastructure as code around the Chalice app: ``merge_template`` (what ``chalice package``
cannot express, merged into its template) and ``deploy.sh``. Run from a checkout:
``python -m infra.merge_template CHALICE_SAM.json > merge.json``."""
