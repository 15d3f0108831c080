"""Operator and local tools for the backend, run from a checkout and never deployed (Chalice
packages only ``app.py``, ``chalicelib/`` and ``vendor/``):

- ``cli``: ``creditdesk backend serve|tenant|key|package`` (also ``python -m backend.ops``);
  ``usage``: each tenant's API Gateway key in the usage plan;
- ``local``: the local stack (moto + the Chalice app + what Lambda would run around it);
  ``emulator``: moto's server as a child process; ``moto_patches``: its fixes to moto, for
  one range of moto versions; ``schedule``: EventBridge expressions evaluated locally;
- ``resources``: the AWS resources the app needs, created on the emulator or described as
  CloudFormation for ``infra/merge_template.py``;
- ``package``: the deployable template and zip;
- ``project``: where the backend is, and its app loaded as Chalice loads it (after which
  ``chalicelib`` imports).

They import the app's runtime configuration (``chalicelib.config``) and services; the app
never imports them (``tests/backend/test_layers.py``).
"""
