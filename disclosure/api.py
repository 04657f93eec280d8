app_name = "disclosure-api"
urlpatterns = []
