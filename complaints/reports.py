"""The case summary PDF (rendered by core.pdf: WeasyPrint with an allow-list fetcher)."""

from django.utils import timezone

from . import selectors, services


def case_summary_pdf(*, case, user, membership, access):
    from core.pdf import render_pdf

    from . import custody

    identity = None
    allowed = access.identity and (
        not custody.needs_approval(case=case, membership=membership)
        or custody.live_approval(case=case, user=user) is not None
    )
    if allowed:
        # Putting the identity in a document is a reveal like any other: audited.
        identity = services.case_identity_reveal(actor=user, case=case, purpose="pdf")
    p = case.program
    context = {
        "case": case,
        "program": p,
        "identity": identity,
        "identity_allowed": allowed,
        "provisions": selectors.case_provisions(case=case),
        "notes": selectors.note_list(program=p, case=case),
        "thread": selectors.message_list(program=p, case=case),
        "evidence": selectors.evidence_list(program=p, case=case),
        "interviews": selectors.interview_list(program=p, case=case),
        "findings": selectors.finding_list(program=p, case=case),
        "generated_at": timezone.now(),
        "generated_by": user.get_username(),
    }
    return render_pdf("complaints/case_summary_pdf.html", context)
