from django.contrib import admin

from .models import Buyer, Facility, Membership, Program, Supplier

admin.site.register([Program, Membership, Buyer, Supplier, Facility])
