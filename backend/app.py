"""The Creditdesk backend: a Chalice app. This module only wires: the routes, the authorizer,
the queue and topic handlers and the schedules are blueprints in ``chalicelib/entry/``."""

from chalice import Chalice

from chalicelib.entry import addin, auth, debtor, routes, schedules, workers

app = Chalice(app_name="creditdesk")
app.api.binary_types.append("application/pdf")  # the debtor page's statement download
app.register_blueprint(auth.bp)
app.register_blueprint(routes.bp)
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)
app.register_blueprint(addin.bp)
app.register_blueprint(debtor.bp)
