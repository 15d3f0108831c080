"""The WSGI face of the Chalice app now lives in ``tests.support.wsgi`` (the client-side tests
reach the real app through it too); this name stays for the backend's tests."""

from tests.support.wsgi import wsgi

__all__ = ["wsgi"]
