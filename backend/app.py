"""The Creditdesk backend: a Chalice app. This module only wires; routes, schedules and
queue/topic handlers live in blueprints under ``chalicelib/``."""

from chalice import Chalice

from chalicelib import auth, routes, schedules, workers

app = Chalice(app_name="creditdesk")
app.register_blueprint(auth.bp)
app.register_blueprint(routes.bp)
app.register_blueprint(workers.bp)
app.register_blueprint(schedules.bp)
