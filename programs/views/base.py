"""Building blocks shared by the workspace views of the programs app."""

from functools import cached_property

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import FormView, ListView

from core.forms import run_service
from core.pagination import PAGE_SIZE, querystring_without_page
from core.tenancy import ProgramViewMixin, get_or_404


class ProgramListView(ProgramViewMixin, ListView):
    """A paginated, searchable list; the filters are read from the query string."""

    paginate_by = PAGE_SIZE

    def param(self, name):
        return self.request.GET.get(name, "").strip()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["querystring"] = querystring_without_page(self.request)
        return context


class ServiceFormView(ProgramViewMixin, FormView):
    """A form whose valid submission calls one service through ``run_service``.

    Subclasses implement ``perform(form)`` (calls the service, returns its result) and
    ``success_url_for(result)``. A refusal (DomainError/ValidationError) re-renders the
    form with the message and everything the user typed.
    """

    template_name = "programs/form.html"
    title = ""

    # The form page is shown only to those who may submit it: no control without its
    # action (a subclass may still name other read roles).
    @property
    def read_roles(self):
        return self.write_roles

    @property
    def read_action(self):
        return self.write_action

    success_message = ""
    submit_label = "Save"
    form_needs_program = False

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        if self.form_needs_program:
            kwargs["program"] = self.program
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.get_title())
        context.setdefault("submit_label", self.submit_label)
        context.setdefault("cancel_url", self.get_cancel_url())
        context.setdefault("intro", self.get_intro())
        return context

    def get_title(self):
        return self.title

    def get_intro(self):
        return ""

    def get_cancel_url(self):
        return None

    def perform(self, form):
        raise NotImplementedError

    def success_url_for(self, result):
        raise NotImplementedError

    def form_valid(self, form):
        result = run_service(form, lambda: self.perform(form))
        if result is None:
            return self.form_invalid(form)
        url = self.success_url_for(result)  # may set a message naming the result
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(url)


def changed(form):
    """The cleaned values of the fields the user actually changed."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


class ObjectFormMixin:
    """Loads ``self.object`` through a program-scoped selector (404 otherwise)."""

    def get_object_queryset(self):
        raise NotImplementedError

    @cached_property
    def object(self):
        return get_or_404(self.get_object_queryset(), pk=self.kwargs["pk"])

    def fresh_object(self):
        # The ModelForm has written the input onto ``self.object``; services compare
        # old and new values, so they get an untouched copy.
        return get_or_404(self.get_object_queryset(), pk=self.kwargs["pk"])

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        self.object  # noqa: B018 - resolve (or 404) before any form is shown or processed
        if getattr(self, "uses_instance", True):
            kwargs["instance"] = self.object
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        return context
