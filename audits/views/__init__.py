"""Staff workspace pages of the audits app (/p/<program>/audits/...)."""

from .audits import (
    AuditCreateView,
    AuditDetailView,
    AuditEditView,
    AuditListView,
    AuditTeamView,
    AuditTransitionView,
    EvidenceDownloadView,
    FindingCreateView,
    FindingDetailView,
    FindingEvidenceView,
    FindingReferView,
)
from .caps import (
    CAPDetailView,
    CAPItemCommentView,
    CAPItemCreateView,
    CAPItemDetailView,
    CAPItemEvidenceView,
    CAPItemTransitionView,
    CAPListView,
)
from .education import (
    EducationCreateView,
    EducationListView,
    FacilityHistoryView,
    GradesView,
)
from .reports import (
    PolicyView,
    ReportDetailView,
    ReportDownloadView,
    ReportListView,
    ReportRequestView,
)

__all__ = [
    "AuditListView",
    "AuditCreateView",
    "AuditDetailView",
    "AuditEditView",
    "AuditTransitionView",
    "AuditTeamView",
    "FindingCreateView",
    "FindingDetailView",
    "FindingEvidenceView",
    "FindingReferView",
    "EvidenceDownloadView",
    "CAPListView",
    "CAPDetailView",
    "CAPItemCreateView",
    "CAPItemDetailView",
    "CAPItemTransitionView",
    "CAPItemCommentView",
    "CAPItemEvidenceView",
    "EducationListView",
    "EducationCreateView",
    "GradesView",
    "FacilityHistoryView",
    "ReportListView",
    "ReportRequestView",
    "ReportDetailView",
    "ReportDownloadView",
    "PolicyView",
]
