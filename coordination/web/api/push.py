"""/api/v1/push: the duty app's Web Push subscription on this device (session cookie + CSRF header,
or a Bearer token, as every API route). GET says whether push is on and gives the VAPID public key
to subscribe with; POST keeps this device's subscription (PushSubscription.toJSON()); DELETE forgets it.
POST /api/v1/push/renewals is the one without a session: the service worker replaces a subscription
the browser rotated, proving it with the old one's endpoint and auth secret (push_devices.renew)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from models import db

from coordination.messaging import push, push_devices
from coordination.web.api.core import bp
from coordination.web.api.json_input import json_body


def _state(status: int = 200, **extra):
    person_id = current_user.person_id
    return jsonify(enabled=push.public_key() is not None, public_key=push.public_key(),
                   devices=push_devices.device_count(person_id), **extra), status


@bp.get("/api/v1/push")
def push_state():
    return _state()


@bp.post("/api/v1/push/subscriptions")
def push_subscribe():
    data = json_body()
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    row = push_devices.subscribe(current_user.person_id, data.get("endpoint"), keys.get("p256dh"), keys.get("auth"),
                                 request.headers.get("User-Agent"))
    db.session.commit()
    return _state(201, id=row.id)


@bp.delete("/api/v1/push/subscriptions")
def push_unsubscribe():
    data = json_body()
    removed = push_devices.unsubscribe(current_user.person_id, data.get("endpoint"))
    db.session.commit()
    return _state(removed=removed)


RENEWALS = "/api/v1/push/renewals"  # no session, no CSRF token: the old subscription is the credential


@bp.post(RENEWALS)
def push_renew():
    data = json_body()
    old = data.get("old") if isinstance(data.get("old"), dict) else {}
    new = data.get("subscription") if isinstance(data.get("subscription"), dict) else {}
    keys = new.get("keys") if isinstance(new.get("keys"), dict) else {}
    row = push_devices.renew(old.get("endpoint"), old.get("auth"), new.get("endpoint"), keys.get("p256dh"),
                             keys.get("auth"), request.headers.get("User-Agent"))
    db.session.commit()
    return jsonify(renewed=True, id=row.id), 200
