app_name = "complaints-public-api"
urlpatterns = []
