from django.shortcuts import render

from programs.selectors import program_public_list


def program_index(request):
    """The front page: every program with a public page."""
    return render(request, "disclosure/index.html", {"programs": program_public_list()})
