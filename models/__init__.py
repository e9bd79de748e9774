"""Database models, one module per aggregate."""
from models.accounts import ApiToken, Invitation, LoginAttempt, LoginThrottle, User  # noqa: F401
from models.audit import AuditEvent  # noqa: F401
from models.base import db  # noqa: F401
from models.calendars import CalendarFeed  # noqa: F401
from models.campaigns import Campaign  # noqa: F401
from models.contacts import ContactMethod  # noqa: F401
from models.emulation import Commendation, Target  # noqa: F401
from models.escalation import EscalationPolicy  # noqa: F401
from models.movements import Assessment, Commitment, Movement, MovementCriterion, MovementTeam  # noqa: F401
from models.geography import AdminUnit, LegacyUnit  # noqa: F401
from models.imports import ImportBatch  # noqa: F401
from models.practices import Practice, PracticeApplication, PracticePhoto  # noqa: F401
from models.messages import Broadcast, EarlyReceipt, Message  # noqa: F401
from models.push import PushSubscription  # noqa: F401
from models.shifts import CheckIn, DutySession, Rota, RotaPattern, RotaPatternSlot, Shift, ShiftAssignment  # noqa: F401
from models.shifts import ShiftChange  # noqa: F401
from models.tasks import Task, TaskComment, TaskUpdate  # noqa: F401
from models.teams import Membership, Person, Team  # noqa: F401
from models.work_kinds import WorkKind  # noqa: F401
from models.ops import Heartbeat  # noqa: F401
