"""Every model of the registry, imported in one place for Alembic and the shell."""
from registry.audit.models import AuditLog  # noqa: F401
from registry.auth.models import LoginAttempt, User, user_towns  # noqa: F401
from registry.awards.models import Award  # noqa: F401
from registry.credit.models import CreditEvent, CreditLoan, CreditPool  # noqa: F401
from registry.excel.models import ImportBatch, ImportMapping  # noqa: F401
from registry.firms.models import AnnualData, Firm, FirmName, Industry, Town  # noqa: F401
from registry.institutions.models import RdInstitution, RdLevelChange  # noqa: F401
from registry.lists.models import (  # noqa: F401
    CriteriaSet, Criterion, ListAmendment, ListObjection, TierList, TierListEntry,
)
from registry.portal.models import FirmChangeRequest, MemberChangeProposal, Notice  # noqa: F401
from registry.projects.models import Project, ProjectMilestone  # noqa: F401
from registry.recognitions.models import HighTechReport, Programme, Recognition  # noqa: F401
from registry.teams.models import Team, TeamEvaluation, TeamMember  # noqa: F401
from registry.vouchers.models import VoucherApplication, VoucherBudget  # noqa: F401
