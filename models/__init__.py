"""Database models, one module per aggregate."""
from .accounts import ApiToken, Invitation, LoginAttempt, LoginThrottle, User  # noqa: F401
from .audit import AuditEvent  # noqa: F401
from .base import db  # noqa: F401
from .emulation import Commendation, Target  # noqa: F401
from .geography import AdminUnit, LegacyUnit  # noqa: F401
from .imports import ImportBatch  # noqa: F401
from .messages import Broadcast, EarlyReceipt, Message  # noqa: F401
from .shifts import CheckIn, DutySession, Rota, Shift, ShiftAssignment  # noqa: F401
from .tasks import Task, TaskUpdate  # noqa: F401
from .teams import Membership, Person, Team  # noqa: F401
