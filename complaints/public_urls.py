app_name = "complaints-public"
urlpatterns = []
