app_name = "audits-api"
urlpatterns = []
