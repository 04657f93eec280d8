app_name = "complaints-api"
urlpatterns = []
